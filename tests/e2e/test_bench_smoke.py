"""Smoke test of the benchmark harness: `bench/run seed64 --seconds 20` completes on this
machine against the built server and writes the JSON report with every figure, the
Markdown row and the plot, and leaves no process behind.

It needs sluice, sluice-limit, sluice-camsim and sluice-load in $SLUICE_BUILD_DIR and
fails (never skips) with a clear message when one is missing.
"""

from __future__ import annotations

import json
import math
import os
import shlex
import subprocess
import warnings
from pathlib import Path

import sluice_e2e as e2e

RUN = e2e.SOURCE_DIR / "bench" / "run"
TOOLS = ("sluice-camsim", "sluice-load", "sluice-limit")

# Every figure bench/run reports; each must be a number. The latency pair may be null
# only when the load client measured none (a warning then says so).
NUMERIC = [
    "server_cpu_pct", "server_rss_mb_start", "server_rss_mb_peak", "server_rss_mb_end",
    "server_threads_max", "sessions", "egress_mbps", "egress_pps", "cpu_us_per_packet",
    "viewer_loss_pct", "ttff_ms_p50", "ttff_ms_p95", "limit_us_per_packet", "limit_ratio",
]
MAYBE_NULL = ["latency_ms_p50", "latency_ms_p99"]


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _leftovers(marker: str) -> list[str]:
    """Processes whose command line mentions `marker` (the output directory)."""
    found = []
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == os.getpid():
            continue
        try:
            cmd = Path(f"/proc/{d}/cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if marker in cmd:
            found.append(f"{d}: {cmd[:200]}")
    return found


def test_seed64_smoke(tmp_path):
    build = e2e.BUILD_DIR
    missing = [str(build / "bench" / t) for t in TOOLS if not (build / "bench" / t).exists()]
    if not e2e.SLUICE_BIN.exists():
        missing.append(str(e2e.SLUICE_BIN))
    assert not missing, ("bench/run needs these binaries, which are not built: "
                         + ", ".join(missing) + " (cmake --build BUILD builds bench/camsim, bench/load, bench/limit)")

    out = tmp_path / "bench-out"
    cmd = ["/usr/bin/python3", str(RUN), "seed64", "--seconds", "20", "--out", str(out),
           "--build-dir", str(build), "--server-cmd", f"{shlex.quote(str(e2e.SLUICE_BIN))} {{config}}"]
    log = tmp_path / "bench-run.log"
    status, text = e2e.run_bounded(cmd, timeout=540, log_path=log)
    assert status == 0, f"bench/run seed64 failed ({e2e.describe_status(status)}):\n{e2e.tail(log, 20000)}"

    report = out / "seed64.json"
    assert report.exists(), f"no {report}:\n{e2e.tail(log, 8000)}"
    doc = json.loads(report.read_text())

    bad = {k: doc.get(k, "<absent>") for k in NUMERIC if not _is_number(doc.get(k))}
    assert not bad, f"figures that are not numbers: {bad}\n{e2e.tail(log, 8000)}"
    for k in MAYBE_NULL:
        assert k in doc, f"{k} absent from the report"
        assert doc[k] is None or _is_number(doc[k]), f"{k} = {doc[k]!r}"
        if doc[k] is None:
            warnings.warn(f"{k} is null: the load client reported no latency")

    assert doc["sessions"] == 64, doc["sessions"]
    assert doc["sessions_connected"] and doc["sessions_connected"] > 0, "no viewer connected"
    assert doc["packets"] and doc["packets"] > 0, "the viewers received no packets"
    assert doc["cpu_us_per_packet"] > 0 and doc["limit_us_per_packet"] > 0
    assert doc["server_rss_mb_peak"] >= doc["server_rss_mb_start"] > 0
    assert doc["server_threads_max"] >= 1

    assert doc["git_commit"] and doc["command_line"]
    m = doc["machine"]
    assert m["cpu_model"] and m["nproc"] >= 1 and m["kernel"], m
    samples = doc["samples"]
    assert len(samples) >= 15, f"expected a sample per second, got {len(samples)}"
    assert any(s.get("phase") == "load" and s.get("server", {}).get("cpu_pct") is not None for s in samples)

    md = (out / "seed64.md").read_text()
    assert md.startswith("| scenario |") and "| seed64 |" in md, md
    png = out / "seed64.png"
    assert png.exists() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", "no PNG plot (gnuplot missing?)"

    limit = json.loads((out / "limit.json").read_text())
    assert _is_number(limit["limit_us_per_packet"]), limit

    left = _leftovers(str(out))
    assert not left, "processes left running after bench/run:\n" + "\n".join(left)


def test_help_lists_scenarios():
    r = subprocess.run(["/usr/bin/python3", str(RUN), "--help"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    for name in ("seed64", "seed64x4", "fan", "churn"):
        assert name in r.stdout
