"""One RTSP reader that stops reading must not disturb the others.

  * test_twenty_rtsp_readers_are_not_disturbed_by_a_stuck_one: camsim (H.264 1080p30 +
    PCMU) -> Sluice; 20 RTSP/TCP readers (sluice-load --url rtsp://...) for 8 s as a
    baseline, then again while a 21st reader (a raw socket with a 4 KiB receive buffer) has
    played and never reads. The 20 lose nothing in either run (no gap, duplicate,
    reordering or discontinuity, video or audio), get as many packets as in the baseline,
    and their latency p99 stays within max(2 x baseline, baseline + 20 ms); the stuck one
    is dropped after writeTimeout (log line, gone from /v3/rtspsessions/list).

Needs sluice-camsim and sluice-load (cmake --build build --target sluice-camsim sluice-load).
"""

from __future__ import annotations

import time

import pytest
import requests

import sluice_e2e as e2e
from test_audio import av1080  # noqa: F401  (fixture)
from test_camsim import CAMSIM, camsim  # noqa: F401  (fixture)
from test_load import LOAD_BIN, run_load
from test_rtsp_server import RawRtsp, api_start

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
