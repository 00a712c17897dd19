"""RTSP publishing over UDP (ANNOUNCE, SETUP with client_port;mode=record, RECORD).

Publishers no one here wrote push into Sluice over UDP -- ffmpeg (`-rtsp_transport udp`) with
the 1080p A/V clip (H.264 + G.711) and GStreamer's rtspclientsink (protocols=udp) with H.264 --
and real readers take the stream back out: ffprobe and ffmpeg over RTSP/TCP and RTSP/UDP,
Chromium over WHEP. A publisher whose datagrams stop while its TCP connection stays open
(SIGSTOP) is closed after readTimeout and its path becomes not ready, as MediaMTX does.

Every process is started here and stopped by its PID; every wait is bounded; loopback only.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import time

import pytest
import requests

import sluice_e2e as e2e
from test_audio import assert_plays_with_audio, av1080, watch_until_audio  # noqa: F401  (fixture)
from test_camsim import ffmpeg_decode, ffprobe_streams, run
from test_rtsp_server import RawRtsp, av_mkv, decoded_frames, start_publisher, udp_server  # noqa: F401  (fixture)


def publisher_session(api: str, path: str) -> dict | None:
    for s in requests.get(api + "/v3/rtspsessions/list", timeout=5).json()["items"]:
        if s["state"] == "publish" and s["path"] == path:
            return s
    return None


def test_ffmpeg_publishes_over_udp_and_is_read_over_rtsp_and_whep(av_mkv, server_factory, browser_factory,
                                                                   tmp_path):
    srv, api, rtp_port, rtcp_port = udp_server(server_factory, {"pub": {}}, readTimeout="3s")
    pub = start_publisher(tmp_path, srv.rtsp_url("pub"), av_mkv, transport="udp")
    try:
        srv.wait_path("pub", ready=True, timeout=20)
        assert srv.wait_log(r"is publishing to path 'pub', 2 tracks \(H264, G711\)", 5), \
            srv.log_text()[-3000:]
        path = requests.get(api + "/v3/paths/get/pub", timeout=5).json()
        assert path["source"]["type"] == "rtspSession" and path["tracks"] == ["H264", "G711"], path

        # The API shows the publisher over UDP, its counters growing.
        first = publisher_session(api, "pub")
        assert first is not None and first["transport"] == "UDP", first
        time.sleep(1.5)
        later = publisher_session(api, "pub")
        assert later["inboundBytes"] > first["inboundBytes"] > 0, (first, later)
        assert later["inboundRTPPackets"] > first["inboundRTPPackets"] > 0, (first, later)
        assert later["inboundRTCPPackets"] >= 1, later  # ffmpeg's sender reports, on the RTCP port
        assert later["inboundRTPPacketsJitter"] > 0, later  # a frame's packets share a timestamp
        print(f"[publisher over UDP] {later}")

        # A stranger's datagrams to the pair reach no session and disturb nothing.
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as stranger:
            stranger.bind((e2e.LOOPBACK, 0))
            for _ in range(20):
                stranger.sendto(bytes([0x80, 96]) + os.urandom(200), (e2e.LOOPBACK, rtp_port))
                stranger.sendto(bytes([0x80, 200, 0, 6]) + os.urandom(24), (e2e.LOOPBACK, rtcp_port))

        for transport in ("tcp", "udp"):
            streams = ffprobe_streams(srv.rtsp_url("pub"), transport)
            got = sorted((s["codec_type"], s["codec_name"], s.get("width"), s.get("height")) for s in streams)
            assert got == [("audio", "pcm_mulaw", None, None), ("video", "h264", 1920, 1080)], (transport, streams)
            progress = ffmpeg_decode(srv.rtsp_url("pub"), transport, 4)
            frames = decoded_frames(progress)
            print(f"ffmpeg decoded {frames} frames in 4 s over RTSP/{transport.upper()} of a UDP publisher")
            assert frames >= 90, progress[-500:]

        b = browser_factory()
        b.open(srv.url("/pub/"))
        s, counts = watch_until_audio(b, 20)
        print(f"[published over UDP] viewer: {s}\naudio packets: {counts}")
        assert_plays_with_audio(s, counts, "audio/pcmu")
        now = publisher_session(api, "pub")  # still the same publisher, receiver reports sent to it
        assert now is not None and now["id"] == first["id"] and now["outboundRTCPPackets"] >= 1, now
        assert len(re.findall(r"is publishing to path 'pub'", srv.log_text())) == 1

        # The publisher freezes: its TCP connection stays open, its datagrams stop. After
        # readTimeout (3 s) the session is closed and the path is not ready any more.
        os.kill(pub.pid, signal.SIGSTOP)
        stopped = time.monotonic()
        try:
            srv.wait_path("pub", ready=False, timeout=10)
            waited = time.monotonic() - stopped
            assert 2.0 <= waited <= 8.0, waited
            assert srv.wait_log(r"no UDP packets received for 3000 ms: closing \(readTimeout\)", 5), \
                srv.log_text()[-3000:]
            assert publisher_session(api, "pub") is None
        finally:
            os.kill(pub.pid, signal.SIGCONT)
        srv.assert_alive()
    finally:
        pub.stop()


@pytest.mark.skipif(not shutil.which("gst-launch-1.0"), reason="GStreamer tools not installed")
def test_gstreamer_rtspclientsink_publishes_over_udp(server_factory, tmp_path):
    for element in ("rtspclientsink", "x264enc", "h264parse"):
        if run(["gst-inspect-1.0", element], 20).returncode != 0:
            pytest.skip(f"GStreamer element {element} is not installed")
    srv, api, _, _ = udp_server(server_factory, {"gst": {}})
    argv = ["gst-launch-1.0", "-q", "videotestsrc", "is-live=true", "pattern=ball", "!",
            "video/x-raw,width=640,height=360,framerate=30/1", "!",
            "x264enc", "tune=zerolatency", "speed-preset=ultrafast", "key-int-max=30", "bitrate=1000", "!",
            "video/x-h264,profile=constrained-baseline", "!", "h264parse", "config-interval=-1", "!",
            "rtspclientsink", f"location={srv.rtsp_url('gst')}", "protocols=udp"]
    pub = e2e.Proc("gst-publisher", argv, tmp_path / "gst-publisher.log").start()
    try:
        srv.wait_path("gst", ready=True, timeout=20)
        assert srv.wait_log(r"is publishing to path 'gst', 1 track \(H264\)", 5), srv.log_text()[-3000:]
        session = publisher_session(api, "gst")
        assert session is not None and session["transport"] == "UDP", session

        streams = ffprobe_streams(srv.rtsp_url("gst"), "tcp")
        got = [(s["codec_type"], s["codec_name"], s.get("width"), s.get("height")) for s in streams]
        assert got == [("video", "h264", 640, 360)], streams
        progress = ffmpeg_decode(srv.rtsp_url("gst"), "udp", 3)
        frames = decoded_frames(progress)
        print(f"ffmpeg decoded {frames} frames in 3 s of GStreamer's UDP publication")
        assert frames >= 60, progress[-500:]
        later = publisher_session(api, "gst")
        assert later["inboundBytes"] > session["inboundBytes"], (session, later)
        srv.assert_alive()
    finally:
        pub.stop()
    srv.wait_path("gst", ready=False, timeout=10)
