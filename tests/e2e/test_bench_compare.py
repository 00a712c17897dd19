"""bench/compare end to end: a small seed64 (4 cameras, 4 viewers) on Sluice and on a second
server command (Sluice again, under another name: the harness must not care which server
it runs), twice each, alternating, with a CPU profile of every run. What a user reads must
be there: the side-by-side table with both servers' figures and their ratio, the runs in
the order they ran, the JSON with every run, the profiles, and no process left behind.
"""

from __future__ import annotations

import json
import math
import shlex

import sluice_e2e as e2e
from test_bench_smoke import TOOLS, _leftovers

COMPARE = e2e.SOURCE_DIR / "bench" / "compare"


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def test_seed64_small_side_by_side(tmp_path):
    build = e2e.BUILD_DIR
    missing = [str(build / "bench" / t) for t in TOOLS if not (build / "bench" / t).exists()]
    assert not missing and e2e.SLUICE_BIN.exists(), f"bench/compare needs {missing or [str(e2e.SLUICE_BIN)]} built"

    out = tmp_path / "cmp"
    server = f"{shlex.quote(str(e2e.SLUICE_BIN))} {{config}}"
    cmd = ["/usr/bin/python3", str(COMPARE), "seed64", "--streams", "4", "--seconds", "10", "--repeat", "2",
           "--pprof", "3", "--out", str(out), "--build-dir", str(build),
           "--sluice-cmd", server, "--other-cmd", server, "--other-label", "Twin"]
    log = tmp_path / "compare.log"
    status, _ = e2e.run_bounded(cmd, timeout=600, log_path=log)
    assert status == 0, f"bench/compare failed ({e2e.describe_status(status)}):\n{e2e.tail(log, 20000)}"

    md = (out / "compare-seed64.md").read_text()
    assert "| figure | Sluice | Twin | Twin / Sluice |" in md, md
    assert "4 streams × 1 viewers" in md and "order AB BA" in md, md.splitlines()[0]
    rows = {line.split("|")[1].strip(): [c.strip() for c in line.split("|")[2:5]]
            for line in md.splitlines() if line.startswith("| ") and line.count("|") == 5}
    for label in ("egress Mbit/s", "egress pkt/s", "egress pkt/s per Mbit/s", "server CPU % of one core (load)",
                  "server CPU µs per packet", "RSS MB start", "RSS MB peak", "RSS MB end", "threads (max)",
                  "TTFF ms p50", "TTFF ms p95"):
        assert label in rows, f"row {label!r} missing:\n{md}"
        sluice, twin, ratio = rows[label]
        assert _is_number(float(sluice)) and _is_number(float(twin)), (label, rows[label])
        assert ratio.endswith("×") and float(ratio[:-1]) > 0, (label, ratio)
    assert rows["sessions (connected)"][:2] == ["4 / 4", "4 / 4"], rows["sessions (connected)"]
    # the same server on both sides sends the same packets per bit
    assert rows["egress pkt/s per Mbit/s"][2] == "1.00×", rows["egress pkt/s per Mbit/s"]

    doc = json.loads((out / "compare-seed64.json").read_text())
    assert doc["order"] == [["Sluice", 1], ["Twin", 1], ["Twin", 2], ["Sluice", 2]], doc["order"]
    for key in ("sluice", "other"):
        runs = doc["servers"][key]["runs"]
        assert len(runs) == 2 and all(r["sessions_connected"] == 4 and r["packets"] > 0 for r in runs), runs
        for r in runs:
            prof = r.get("pprof_file")
            assert prof, f"no profile for a {key} run:\n{e2e.tail(log, 8000)}"
            data = open(prof, "rb").read()
            assert len(data) > 100, f"{prof}: {len(data)} bytes"
        assert _is_number(doc["servers"][key]["median"]["cpu_us_per_packet"])

    left = _leftovers(str(out))
    assert not left, "processes left running after bench/compare:\n" + "\n".join(left)
