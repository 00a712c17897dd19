"""sluice-load (bench/load), the WHEP load client, against real servers.

  * test_load_receives_camera_exactly: RTSP camera -> Sluice -> 4 sessions; every session
    connects, loses nothing and reports a time to first keyframe, and what session 0
    reassembled (--dump-h264) is, NAL unit for NAL unit, a contiguous stretch of the clip
    the camera loops, starting at an IDR.
  * test_load_spreads_a_popular_stream: 40 sessions on one camera with 2 workers: past the
    first viewers the stream is mirrored to the other worker (metrics: viewers on both
    workers, one mirror, no drops), and every session there gets the same intact media.
  * test_load_churn: sessions replaced every 2 s (--lifetime, --rate): every one connects,
    gets media and is DELETEd (200).
  * test_load_recovers_loss_with_nacks: 3% random loss on the viewer's downlink only; NACKs
    are sent, retransmissions arrive and the gaps left are far fewer than those NACKed.
  * test_load_against_full_ice_aiortc_server: aiortc as the WHEP server (full ICE, answers
    a=setup:active): the load client answers its checks, runs DTLS as server, gets media.

The last two run in a private network namespace (sluice_e2e.netns_command); their
scenario is this same file run as a script inside it (`test_load.py scenario NAME`).

Loss injection: traffic between two local addresses of one namespace always crosses `lo`,
never a veth, so netem on a veth cannot touch it (and this kernel has no netem at all).
The viewer binds 127.0.0.3 instead, and an nftables rule on the input hook drops 3% of the
UDP datagrams addressed to 127.0.0.3: the server's own links (RTSP, its UDP socket) stay
clean. Needs `nft` (Debian package nftables) or, failing that, `iptables`.

Environment: SLUICE_BUILD_DIR / SLUICE_BIN / SLUICE_SOURCE_DIR as in sluice_e2e.py;
SLUICE_LOAD overrides the client (default $SLUICE_BUILD_DIR/bench/sluice-load).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pytest  # noqa: E402

import sluice_e2e as e2e  # noqa: E402

LOAD_BIN = Path(os.environ.get("SLUICE_LOAD") or e2e.BUILD_DIR / "bench" / "sluice-load")
AIORTC_SERVER = e2e.TOOLS_DIR / "aiortc_whep_server.py"
VIEWER_IP = "127.0.0.3"  # the lossy viewer's address inside the namespace
LOSS_PERCENT = 3


# --------------------------------------------------------------------------------------
# Helpers shared by the tests and the in-namespace scenarios


def run_load(args: list[str], workdir: Path, seconds: float, name: str = "load") -> tuple[dict, str]:
    """Runs sluice-load with --json; returns (document, output). Fails if it did not
    exit 0 or wrote no JSON."""
    if not LOAD_BIN.exists():
        raise AssertionError(f"{LOAD_BIN} does not exist: build the sluice-load target (or set SLUICE_LOAD)")
    out = workdir / f"{name}.json"
    status, text = e2e.run_bounded([str(LOAD_BIN), *args, "--seconds", str(seconds), "--json", str(out)],
                                   timeout=seconds + 60, log_path=workdir / f"{name}.log")
    assert status == 0, f"sluice-load exited with {e2e.describe_status(status)}:\n{text[-6000:]}"
    assert out.exists(), f"sluice-load wrote no {out}:\n{text[-6000:]}"
    return json.loads(out.read_text()), text


def nal_units(data: bytes) -> list[bytes]:
    """NAL units of an Annex-B stream (3- and 4-byte start codes; trailing zeros dropped)."""
    starts = [m.end() for m in re.finditer(b"\x00\x00\x01", data)]
    nals = []
    for i, s in enumerate(starts):
        end = starts[i + 1] - 3 if i + 1 < len(starts) else len(data)
        nal = data[s:end].rstrip(b"\x00") if i + 1 < len(starts) else data[s:end]
        if nal:
            nals.append(nal)
    return nals


def comparable_nals(data: bytes) -> list[bytes]:
    """Without SPS (7), PPS (8) and AUD (9): Sluice strips AUDs and moves the parameter sets
    in front of each IDR, so only the other NAL units are byte-identical end to end."""
    return [n for n in nal_units(data) if n[0] & 0x1F not in (7, 8, 9)]


def find_in_loop(got: list[bytes], clip: list[bytes]) -> int | None:
    """Index in `clip` where `got` starts as a contiguous run of the endlessly looped clip."""
    for start, nal in enumerate(clip):
        if nal == got[0] and all(got[k] == clip[(start + k) % len(clip)] for k in range(len(got))):
            return start
    return None


def loss_tool() -> str | None:
    if shutil.which("nft"):
        return "nft"
    if shutil.which("iptables"):
        return "iptables"
    return None


def apply_viewer_loss(percent: int) -> dict:
    """Drops `percent`% of the UDP datagrams sent to VIEWER_IP (inside a namespace)."""
    tool = loss_tool()
    if tool == "nft":
        for cmd in (["nft", "add", "table", "ip", "lossy"],
                    ["nft", "add", "chain", "ip", "lossy", "in", "{ type filter hook input priority 0; }"],
                    ["nft", "add", "rule", "ip", "lossy", "in", "ip", "daddr", VIEWER_IP, "meta", "l4proto",
                     "udp", "numgen", "random", "mod", "1000", "<", str(percent * 10), "counter", "drop"]):
            subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=20)
    elif tool == "iptables":
        subprocess.run(["iptables", "-A", "INPUT", "-d", VIEWER_IP, "-p", "udp", "-m", "statistic",
                        "--mode", "random", "--probability", str(percent / 100), "-j", "DROP"],
                       check=True, capture_output=True, text=True, timeout=20)
    else:
        raise RuntimeError("neither nft nor iptables is installed")
    return {"loss_tool": tool}


def viewer_drops(tool: str) -> int | None:
    """Datagrams the loss rule dropped so far."""
    if tool == "nft":
        r = subprocess.run(["nft", "list", "table", "ip", "lossy"], capture_output=True, text=True, timeout=20)
        m = re.search(r"counter packets (\d+)", r.stdout)
    else:
        r = subprocess.run(["iptables", "-L", "INPUT", "-v", "-n", "-x"], capture_output=True, text=True, timeout=20)
        m = re.search(r"^\s*(\d+)\s+\d+\s+DROP", r.stdout, re.M)
    return int(m.group(1)) if m else None


# --------------------------------------------------------------------------------------
# Scenarios run inside a network namespace (this file as a script)


def scenario_loss(wd: Path, seconds: float, res: dict):
    subprocess.run(["ip", "addr", "add", f"{VIEWER_IP}/32", "dev", "v1"], check=True, timeout=20)
    srv = e2e.Server(wd, {"demo": {"source": "demo"}}, log_level="info")
    res["_stop"].append(srv.stop)
    srv.start()
    srv.wait_path("demo", ready=True, timeout=20)
    res.update(apply_viewer_loss(LOSS_PERCENT))
    res["load"], _ = run_load(["--url", srv.url("/demo/whep"), "--sessions", "4", "--local-ip", VIEWER_IP],
                              wd, seconds)
    res["dropped"] = viewer_drops(res["loss_tool"])
    res["server_alive"] = srv.alive()


def scenario_aiortc(wd: Path, seconds: float, res: dict):
    port = e2e.free_port("tcp")
    server = e2e.Proc("aiortc-whep", [e2e.PYTHON, str(AIORTC_SERVER), "--port", str(port)],
                      wd / "aiortc-server.log", watch_stdout=True).start()
    res["_stop"].append(server.stop)
    m = server.wait_line(r"^READY (http://\S+)", 30)
    if not m:
        raise RuntimeError("aiortc_whep_server.py did not print READY:\n" + e2e.tail(wd / "aiortc-server.log"))
    # aioice gathers only non-loopback interfaces: in here that is v0's 127.0.0.2.
    res["load"], _ = run_load(["--url", m.group(1) + "/cam/whep", "--sessions", "2", "--local-ip", e2e.NETNS_HOST],
                              wd, seconds)
    res["server_alive"] = server.alive()


SCENARIOS = {"loss": scenario_loss, "aiortc": scenario_aiortc}


def scenario_main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="sluice-load scenario inside a network namespace")
    ap.add_argument("command", choices=["scenario"])
    ap.add_argument("name", choices=sorted(SCENARIOS))
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--seconds", type=float, default=10)
    a = ap.parse_args(argv)
    wd = Path(a.workdir)
    wd.mkdir(parents=True, exist_ok=True)

    def on_term(*_):
        raise KeyboardInterrupt()

    signal.signal(signal.SIGTERM, on_term)
    res: dict = {"ok": False, "_stop": []}
    try:
        SCENARIOS[a.name](wd, a.seconds, res)
        res["ok"] = True
    except KeyboardInterrupt:
        res["error"] = "stopped by SIGTERM"
    except BaseException as exc:  # reported in the result line, not as a traceback
        res["error"] = f"{type(exc).__name__}: {exc}"[:20000]
    finally:
        for stop in reversed(res.pop("_stop")):
            try:
                stop()
            except Exception as exc:
                res.setdefault("stop_errors", []).append(repr(exc))
    print("SCENARIO-RESULT " + json.dumps(res), flush=True)
    return 0 if res["ok"] else 1


def run_scenario(name: str, tmp_path: Path, attach_log, seconds: float) -> dict:
    ok, err = e2e.netns_available()
    assert ok, f"cannot create a network namespace with a veth pair (unshare -n, needs root): {err}"
    wd = tmp_path / f"netns-{name}"
    for log in ("load.log", "sluice.log", "sluice.yml", "aiortc-server.log"):
        attach_log(f"netns {log}", wd / log)
    attach_log("netns scenario output", tmp_path / f"scenario-{name}.log")
    status, out = e2e.run_bounded(
        e2e.netns_command([e2e.PYTHON, str(Path(__file__).resolve()), "scenario", name, "--workdir", str(wd),
                           "--seconds", str(seconds)]),
        timeout=seconds + 150, log_path=tmp_path / f"scenario-{name}.log")
    lines = [line for line in out.splitlines() if line.startswith("SCENARIO-RESULT ")]
    assert lines, f"the {name} scenario printed no result (exit status {status}):\n{out[-4000:]}"
    res = json.loads(lines[-1][len("SCENARIO-RESULT "):])
    assert res.get("ok"), f"the {name} scenario failed: {res.get('error')}"
    return res


def summary(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if k != "per_session"}


# --------------------------------------------------------------------------------------
# Tests


def test_load_receives_camera_exactly(media, camera_factory, server_factory, tmp_path, attach_log):
    clip = media["baseline"]
    cam = camera_factory(clip, protocols="tcp")
    srv = server_factory({"cam": {"source": cam.url, "rtspTransport": "tcp"}}, log_level="info")
    srv.wait_path("cam", ready=True, timeout=20)
    attach_log("sluice-load log", tmp_path / "load.log")
    dump = tmp_path / "session0.h264"
    doc, text = run_load(["--url", srv.url("/cam/whep"), "--sessions", "4", "--dump-h264", str(dump)],
                         tmp_path, seconds=8)
    print(json.dumps(summary(doc), indent=1))

    assert doc["sessions"] == 4 and doc["sessions_connected"] == 4, summary(doc)
    for s in doc["per_session"]:
        assert s["error"] is None, s
        assert s["post_status"] == 201 and s["delete_status"] == 200, s
        assert s["dtls_role"] == "client" and s["ice_lite"], s  # Sluice: ICE-lite, setup:passive
        assert s["ttff_ms"] is not None and 0 < s["ttff_ms"] < 5000, s
        assert s["lost"] == 0 and s["auth_failures"] == 0, s
        assert s["packets"] > 8 * 200, f"a 4 Mbit/s stream gives ~400 packets/s: {s}"
        assert s["verified"] == s["packets"], s
        assert s["sender_reports"] > 0 and s["receiver_reports_sent"] > 0, s
    assert doc["loss_pct"] == 0 and doc["lost"] == 0, summary(doc)
    assert doc["ttff_ms_p50"] is not None and doc["ttff_ms_p95"] is not None, summary(doc)
    assert doc["latency_ms_p50"] is not None and doc["latency_ms_p99"] is not None, summary(doc)
    assert re.search(r"^sluice-load: 4/4 sessions received media", text, re.M), text[-3000:]

    got = comparable_nals(dump.read_bytes())
    want = comparable_nals(clip.read_bytes())
    assert len(got) >= 5 * 30, f"session 0 dumped only {len(got)} NAL units"
    # A viewer starts at a keyframe's access unit: its SEI (which rides with the parameter sets
    # since the shaper aggregates it) and then the IDR.
    first_slice = next(n for n in got if n[0] & 0x1F != 6)
    assert first_slice[0] & 0x1F == 5, f"the dump's first slice is NAL type {first_slice[0] & 0x1F}, not an IDR"
    start = find_in_loop(got, want)
    if start is None:
        first_bad = next((k for k in range(1, len(got)) if find_in_loop(got[:k + 1], want) is None), None)
        raise AssertionError(f"the {len(got)} dumped NAL units are no contiguous run of the looped clip "
                             f"({len(want)} NAL units); the first {first_bad} are")


def metric_values(text: str, name: str) -> dict[str, float]:
    """Samples of one Prometheus family: {labels: value}."""
    return {k[len(name):]: v for k, v in e2e.metric_family(e2e.metric_lines(text), name).items()}


def test_load_spreads_a_popular_stream(media, camera_factory, server_factory, tmp_path, attach_log):
    cam = camera_factory(media["baseline"], protocols="tcp")
    metrics_port = e2e.free_port("tcp")
    srv = server_factory({"cam": {"source": cam.url, "rtspTransport": "tcp"}}, log_level="info",
                         extra={"workerThreads": 2, "metrics": True,
                                "metricsAddress": f"{e2e.LOOPBACK}:{metrics_port}"})
    srv.wait_path("cam", ready=True, timeout=20)
    attach_log("sluice-load log", tmp_path / "load.log")
    sessions = 40
    seen: dict = {}

    def sample_metrics():
        # While the load runs: where the viewers are and what the mirror did.
        for _ in e2e.deadline_loop(20, interval=0.5):
            try:
                text = urllib.request.urlopen(f"http://{e2e.LOOPBACK}:{metrics_port}/metrics", timeout=5).read().decode()
            except OSError:
                continue
            viewers = metric_values(text, "sluice_webrtc_worker_viewers")
            if sum(viewers.values()) >= sessions:
                seen["viewers"] = viewers
                seen["mirrors"] = metric_values(text, "sluice_stream_mirrors").get("")
                return

    sampler = threading.Thread(target=sample_metrics, daemon=True)
    sampler.start()
    doc, text = run_load(["--url", srv.url("/cam/whep"), "--sessions", str(sessions), "--rate", "40"],
                         tmp_path, seconds=10)
    sampler.join(timeout=30)
    print(json.dumps({"metrics": seen, **summary(doc)}, indent=1))

    assert seen.get("viewers"), "the metrics never showed every viewer placed"
    per_worker = sorted(seen["viewers"].values())
    assert len(per_worker) == 2 and per_worker[0] >= 10, f"viewers per worker: {seen['viewers']}"
    assert seen["mirrors"] == 1, seen
    assert doc["sessions_connected"] == sessions, summary(doc)
    for s in doc["per_session"]:
        assert s["error"] is None and s["lost"] == 0 and s["auth_failures"] == 0, s
        assert s["ttff_ms"] is not None, s
        assert s["packets"] > 6 * 200 and s["verified"] == s["packets"], s
    final = urllib.request.urlopen(f"http://{e2e.LOOPBACK}:{metrics_port}/metrics", timeout=5).read().decode()
    assert metric_values(final, "sluice_stream_mirror_dropped_total").get("") == 0, final
    # Every viewer left (DELETE): the mirror ended with its last viewer.
    for _ in e2e.deadline_loop(10):
        if metric_values(final, "sluice_stream_mirrors").get("") == 0:
            break
        final = urllib.request.urlopen(f"http://{e2e.LOOPBACK}:{metrics_port}/metrics", timeout=5).read().decode()
    assert metric_values(final, "sluice_stream_mirrors").get("") == 0, final
    srv.assert_alive()


def test_load_churn(server_factory, tmp_path, attach_log):
    srv = server_factory({"demo": {"source": "demo"}}, log_level="info")
    srv.wait_path("demo", ready=True, timeout=20)
    attach_log("sluice-load log", tmp_path / "load.log")
    doc, _ = run_load(["--url", srv.url("/demo/whep"), "--sessions", "3", "--lifetime", "2", "--rate", "10"],
                      tmp_path, seconds=7)
    print(json.dumps(summary(doc), indent=1))
    # 3 slots, each session lives 2 s: at least 3 generations in 7 s.
    assert doc["sessions"] >= 9, summary(doc)
    assert doc["sessions_connected"] == doc["sessions"], [s for s in doc["per_session"] if not s["connected"]]
    for s in doc["per_session"]:
        assert s["error"] is None and s["delete_status"] == 200, s
        assert s["ttff_ms"] is not None, s
    # --rate 10: starts at least 0.1 s apart.
    starts = sorted(s["started_s"] for s in doc["per_session"])
    assert all(b - a >= 0.095 for a, b in zip(starts, starts[1:])), starts
    srv.assert_alive()


def test_load_recovers_loss_with_nacks(tmp_path, attach_log):
    if loss_tool() is None:
        pytest.skip("no loss injection: install nftables (nft) or iptables")
    res = run_scenario("loss", tmp_path, attach_log, seconds=10)
    doc = res["load"]
    print(json.dumps({"dropped": res.get("dropped"), "loss_tool": res.get("loss_tool"), **summary(doc)}, indent=1))
    assert doc["sessions_connected"] == 4, summary(doc)
    # The rule counts what it drops as the kernel sees it: with UDP GSO one "datagram" on `lo` is a
    # whole run of RTP packets, so a few dozen drops already mean hundreds of lost packets.
    assert res["dropped"] and res["dropped"] > 10, f"the loss rule dropped {res.get('dropped')} datagrams"
    assert doc["nacked_packets"] > 100, summary(doc)
    assert doc["nacks_sent"] > 0 and doc["nacked_packets"] > 0, summary(doc)
    assert doc["retransmissions"] > 0, summary(doc)
    # NACK recovery from the server's history repairs nearly every gap.
    assert doc["lost"] < 0.3 * doc["nacked_packets"], summary(doc)
    assert doc["retransmissions"] >= 0.7 * doc["nacked_packets"], summary(doc)
    assert doc["loss_pct"] < LOSS_PERCENT / 3, summary(doc)
    assert doc["auth_failures"] == 0, summary(doc)
    assert res.get("server_alive"), res


def test_load_against_full_ice_aiortc_server(tmp_path, attach_log):
    res = run_scenario("aiortc", tmp_path, attach_log, seconds=8)
    doc = res["load"]
    print(json.dumps(summary(doc), indent=1))
    assert doc["sessions_connected"] == 2, summary(doc)
    for s in doc["per_session"]:
        assert s["error"] is None, s
        assert s["dtls_role"] == "server", f"aiortc answers a=setup:active, so we are the DTLS server: {s}"
        assert not s["ice_lite"] and s["ice_requests_answered"] > 0, f"aiortc is full ICE: {s}"
        assert s["packets"] > 100 and s["verified"] == s["packets"] and s["auth_failures"] == 0, s
        assert s["ttff_ms"] is not None, s
        assert s["delete_status"] == 200, s
    assert res.get("server_alive"), res


if __name__ == "__main__":
    sys.exit(scenario_main())
