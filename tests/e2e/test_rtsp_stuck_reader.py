"""sluice-load's RTSP readers against Sluice's RTSP server; one reader that stops reading
must not disturb the others.

  * test_twenty_rtsp_readers_are_not_disturbed_by_a_stuck_one: camsim (H.264 1080p30 +
    PCMU) -> Sluice; 20 RTSP/TCP readers (sluice-load --url rtsp://...) for 8 s as a
    baseline, then again while a 21st reader (a raw socket with a 4 KiB receive buffer) has
    played and never reads. The 20 lose nothing in either run (no gap, duplicate,
    reordering or discontinuity, video or audio), get as many packets as in the baseline,
    and their latency p99 stays within max(2 x baseline, baseline + 20 ms); the stuck one
    is dropped after writeTimeout (log line, gone from /v3/rtspsessions/list).
  * test_rtsp_readers_over_udp: 3 readers with --rtsp-transport udp lose nothing, map
    latency through the sender reports of the server's RTCP port, and their receiver
    reports reach the server (inboundRTCPPackets of their sessions); TEARDOWN ends them.
  * test_bench_rtsp_fan_scenario: `bench/run rtsp-fan` (4 readers, 4 s) against Sluice:
    every reader connects and the report has the figures.

Needs sluice-camsim and sluice-load (cmake --build build --target sluice-camsim sluice-load).
"""

from __future__ import annotations

import json
import shlex
import time

import pytest
import requests

import sluice_e2e as e2e
from test_audio import av1080  # noqa: F401  (fixture)
from test_camsim import CAMSIM, camsim  # noqa: F401  (fixture)
from test_load import LOAD_BIN, run_load
from test_rtsp_server import RawRtsp, api_start, udp_server

pytestmark = [pytest.mark.skipif(not CAMSIM.exists(), reason=f"{CAMSIM} is not built"),
              pytest.mark.skipif(not LOAD_BIN.exists(), reason=f"{LOAD_BIN} is not built")]

READERS = 20
SECONDS = 8
WRITE_TIMEOUT_S = 4


def check_readers(doc: dict, what: str):
    """Every reader played, read to the end and lost nothing."""
    assert doc["sessions"] == READERS and doc["sessions_connected"] == READERS, (what, doc["sessions_connected"])
    for s in doc["per_session"]:
        label = f"{what}: reader {s['index']}"
        assert s["protocol"] == "rtsp/tcp" and s["error"] is None, (label, s["error"])
        assert s["post_status"] == 200 and s["delete_status"] == 200, (label, s["post_status"], s["delete_status"])
        assert s["ttff_ms"] is not None and s["keyframes"] >= 1, label
        for k in ("lost", "duplicates", "reordered", "discontinuities", "audio_lost", "audio_duplicates",
                  "auth_failures"):
            assert s[k] == 0, (label, k, s[k])
        assert s["audio_packets"] > 0 and s["audio_codec"] == "PCMU", (label, s["audio_codec"])
        assert s["sender_reports"] >= 1 and s["latency_samples"] > 0, label
        assert s["receiver_reports_sent"] >= SECONDS - 2, label
    assert doc["loss_pct"] == 0 and doc["tracks"]["audio"]["loss_pct"] == 0, what


def test_twenty_rtsp_readers_are_not_disturbed_by_a_stuck_one(camsim, av1080, server_factory, tmp_path):  # noqa: F811
    cs = camsim(1, "--clip", av1080, "--audio", "pcmu")
    srv, api = api_start(server_factory, {"cam": {"source": cs.url(1), "rtspTransport": "tcp"}},
                         writeTimeout=f"{WRITE_TIMEOUT_S}s", writeQueueSize=64)
    srv.wait_path("cam", ready=True, timeout=20)
    url = srv.rtsp_url("cam")
    args = ["--url", url, "--sessions", str(READERS), "--quiet"]

    base, _ = run_load(args, tmp_path, SECONDS, name="baseline")
    check_readers(base, "baseline")

    stuck = RawRtsp(srv.rtsp_port, rcvbuf=4096)
    assert stuck.request("DESCRIBE", url)[0] == 200
    status, h = stuck.request("SETUP", url + "/trackID=0", {"Transport": "RTP/AVP/TCP;unicast;interleaved=0-1"})
    assert status == 200, h
    session = h["session"].split(";")[0]
    assert stuck.request("PLAY", url + "/", {"Session": session})[0] == 200
    sessions = requests.get(api + "/v3/rtspsessions/list", timeout=5).json()["items"]
    assert session in [s["id"] for s in sessions], sessions
    # ... and it never reads again, while the 20 read.
    t0 = time.monotonic()
    with_stuck, _ = run_load(args, tmp_path, SECONDS, name="with-stuck")
    check_readers(with_stuck, "with a stuck reader")

    # They got what the baseline got (the stream's rate; nothing held back behind the stuck one).
    least = min(s["packets"] for s in base["per_session"])
    for s in with_stuck["per_session"]:
        assert s["packets"] >= 0.9 * least, (s["index"], s["packets"], least)
    p99_base, p99 = base["latency_ms_p99"], with_stuck["latency_ms_p99"]
    bound = max(2 * p99_base, p99_base + 20)
    print(f"latency p99: {p99_base:.2f} ms baseline, {p99:.2f} ms with a stuck reader (bound {bound:.2f} ms); "
          f"p50 {base['latency_ms_p50']:.2f} / {with_stuck['latency_ms_p50']:.2f} ms")
    assert p99 <= bound, (p99_base, p99)

    # The stuck one was dropped after writeTimeout (while the 20 were reading).
    m = srv.wait_log(rf"\[session {session}\] reader took nothing for {WRITE_TIMEOUT_S * 1000} ms: "
                     r"closing \(writeTimeout\)", max(1.0, 30 - (time.monotonic() - t0)))
    assert m, srv.log_text()[-3000:]
    assert "reader is too slow, discarding packets" in srv.log_text()
    sessions = requests.get(api + "/v3/rtspsessions/list", timeout=5).json()["items"]
    assert session not in [s["id"] for s in sessions], sessions
    assert stuck.closed_by_server(5)
    stuck.close()
    srv.assert_alive()


def test_rtsp_readers_over_udp(camsim, av1080, server_factory, tmp_path):  # noqa: F811
    cs = camsim(1, "--clip", av1080, "--audio", "pcmu")
    srv, api, _, _ = udp_server(server_factory, {"cam": {"source": cs.url(1), "rtspTransport": "tcp"}})
    srv.wait_path("cam", ready=True, timeout=20)
    seconds = 6
    out = tmp_path / "udp.json"
    load = e2e.Proc("load-udp", [str(LOAD_BIN), "--url", srv.rtsp_url("cam"), "--rtsp-transport", "udp",
                                 "--sessions", "3", "--seconds", str(seconds), "--json", str(out)],
                    tmp_path / "load-udp.log").start()
    # Mid-run: three UDP readers, whose receiver reports (one per track a second) arrived.
    readers = []
    for _ in e2e.deadline_loop(seconds - 1, 0.25):
        items = requests.get(api + "/v3/rtspsessions/list", timeout=5).json()["items"]
        readers = [s for s in items if s["state"] == "read"]
        if len(readers) == 3 and all(s["inboundRTCPPackets"] >= 4 for s in readers):
            break
    assert len(readers) == 3 and all(s["transport"] == "UDP" for s in readers), readers
    assert all(s["inboundRTCPPackets"] >= 4 and s["inboundRTCPPacketsInError"] == 0 for s in readers), readers
    for _ in e2e.deadline_loop(seconds + 60, 0.25):
        if not load.alive():
            break
    assert load.proc.poll() == 0, load.log_text()[-3000:]
    doc = json.loads(out.read_text())
    assert doc["sessions"] == 3 and doc["sessions_connected"] == 3, load.log_text()[-3000:]
    for s in doc["per_session"]:
        assert s["protocol"] == "rtsp/udp" and s["error"] is None, s
        assert s["post_status"] == 200 and s["delete_status"] == 200, s
        assert s["lost"] == 0 and s["duplicates"] == 0 and s["audio_lost"] == 0, s
        assert s["packets"] > 0 and s["audio_packets"] > 0 and s["ttff_ms"] is not None, s
        assert s["sender_reports"] >= 1 and s["latency_samples"] > 0, s
        assert s["receiver_reports_sent"] >= 2 * (seconds - 2), s
    # TEARDOWN ended every session.
    for _ in e2e.deadline_loop(5, 0.25):
        items = requests.get(api + "/v3/rtspsessions/list", timeout=5).json()["items"]
        if not items:
            break
    assert not items, items
    srv.assert_alive()


def test_bench_rtsp_fan_scenario(tmp_path):
    out = tmp_path / "bench-out"
    limit = tmp_path / "limit.json"
    limit.write_text(json.dumps({"limit_us_per_packet": 1.0}))  # not measured here: only the wiring is
    cmd = ["/usr/bin/python3", str(e2e.SOURCE_DIR / "bench" / "run"), "rtsp-fan", "--seconds", "4",
           "--viewers-per-stream", "4", "--out", str(out), "--build-dir", str(e2e.BUILD_DIR),
           "--limit-json", str(limit), "--server-cmd", f"{shlex.quote(str(e2e.SLUICE_BIN))} {{config}}"]
    log = tmp_path / "bench-run.log"
    status, _ = e2e.run_bounded(cmd, timeout=300, log_path=log)
    assert status == 0, f"bench/run rtsp-fan failed ({e2e.describe_status(status)}):\n{e2e.tail(log, 8000)}"
    doc = json.loads((out / "rtsp-fan.json").read_text())
    assert doc["sessions"] == 4 and doc["sessions_connected"] == 4, doc
    assert doc["viewer_loss_pct"] == 0 and doc["packets"] > 0 and doc["server_cpu_pct"] is not None, doc
    assert doc["ttff_ms_p50"] is not None and doc["latency_ms_p99"] is not None, doc
    config = next(out.glob("rtsp-fan-run1/server.yml")).read_text()
    assert "rtsp: true" in config and 'rtspTransports: ["tcp"]' in config, config
    load_doc = json.loads(next(out.glob("rtsp-fan-run1/load.json")).read_text())
    assert all(s["protocol"] == "rtsp/tcp" and s["url"].startswith("rtsp://") for s in load_doc["per_session"])
