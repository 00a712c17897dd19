"""Sluice's RTSP server (issue 10, first slice: TCP interleaved readers and publishers).

Readers no one here wrote read from it -- ffprobe, ffmpeg and GStreamer's rtspsrc over TCP --
a camera Sluice pulls (camsim with the A/V clip and G.711) and a stream ffmpeg publishes into
it, which Chromium also plays through WHEP. Access: Basic credentials as MediaMTX asks for
them. A reader that stops reading is dropped after writeTimeout while another keeps playing.

Every process is started here and stopped by its PID; every wait is bounded; loopback only.
"""

from __future__ import annotations

import base64
import re
import shutil
import socket
import subprocess
import time

import pytest
import requests

import sluice_e2e as e2e
from test_audio import assert_plays_with_audio, av1080, watch_until_audio  # noqa: F401  (fixture)
from test_camsim import CAMSIM, camsim, ffmpeg_decode, ffprobe_streams, gst_reached_eos, run  # noqa: F401

pytestmark = pytest.mark.skipif(not CAMSIM.exists(), reason=f"{CAMSIM} is not built")


def decoded_frames(progress: str) -> int:
    frames = re.findall(r"^frame=(\d+)", progress, re.M)
    return int(frames[-1]) if frames else 0


def api_start(server_factory, paths: dict, **extra):
    api_port = e2e.free_port("tcp")
    srv = server_factory(paths, log_level="info",
                         extra={"api": True, "apiAddress": f"{e2e.LOOPBACK}:{api_port}", **extra})
    return srv, f"http://{e2e.LOOPBACK}:{api_port}"


# --------------------------------------------------------------------------------------
# A raw RTSP client, for what the players do not show (status codes, headers, a reader that
# never reads)


class RawRtsp:
    def __init__(self, port: int, rcvbuf: int | None = None, timeout: float = 10.0):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        self.sock.connect((e2e.LOOPBACK, port))
        self.buf = b""
        self.cseq = 0

    def request(self, method: str, url: str, headers: dict | None = None, body: str = "") -> tuple[int, dict]:
        self.cseq += 1
        lines = [f"{method} {url} RTSP/1.0", f"CSeq: {self.cseq}"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        if body:
            lines.append(f"Content-Length: {len(body)}")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n" + body).encode())
        return self.response()

    def response(self) -> tuple[int, dict]:
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed by the server")
            self.buf += chunk
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode().split("\r\n")
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        length = int(headers.get("content-length", "0"))
        while len(self.buf) < length:
            self.buf += self.sock.recv(65536)
        self.body, self.buf = self.buf[:length], self.buf[length:]
        return int(lines[0].split()[1]), headers

    def frame(self) -> tuple[int, bytes]:
        """The next interleaved frame: (channel, bytes)."""
        while len(self.buf) < 4 or len(self.buf) < 4 + int.from_bytes(self.buf[2:4], "big"):
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed by the server")
            self.buf += chunk
        assert self.buf[0:1] == b"$", self.buf[:16]
        n = int.from_bytes(self.buf[2:4], "big")
        channel, frame, self.buf = self.buf[1], self.buf[4:4 + n], self.buf[4 + n:]
        return channel, frame

    def closed_by_server(self, timeout: float) -> bool:
        self.sock.settimeout(timeout)
        try:
            while True:
                if not self.sock.recv(65536):
                    return True
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False

    def close(self):
        self.sock.close()


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


# --------------------------------------------------------------------------------------


def test_pulled_camera_is_read_over_rtsp_tcp_by_ffprobe_ffmpeg_and_gstreamer(camsim, av1080, server_factory):  # noqa: F811
    cs = camsim(1, "--clip", av1080, "--audio", "pcmu")
    srv, api = api_start(server_factory, {"cam": {"source": cs.url(1), "rtspTransport": "tcp"}})
    srv.wait_path("cam", ready=True, timeout=20)
    url = srv.rtsp_url("cam")

    streams = ffprobe_streams(url, "tcp")
    got = sorted((s["codec_type"], s["codec_name"], s.get("sample_rate"), s.get("channels"), s.get("width"),
                  s.get("height")) for s in streams)
    assert got == [("audio", "pcm_mulaw", "8000", 1, None, None), ("video", "h264", None, None, 1920, 1080)], streams

    progress = ffmpeg_decode(url, "tcp", 4)  # asserts no error on stderr
    frames = decoded_frames(progress)
    print(f"ffmpeg decoded {frames} frames in 4 s over RTSP/TCP from Sluice")
    assert frames >= 90, progress[-500:]

    if shutil.which("gst-launch-1.0") and run(["gst-inspect-1.0", "avdec_h264"], 20).returncode == 0:
        ok, out = gst_reached_eos(["rtspsrc", f"location={url}", "protocols=tcp", "!", "rtph264depay", "!",
                                   "h264parse", "!", "avdec_h264", "!", "fakesink", "num-buffers=90"])
        assert ok, f"rtspsrc ! avdec_h264: {out}"

    # A reader shows up in the API while it plays.
    reader = RawRtsp(srv.rtsp_port)
    assert reader.request("DESCRIBE", url)[0] == 200
    status, h = reader.request("SETUP", url + "/trackID=0", {"Transport": "RTP/AVP/TCP;unicast;interleaved=0-1"})
    assert status == 200 and h["session"].endswith(";timeout=55"), h
    assert h["server"] == "sluice", h
    session = h["session"].split(";")[0]
    status, h = reader.request("PLAY", url + "/", {"Session": session})
    assert status == 200 and "rtp-info" in h and "seq=" in h["rtp-info"], h
    # Interleaved RTP on channel 0 and, within about a second, a sender report on channel 1.
    rtp_seen, sr = 0, None
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and sr is None:
        channel, frame = reader.frame()
        if channel == 0:
            assert frame[0] >> 6 == 2, frame[:12]
            rtp_seen += 1
        elif channel == 1 and frame[1] == 200:
            sr = frame
    assert rtp_seen > 0 and sr is not None, f"{rtp_seen} RTP packets, sender report: {sr}"
    sessions = requests.get(api + "/v3/rtspsessions/list", timeout=5).json()["items"]
    mine = [s for s in sessions if s["id"] == session]
    assert mine and mine[0]["state"] == "read" and mine[0]["path"] == "cam" and mine[0]["transport"] == "TCP", sessions
    cam = requests.get(api + "/v3/paths/get/cam", timeout=5).json()
    assert {"type": "rtspSession", "id": session} in cam["readers"], cam
    assert requests.get(api + "/v3/rtspconns/list", timeout=5).json()["itemCount"] >= 1
    reader.close()
    srv.assert_alive()


def test_aac_and_h265_cameras_are_read_over_rtsp(camsim, av1080, server_factory, tmp_path):  # noqa: F811
    """The other codecs of the track layer keep their SDP parameters (AAC config, H.265
    sprop-vps/sps/pps) and decode without a complaint."""
    h265 = tmp_path / "av265"
    r = subprocess.run([str(e2e.SOURCE_DIR / "scripts" / "make-av-clip.sh"), str(h265)], capture_output=True,
                       text=True, timeout=120, env={"PATH": "/usr/bin:/bin", "SIZE": "640x360", "CODEC": "h265"},
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr
    aac = camsim(1, "--clip", av1080, "--audio", "aac")
    hevc = camsim(1, "--clip", h265.with_suffix(".h265"))
    srv = server_factory({"aac": {"source": aac.url(1), "rtspTransport": "tcp"},
                          "hevc": {"source": hevc.url(1), "rtspTransport": "tcp"}}, log_level="info")
    srv.wait_path("aac", ready=True, timeout=20)
    srv.wait_path("hevc", ready=True, timeout=20)
    streams = ffprobe_streams(srv.rtsp_url("aac"), "tcp")
    got = sorted((s["codec_name"], s.get("sample_rate"), s.get("channels")) for s in streams)
    assert got == [("aac", "48000", 1), ("h264", None, None)], streams
    assert decoded_frames(ffmpeg_decode(srv.rtsp_url("aac"), "tcp", 3)) >= 60
    streams = ffprobe_streams(srv.rtsp_url("hevc"), "tcp")
    assert [(s["codec_name"], s.get("width"), s.get("height")) for s in streams] == [("hevc", 640, 360)], streams
    assert decoded_frames(ffmpeg_decode(srv.rtsp_url("hevc"), "tcp", 3)) >= 60
    srv.assert_alive()


def test_on_demand_camera_starts_for_an_rtsp_reader(camsim, av1080, server_factory):  # noqa: F811
    """A DESCRIBE waits for an on-demand source to come up, as MediaMTX's does."""
    cs = camsim(1, "--clip", av1080, "--audio", "pcmu")
    srv = server_factory({"od": {"source": cs.url(1), "rtspTransport": "tcp", "sourceOnDemand": True}},
                         log_level="info")
    assert srv.path_ready("od") is False
    streams = ffprobe_streams(srv.rtsp_url("od"), "tcp")
    assert sorted(s["codec_name"] for s in streams) == ["h264", "pcm_mulaw"], streams
    assert "starting source on demand" in srv.log_text()


def test_udp_setup_is_unsupported_transport_and_unknown_paths_close(camsim, av1080, server_factory):  # noqa: F811
    srv = server_factory({"demo": {"source": "demo"}}, log_level="info")
    srv.wait_path("demo", ready=True, timeout=20)
    c = RawRtsp(srv.rtsp_port)
    status, _ = c.request("SETUP", srv.rtsp_url("demo") + "/trackID=0",
                          {"Transport": "RTP/AVP;unicast;client_port=5000-5001"})
    assert status == 461
    assert c.request("OPTIONS", srv.rtsp_url("demo"))[0] == 200  # still connected
    assert c.request("DESCRIBE", srv.rtsp_url("nothing"))[0] == 400  # not configured
    assert c.closed_by_server(3), "an error response must close the connection, as MediaMTX does"


@pytest.fixture(scope="module")
def av_mkv(av1080, tmp_path_factory):  # noqa: F811
    """The 1080p A/V clip (H.264 + G.711) in one file, which ffmpeg can loop."""
    out = tmp_path_factory.mktemp("avmkv") / "av.mkv"
    r = run(["ffmpeg", "-y", "-hide_banner", "-v", "error", "-f", "h264", "-framerate", "30", "-i", av1080,
             "-f", "mulaw", "-ar", "8000", "-ac", "1", "-i", av1080.with_suffix(".pcmu"), "-map", "0:v", "-map",
             "1:a", "-c", "copy", out], 60)
    assert r.returncode == 0, r.stderr
    return out


def start_publisher(tmp_path, url: str, clip) -> e2e.Proc:
    argv = ["ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-re", "-stream_loop", "-1", "-i", clip,
            "-c", "copy", "-f", "rtsp", "-rtsp_transport", "tcp", url]
    return e2e.Proc("publisher", [str(a) for a in argv], tmp_path / "publisher.log").start()


def test_ffmpeg_publishes_and_chromium_plays_it_via_whep(av_mkv, server_factory, browser_factory, tmp_path):
    srv, api = api_start(server_factory, {"pub": {}, "cam": {"source": "demo"}})
    pub = start_publisher(tmp_path, srv.rtsp_url("pub"), av_mkv)
    try:
        srv.wait_path("pub", ready=True, timeout=20)
        assert srv.wait_log(r"is publishing to path 'pub', 2 tracks \(H264, G711\)", 5), srv.log_text()[-3000:]
        path = requests.get(api + "/v3/paths/get/pub", timeout=5).json()
        assert path["source"]["type"] == "rtspSession", path
        assert path["tracks"] == ["H264", "G711"], path

        b = browser_factory()
        b.open(srv.url("/pub/"))
        s, counts = watch_until_audio(b, 20)
        print(f"[published] viewer: {s}\naudio packets: {counts}")
        assert_plays_with_audio(s, counts, "audio/pcmu")

        streams = ffprobe_streams(srv.rtsp_url("pub"), "tcp")
        assert sorted(s["codec_name"] for s in streams) == ["h264", "pcm_mulaw"], streams
        progress = ffmpeg_decode(srv.rtsp_url("pub"), "tcp", 4)
        assert decoded_frames(progress) >= 90, progress[-500:]

        # A path with a camera source refuses publishers with MediaMTX's 400.
        c = RawRtsp(srv.rtsp_port)
        sdp = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=x\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\na=control:streamid=0\r\n"
        status, _ = c.request("ANNOUNCE", srv.rtsp_url("cam"), {"Content-Type": "application/sdp"}, sdp)
        assert status == 400
        assert "can't publish to path 'cam' since 'source' is not 'publisher'" in srv.log_text()
        srv.assert_alive()
    finally:
        pub.stop()


def test_credentials(av_mkv, server_factory, tmp_path):
    users = [
        {"user": "viewer", "pass": "secret", "ips": [], "permissions": [{"action": "read"}]},
        {"user": "pusher", "pass": "push", "ips": [], "permissions": [{"action": "publish"}]},
    ]
    srv = server_factory({"demo": {"source": "demo"}, "pub": {}}, log_level="info",
                         extra={"authInternalUsers": users})
    srv.wait_path("demo", ready=True, timeout=20)
    url = srv.rtsp_url("demo")

    c = RawRtsp(srv.rtsp_port)
    status, h = c.request("DESCRIBE", url)
    assert status == 401 and h.get("www-authenticate") == 'Basic realm="ipcam"', h
    status, h = c.request("DESCRIBE", url, {"Authorization": basic("viewer", "secret")})  # same connection
    assert status == 200 and b"m=video" in c.body, h

    wrong = RawRtsp(srv.rtsp_port)
    t0 = time.monotonic()
    status, _ = wrong.request("DESCRIBE", url, {"Authorization": basic("viewer", "nope")})
    assert status == 401 and time.monotonic() - t0 <= 4.5
    assert wrong.closed_by_server(3), "wrong credentials must close the connection"

    # ffmpeg with and without the right password.
    r = run(["ffprobe", "-v", "error", "-rtsp_transport", "tcp", f"rtsp://viewer:nope@127.0.0.1:{srv.rtsp_port}/demo"], 30)
    assert r.returncode != 0
    r = run(["ffprobe", "-v", "error", "-rtsp_transport", "tcp", "-show_entries", "stream=codec_name", "-of", "csv",
             f"rtsp://viewer:secret@127.0.0.1:{srv.rtsp_port}/demo"], 30)
    assert r.returncode == 0 and "h264" in r.stdout, r.stderr

    # Publishing needs `publish`: the viewer is refused, the pusher publishes.
    sdp = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=x\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\na=control:streamid=0\r\n"
    p = RawRtsp(srv.rtsp_port)
    status, _ = p.request("ANNOUNCE", srv.rtsp_url("pub"),
                          {"Content-Type": "application/sdp", "Authorization": basic("viewer", "secret")}, sdp)
    assert status == 401
    pub = start_publisher(tmp_path, f"rtsp://pusher:push@127.0.0.1:{srv.rtsp_port}/pub", av_mkv)
    try:
        srv.wait_path("pub", ready=True, timeout=20)
    finally:
        pub.stop()


def test_a_reader_that_stops_reading_is_dropped_and_others_keep_playing(camsim, av1080, server_factory):  # noqa: F811
    cs = camsim(1, "--clip", av1080, "--audio", "pcmu")
    srv, api = api_start(server_factory, {"cam": {"source": cs.url(1), "rtspTransport": "tcp"}},
                         writeTimeout="2s", writeQueueSize=64)
    srv.wait_path("cam", ready=True, timeout=20)
    url = srv.rtsp_url("cam")

    stuck = RawRtsp(srv.rtsp_port, rcvbuf=4096)
    assert stuck.request("DESCRIBE", url)[0] == 200
    status, h = stuck.request("SETUP", url + "/trackID=0", {"Transport": "RTP/AVP/TCP;unicast;interleaved=0-1"})
    session = h["session"].split(";")[0]
    assert stuck.request("PLAY", url + "/", {"Session": session})[0] == 200
    # ... and never reads again. Meanwhile another reader decodes for 8 s without a loss.
    t0 = time.monotonic()
    progress = ffmpeg_decode(url, "tcp", 8)
    frames = decoded_frames(progress)
    print(f"the other reader decoded {frames} frames in 8 s while one reader was stuck")
    assert frames >= 8 * 30 - 10, progress[-500:]
    m = srv.wait_log(r"reader took nothing for 2000 ms: closing \(writeTimeout\)", max(1.0, 30 - (time.monotonic() - t0)))
    assert m, srv.log_text()[-3000:]
    assert "reader is too slow, discarding packets" in srv.log_text()
    sessions = requests.get(api + "/v3/rtspsessions/list", timeout=5).json()["items"]
    assert session not in [s["id"] for s in sessions], sessions
    stuck.close()
    srv.assert_alive()
