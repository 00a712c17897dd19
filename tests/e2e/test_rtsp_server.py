"""Sluice's RTSP server (issue 10: TCP interleaved readers and publishers, UDP unicast readers;
UDP publishers: test_rtsp_publish_udp.py).

Readers no one here wrote read from it -- ffprobe, ffmpeg and GStreamer's rtspsrc over TCP and UDP --
a camera Sluice pulls (camsim with the A/V clip and G.711) and a stream ffmpeg publishes into
it, which Chromium also plays through WHEP. Access: Basic credentials as MediaMTX asks for
them. A reader that stops reading is dropped after writeTimeout while another keeps playing.

Every process is started here and stopped by its PID; every wait is bounded; loopback only.
"""

from __future__ import annotations

import base64
import hashlib
import json
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
        self.header_lines = lines[1:]  # every field, repeated ones too (WWW-Authenticate)
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        length = int(headers.get("content-length", "0"))
        while len(self.buf) < length:
            self.buf += self.sock.recv(65536)
        self.body, self.buf = self.buf[:length], self.buf[length:]
        return int(lines[0].split()[1]), headers

    def request_while_playing(self, method: str, url: str, headers: dict) -> tuple[int, list[tuple[int, bytes]]]:
        """A request sent while interleaved frames arrive: its status and the frames before the response."""
        self.cseq += 1
        lines = [f"{method} {url} RTSP/1.0", f"CSeq: {self.cseq}"] + [f"{k}: {v}" for k, v in headers.items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        frames = []
        while True:
            while len(self.buf) < 8:
                self.buf += self.sock.recv(65536)
            if self.buf.startswith(b"RTSP/1.0"):
                status, self.last_headers = self.response()
                return status, frames
            frames.append(self.frame())

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


def digest(user: str, password: str, challenge: str, method: str, uri: str) -> str:
    """The Authorization answering a `Digest realm=..., nonce=...` challenge (RFC 2617, no qop)."""
    fields = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
    realm, nonce = fields["realm"], fields["nonce"]

    def md5(text: str) -> str:
        return hashlib.md5(text.encode()).hexdigest()

    response = md5(f"{md5(f'{user}:{realm}:{password}')}:{nonce}:{md5(f'{method}:{uri}')}")
    return (f'Digest username="{user}", realm="{realm}", nonce="{nonce}", uri="{uri}", '
            f'response="{response}"')


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


def first_video_nal_type(url: str, user_agent: str | None) -> int:
    """PLAYs the stream's video track as a raw RTSP/TCP reader and returns the NAL type of its
    first RTP packet (24: a STAP-A, SPS and PPS ahead of a keyframe; 1 or 28: a P frame)."""
    c = RawRtsp(int(url.split(":")[2].split("/")[0]))
    ua = {"User-Agent": user_agent} if user_agent else {}
    assert c.request("DESCRIBE", url, ua)[0] == 200
    status, h = c.request("SETUP", url + "/trackID=0", {"Transport": "RTP/AVP/TCP;unicast;interleaved=0-1", **ua})
    assert status == 200, h
    assert c.request("PLAY", url + "/", {"Session": h["session"].split(";")[0], **ua})[0] == 200
    while True:
        channel, frame = c.frame()
        if channel == 0:
            c.close()
            return frame[12] & 0x1f


def test_ffmpeg_copies_a_path_into_flv_matroska_mpegts_and_hls(camsim, av1080, server_factory, tmp_path):  # noqa: F811
    """ffmpeg's RTSP demuxer (5.1) gives a session's first video frame no timestamp. When that
    frame was the keyframe Sluice starts readers at, `-c copy` to FLV (RTMP restreaming),
    Matroska, MPEG-TS and HLS stopped at once. ffmpeg readers now start one frame before the
    keyframe (the frame -c copy skips anyway while it waits for one); other readers still
    start at the keyframe itself."""
    cs = camsim(1, "--clip", av1080, "--audio", "pcmu")
    srv, _ = api_start(server_factory, {"cam": {"source": cs.url(1), "rtspTransport": "tcp"}})
    srv.wait_path("cam", ready=True, timeout=20)
    url = srv.rtsp_url("cam")
    time.sleep(1.5)  # a keyframe with a frame before it in the history (the clip's GOP is 1 s)
    assert first_video_nal_type(url, None) == 24
    assert first_video_nal_type(url, "Lavf59.27.100") in (1, 28)
    outputs = {"flv": ["-f", "flv", tmp_path / "out.flv"], "matroska": ["-f", "matroska", tmp_path / "out.mkv"],
               "mpegts": ["-f", "mpegts", tmp_path / "out.ts"],
               "hls": ["-f", "hls", "-hls_time", "1", tmp_path / "out.m3u8"]}
    for name, out in outputs.items():
        r = run(["ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-rtsp_transport", "tcp", "-i", url,
                 "-map", "0:v", "-c", "copy", "-t", "3", *out], 40)
        assert r.returncode == 0, f"{name}: {r.stderr}"
        written = out[-1]
        probe = run(["ffprobe", "-v", "error", "-select_streams", "v", "-show_entries", "packet=pts,flags",
                     "-of", "json", written], 30)
        assert probe.returncode == 0, probe.stderr
        packets = json.loads(probe.stdout)["packets"]
        first, count = packets[0], len(packets)
        print(f"[ffmpeg -c copy -f {name}] {count} video packets, the first {first}")
        assert first["flags"].startswith("K") and first.get("pts") is not None, first
        assert count >= 60, count
    srv.assert_alive()


def test_play_after_pause_sends_no_packet_twice(camsim, av1080, server_factory):  # noqa: F811
    """A reader that pauses and plays again (VLC's pause button, GStreamer going PAUSED) used to
    be started over at the cached keyframe, so it got again packets it had had: sequence numbers
    going back. It now continues where it stopped, or at a newer keyframe."""
    cs = camsim(1, "--clip", av1080, "--audio", "pcmu")
    srv, _ = api_start(server_factory, {"cam": {"source": cs.url(1), "rtspTransport": "tcp"}})
    srv.wait_path("cam", ready=True, timeout=20)
    url = srv.rtsp_url("cam")
    c = RawRtsp(srv.rtsp_port)
    assert c.request("DESCRIBE", url)[0] == 200
    status, h = c.request("SETUP", url + "/trackID=0", {"Transport": "RTP/AVP/TCP;unicast;interleaved=0-1"})
    session = {"Session": h["session"].split(";")[0]}
    assert c.request("SETUP", url + "/trackID=1", {"Transport": "RTP/AVP/TCP;unicast;interleaved=2-3",
                                                    **session})[0] == 200
    for pause_s in (0.2, 1.5):  # within the 1 s GOP, then across a keyframe
        assert c.request_while_playing("PLAY", url + "/", session)[0] == 200
        before = []
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            before.append(c.frame())
        status, more = c.request_while_playing("PAUSE", url + "/", session)
        assert status == 200
        before += more
        time.sleep(pause_s)
        c.sock.settimeout(0.3)  # whatever the socket held when PAUSE took effect
        try:
            while True:
                before.append(c.frame())
        except (TimeoutError, socket.timeout):
            pass
        c.sock.settimeout(10)
        status, after = c.request_while_playing("PLAY", url + "/", session)
        assert status == 200
        resumed_at = re.search(r"trackID=0;seq=(\d+)", c.last_headers.get("rtp-info", ""))
        assert resumed_at, c.last_headers  # RTP-Info names where the video goes on
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            after.append(c.frame())
        for channel in (0, 2):
            sent = [int.from_bytes(f[2:4], "big") for ch, f in before if ch == channel]
            resumed = [int.from_bytes(f[2:4], "big") for ch, f in after if ch == channel]
            jump = (resumed[0] - sent[-1]) & 0xFFFF
            print(f"[pause {pause_s} s] channel {channel}: {sent[0]}..{sent[-1]}, then {resumed[0]}..{resumed[-1]}")
            assert 1 <= jump < 0x8000, (pause_s, channel, sent[-1], resumed[0])  # forward, never back
            assert all((b - a) & 0xFFFF == 1 for a, b in zip(resumed, resumed[1:])), (pause_s, channel)
        # The video goes on with the next packet, or (always after 1.5 s) at a newer keyframe's STAP-A.
        first_video = next(f for ch, f in after if ch == 0)
        assert int(resumed_at.group(1)) == int.from_bytes(first_video[2:4], "big"), resumed_at.group(0)
        last_video = [f for ch, f in before if ch == 0][-1]
        contiguous = (int.from_bytes(first_video[2:4], "big") - int.from_bytes(last_video[2:4], "big")) & 0xFFFF == 1
        at_keyframe = first_video[12] & 0x1F == 24
        assert at_keyframe if pause_s > 1 else (contiguous or at_keyframe), (pause_s, first_video[:16])
        status, _ = c.request_while_playing("PAUSE", url + "/", session)
        assert status == 200
    c.close()
    srv.assert_alive()


def test_aac_and_h265_cameras_are_read_over_rtsp(camsim, server_factory, tmp_path):  # noqa: F811
    """The other codecs of the track layer keep their SDP parameters (AAC config, H.265
    sprop-vps/sps/pps) and decode without a complaint. Both clips are 360p so that ffmpeg's
    decode keeps up on a loaded machine: a reader slower than the stream is moved to the next
    keyframe by design (writeQueueSize), and the frame cut there is a decode error."""
    clips = {}
    for name, codec in (("av264", "h264"), ("av265", "h265")):
        clips[codec] = tmp_path / name
        r = subprocess.run([str(e2e.SOURCE_DIR / "scripts" / "make-av-clip.sh"), str(clips[codec])],
                           capture_output=True, text=True, timeout=120,
                           env={"PATH": "/usr/bin:/bin", "SIZE": "640x360", "CODEC": codec}, stdin=subprocess.DEVNULL)
        assert r.returncode == 0, r.stderr
    h265 = clips["h265"]
    aac = camsim(1, "--clip", clips["h264"].with_suffix(".h264"), "--audio", "aac")
    hevc = camsim(1, "--clip", h265.with_suffix(".h265"))
    srv, api = api_start(server_factory, {"aac": {"source": aac.url(1), "rtspTransport": "tcp"},
                                          "hevc": {"source": hevc.url(1), "rtspTransport": "tcp"}})
    srv.wait_path("aac", ready=True, timeout=20)
    srv.wait_path("hevc", ready=True, timeout=20)
    # The API names profile and level as MediaMTX does ("Main", "3.1"; "3" for level_idc 90 or 30).
    hevc_track = requests.get(api + "/v3/paths/get/hevc", timeout=5).json()["tracks2"][0]
    avc_track = requests.get(api + "/v3/paths/get/aac", timeout=5).json()["tracks2"][0]
    print(f"API tracks2: {hevc_track} {avc_track}")
    assert hevc_track["codec"] == "H265" and hevc_track["codecProps"]["profile"] == "Main", hevc_track
    assert (hevc_track["codecProps"]["width"], hevc_track["codecProps"]["height"]) == (640, 360), hevc_track
    assert avc_track["codec"] == "H264", avc_track
    for track in (hevc_track, avc_track):
        assert re.fullmatch(r"[1-6](\.[1-3])?", track["codecProps"]["level"]), track
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


def udp_server(server_factory, paths: dict, **extra):
    """A server serving UDP readers on its own free RTP/RTCP pair (tests run in parallel)."""
    rtp, rtcp = e2e.free_udp_pair()
    srv, api = api_start(server_factory, paths, rtspTransports=["udp", "tcp"], rtpAddress=f"{e2e.LOOPBACK}:{rtp}",
                         rtcpAddress=f"{e2e.LOOPBACK}:{rtcp}", **extra)
    return srv, api, rtp, rtcp


def udp_socket(timeout: float = 5.0) -> socket.socket:
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    u.bind((e2e.LOOPBACK, 0))
    u.settimeout(timeout)
    return u


def receiver_report(ssrc: int = 0x1234) -> bytes:
    """An RTCP receiver report without report blocks (what players send first)."""
    return bytes([0x80, 201, 0, 1]) + ssrc.to_bytes(4, "big")


def test_pulled_camera_is_read_over_rtsp_udp_by_ffprobe_ffmpeg_and_gstreamer(camsim, av1080, server_factory):  # noqa: F811
    cs = camsim(1, "--clip", av1080, "--audio", "pcmu")
    srv, api, rtp_port, rtcp_port = udp_server(server_factory, {"cam": {"source": cs.url(1), "rtspTransport": "tcp"}})
    srv.wait_path("cam", ready=True, timeout=20)
    assert srv.wait_log(rf"listener opened on .*:{srv.rtsp_port} \(TCP\), .*:{rtp_port} \(UDP/RTP\), "
                        rf".*:{rtcp_port} \(UDP/RTCP\)", 5), srv.log_text()[-2000:]
    url = srv.rtsp_url("cam")

    streams = ffprobe_streams(url, "udp")
    got = sorted((s["codec_type"], s["codec_name"], s.get("sample_rate"), s.get("channels"), s.get("width"),
                  s.get("height")) for s in streams)
    assert got == [("audio", "pcm_mulaw", "8000", 1, None, None), ("video", "h264", None, None, 1920, 1080)], streams
    assert srv.wait_log(r"is reading from path 'cam', with UDP, 2 tracks", 5), srv.log_text()[-2000:]

    progress = ffmpeg_decode(url, "udp", 4)  # asserts no error on stderr
    frames = decoded_frames(progress)
    print(f"ffmpeg decoded {frames} frames in 4 s over RTSP/UDP from Sluice")
    assert frames >= 90, progress[-500:]

    if shutil.which("gst-launch-1.0") and run(["gst-inspect-1.0", "avdec_h264"], 20).returncode == 0:
        ok, out = gst_reached_eos(["rtspsrc", f"location={url}", "protocols=udp", "!", "rtph264depay", "!",
                                   "h264parse", "!", "avdec_h264", "!", "fakesink", "num-buffers=90"])
        assert ok, f"rtspsrc protocols=udp ! avdec_h264: {out}"
        assert len(re.findall(r"is reading from path 'cam', with UDP", srv.log_text())) >= 3

    # A raw UDP reader: RTP from the server's RTP port, a sender report from its RTCP port, and
    # its receiver reports counted for its session in the API.
    rtp_in, rtcp_in = udp_socket(), udp_socket()
    reader = RawRtsp(srv.rtsp_port)
    assert reader.request("DESCRIBE", url)[0] == 200
    ports = f"{rtp_in.getsockname()[1]}-{rtcp_in.getsockname()[1]}"
    status, h = reader.request("SETUP", url + "/trackID=0",
                               {"Transport": f"RTP/AVP;multicast,RTP/AVP;unicast;client_port={ports}"})
    assert status == 200, h
    assert re.fullmatch(rf"RTP/AVP;unicast;client_port={ports};server_port={rtp_port}-{rtcp_port};ssrc=[0-9A-F]{{8}}",
                        h["transport"]), h
    ssrc = int(h["transport"].rsplit("=", 1)[1], 16)
    session = h["session"].split(";")[0]
    status, h = reader.request("PLAY", url + "/", {"Session": session})
    assert status == 200 and "seq=" in h.get("rtp-info", ""), h
    seqs = []
    while len(seqs) < 50:
        data, src = rtp_in.recvfrom(2048)
        assert src == (e2e.LOOPBACK, rtp_port), src
        assert data[0] >> 6 == 2 and int.from_bytes(data[8:12], "big") == ssrc, data[:12]
        seqs.append(int.from_bytes(data[2:4], "big"))
    assert all((b - a) % 65536 == 1 for a, b in zip(seqs, seqs[1:])), seqs
    data, src = rtcp_in.recvfrom(2048)  # the first sender report comes about 0.5 s after PLAY
    assert src == (e2e.LOOPBACK, rtcp_port) and data[1] == 200, (src, data[:8])
    assert int.from_bytes(data[4:8], "big") == ssrc
    for _ in range(3):
        rtcp_in.sendto(receiver_report(), (e2e.LOOPBACK, rtcp_port))
    stranger = udp_socket()
    stranger.sendto(receiver_report(), (e2e.LOOPBACK, rtcp_port))  # unknown address: ignored
    rtcp_in.sendto(b"\x80\xc9\x00\x09garbage", (e2e.LOOPBACK, rtcp_port))  # malformed: ignored
    mine = []
    for _ in e2e.deadline_loop(5):
        sessions = requests.get(api + "/v3/rtspsessions/list", timeout=5).json()["items"]
        mine = [s for s in sessions if s["id"] == session]
        if mine and mine[0]["inboundRTCPPackets"] >= 3:
            break
    assert mine and mine[0]["transport"] == "UDP" and mine[0]["state"] == "read", mine
    assert mine[0]["inboundRTCPPackets"] == 3 and mine[0]["outboundRTPPackets"] >= 50, mine
    for _ in e2e.deadline_loop(3):
        if mine[0]["inboundRTCPPacketsInError"] == 1:
            break
        mine = [s for s in requests.get(api + "/v3/rtspsessions/list", timeout=5).json()["items"] if s["id"] == session]
    assert mine[0]["inboundRTCPPacketsInError"] == 1, mine
    assert {"type": "rtspSession", "id": session} in requests.get(api + "/v3/paths/get/cam", timeout=5).json()["readers"]

    # Keep-alive over the TCP connection, then TEARDOWN: the datagrams stop.
    assert reader.request("GET_PARAMETER", url + "/", {"Session": session})[0] == 200
    assert reader.request("TEARDOWN", url + "/", {"Session": session})[0] == 200
    time.sleep(0.3)
    rtp_in.settimeout(0.2)
    try:
        while True:
            rtp_in.recvfrom(2048)  # what was in flight
    except socket.timeout:
        pass
    rtp_in.settimeout(1.0)
    with pytest.raises(socket.timeout):
        rtp_in.recvfrom(2048)
    for sock in (rtp_in, rtcp_in, stranger):
        sock.close()
    reader.close()
    srv.assert_alive()


def test_udp_setup_refusals(server_factory):
    """461 with the reason logged when no offered transport is served; the connection stays."""
    srv, _, _, _ = udp_server(server_factory, {"demo": {"source": "demo"}, "pub": {}})
    srv.wait_path("demo", ready=True, timeout=20)
    c = RawRtsp(srv.rtsp_port)
    status, _ = c.request("SETUP", srv.rtsp_url("demo") + "/trackID=0",
                          {"Transport": "RTP/AVP;multicast;port=5000-5001, RTP/AVP;unicast"})
    assert status == 461
    assert srv.wait_log(r"461 no offered transport is served: UDP multicast is not enabled \(rtspTransports\); UDP without "
                        r"client_port", 5), srv.log_text()[-2000:]
    assert c.request("OPTIONS", srv.rtsp_url("demo"))[0] == 200  # still connected
    # A publisher over UDP without client_port: 461 too (test_rtsp_publish_udp.py publishes).
    sdp = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=x\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\na=control:streamid=0\r\n"
    p = RawRtsp(srv.rtsp_port)
    assert p.request("ANNOUNCE", srv.rtsp_url("pub"), {"Content-Type": "application/sdp"}, sdp)[0] == 200
    status, _ = p.request("SETUP", srv.rtsp_url("pub") + "/streamid=0",
                          {"Transport": "RTP/AVP;unicast;mode=record"})
    assert status == 461
    assert srv.wait_log(r"461 no offered transport is served: UDP without client_port", 5), srv.log_text()[-2000:]
    srv.assert_alive()


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


def start_publisher(tmp_path, url: str, clip, transport: str = "tcp") -> e2e.Proc:
    argv = ["ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-re", "-stream_loop", "-1", "-i", clip,
            "-c", "copy", "-f", "rtsp", "-rtsp_transport", transport, url]
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


@pytest.fixture(scope="module")
def aac_mkv(av1080, tmp_path_factory):  # noqa: F811
    """The 1080p clip with noise as AAC (48 kHz mono, 64 kbit/s: ~170-byte frames), which ffmpeg's
    RTSP muxer sends as several frames per packet, up to 1,460 bytes: larger than the history's 1,188."""
    out = tmp_path_factory.mktemp("aacmkv") / "aac.mkv"
    r = run(["ffmpeg", "-y", "-hide_banner", "-v", "error", "-f", "h264", "-framerate", "30", "-i", av1080,
             "-f", "lavfi", "-i", "anoisesrc=sample_rate=48000:amplitude=0.2", "-map", "0:v", "-map", "1:a",
             "-c:v", "copy", "-c:a", "aac", "-ac", "1", "-b:a", "64k", "-shortest", out], 60)
    assert r.returncode == 0, r.stderr
    return out


def audio_frames_read(url: str, seconds: float) -> int:
    """Decodes `seconds` of the stream's audio as an RTSP/TCP reader; returns the frames decoded."""
    r = run(["ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-rtsp_transport", "tcp", "-i", url, "-map", "0:a",
             "-t", str(seconds), "-f", "framecrc", "-"], 40)
    assert r.returncode == 0 and r.stderr.strip() == "", r.stderr
    return sum(1 for line in r.stdout.splitlines() if line and not line.startswith("#"))


def assert_published_audio_is_read(srv, path: str, label: str):
    """The publisher's two tracks are announced and an RTSP reader decodes all its AAC frames."""
    srv.wait_path(path, ready=True, timeout=20)
    assert srv.wait_log(rf"is publishing to path '{path}', 2 tracks \(H264, MPEG-4 Audio\)", 5), \
        srv.log_text()[-3000:]
    frames = audio_frames_read(srv.rtsp_url(path), 4)
    print(f"[{label}] an RTSP reader decoded {frames} AAC frames in 4 s (46.9 a second)")
    assert frames >= 160, frames


def test_ffmpeg_publishing_aac_in_large_packets_is_heard_whole(aac_mkv, server_factory, browser_factory, tmp_path):
    """ffmpeg packs AAC frames into packets over the WebRTC payload size; they used to be dropped
    (a reader got one packet in ten). Cut into packets of whole frames, every frame reaches an
    RTSP reader, and the Opus transcoding for browsers gets them all too."""
    srv, api = api_start(server_factory, {"pub": {}})
    pub = start_publisher(tmp_path, srv.rtsp_url("pub"), aac_mkv)
    try:
        assert_published_audio_is_read(srv, "pub", "AAC from ffmpeg")

        b = browser_factory()
        b.open(srv.url("/pub/"))
        s, counts = watch_until_audio(b, 20)
        print(f"[AAC from ffmpeg] viewer: {s}\naudio packets: {counts}")
        assert_plays_with_audio(s, counts, "audio/opus")
        assert "refused so far" not in srv.log_text(), srv.log_text()[-3000:]
        srv.assert_alive()
    finally:
        pub.stop()


@pytest.mark.skipif(not shutil.which("gst-launch-1.0"), reason="GStreamer tools not installed")
def test_gstreamer_publishing_aac_as_latm_is_heard(server_factory, tmp_path):
    """rtspclientsink sends AAC as MP4A-LATM whose config carries a backward-compatible SBR
    signal and ends early; that track used to be skipped without a word (video only), and its
    readers' SDP used to lack the config, which GStreamer's reader cannot play without."""
    for element in ("rtspclientsink", "x264enc", "avenc_aac", "aacparse"):
        if run(["gst-inspect-1.0", element], 20).returncode != 0:
            pytest.skip(f"GStreamer element {element} is not installed")
    srv, _ = api_start(server_factory, {"gst": {}})
    argv = ["gst-launch-1.0", "-q", "rtspclientsink", "name=s", f"location={srv.rtsp_url('gst')}", "protocols=tcp",
            "videotestsrc", "is-live=true", "!", "video/x-raw,width=640,height=360,framerate=30/1", "!",
            "x264enc", "tune=zerolatency", "speed-preset=ultrafast", "key-int-max=30", "!", "h264parse", "!",
            "s.sink_0", "audiotestsrc", "is-live=true", "wave=white-noise", "!", "audioconvert", "!",
            "audioresample", "!", "audio/x-raw,rate=48000,channels=1", "!", "avenc_aac", "bitrate=64000", "!",
            "aacparse", "!", "s.sink_1"]
    pub = e2e.Proc("gst-publisher", argv, tmp_path / "gst-publisher.log").start()
    try:
        assert_published_audio_is_read(srv, "gst", "AAC from GStreamer, LATM")
        assert "cannot carry" not in srv.log_text(), srv.log_text()[-3000:]
        # A GStreamer reader needs the publisher's StreamMuxConfig in the SDP: without it its
        # depayloader never starts and holds the video at its first frame too.
        r = run([str(e2e.TOOLS_DIR / "gst_rtsp_read.py"), srv.rtsp_url("gst"), "--seconds", "4"], 30)
        assert r.returncode == 0, r.stdout + r.stderr
        counts = json.loads(r.stdout.strip().splitlines()[-1])
        print(f"[AAC from GStreamer, LATM] a GStreamer reader decoded {counts} buffers in 4 s")
        assert counts.get("audio", 0) >= 100 and counts.get("video", 0) >= 60, counts
        srv.assert_alive()
    finally:
        pub.stop()


def test_a_publisher_with_b_frames_is_named_and_kept_from_webrtc_readers(server_factory, tmp_path):
    """H.264 with B-frames plays over RTSP but not in browsers (WebRTC has no B-frames): the
    path says so once; a WebRTC viewer watching when the source restarts with B-frames is
    closed with that reason, and a new one gets a 400 saying it, instead of a stalled picture
    (MediaMTX closes such sessions too)."""
    clips = {}
    for name, bf in (("plain", "0"), ("bframes", "2")):
        clips[name] = tmp_path / f"{name}.mkv"
        r = run(["ffmpeg", "-y", "-hide_banner", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30",
                 "-t", "4", "-c:v", "libx264", "-bf", bf, "-g", "30", clips[name]], 60)
        assert r.returncode == 0, r.stderr
    srv, api = api_start(server_factory, {"pub": {"sourceOfflineGrace": "10s"}})
    pub = start_publisher(tmp_path, srv.rtsp_url("pub"), clips["plain"])
    load = None
    try:
        srv.wait_path("pub", ready=True, timeout=20)
        report = tmp_path / "load.json"
        load = e2e.Proc("load", [str(e2e.BUILD_DIR / "bench" / "sluice-load"), "--url", srv.url("/pub/whep"),
                                 "--sessions", "1", "--seconds", "20", "--json", str(report), "--quiet"],
                        tmp_path / "load.log").start()
        sessions = lambda: requests.get(api + "/v3/webrtcsessions/list", timeout=5).json()["items"]  # noqa: E731
        for _ in e2e.deadline_loop(10):
            if [x for x in sessions() if x["state"] == "read"]:
                break
        else:
            raise AssertionError(f"no WebRTC session reads: {sessions()}")
        assert "has B-frames" not in srv.log_text()

        pub.stop()  # the same path, now with B-frames: the viewer is kept over the gap, then closed
        pub = start_publisher(tmp_path, srv.rtsp_url("pub"), clips["bframes"])
        assert srv.wait_log(r"\[path pub\] track 1 \(H264\) has B-frames \(frames out of presentation order\)", 20), \
            srv.log_text()[-3000:]
        assert srv.wait_log(r"closed: track 1 \(H264\) has B-frames", 5), srv.log_text()[-3000:]
        for _ in e2e.deadline_loop(5):
            if not sessions():
                break
        else:
            raise AssertionError(f"the WebRTC session is still listed: {sessions()}")

        from test_access import offer
        resp = requests.post(srv.url("/pub/whep"), data=offer(), headers={"Content-Type": "application/sdp"},
                             timeout=10)
        assert resp.status_code == 400, (resp.status_code, resp.text)
        err = resp.json()["error"]
        assert err.startswith("track 1 (H264) has B-frames") and "-bf 0" in err, err
        assert decoded_frames(ffmpeg_decode_ok(srv.rtsp_url("pub"))) >= 30, "RTSP readers still play it"
        srv.assert_alive()
    finally:
        if load:
            load.stop()
        pub.stop()


def ffmpeg_decode_ok(url: str) -> str:
    """Decodes 2 s over RTSP/TCP; returns the -progress output (errors allowed: B-frames and
    the lead frame make ffmpeg report the missing references of the first frames)."""
    r = run(["ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-rtsp_transport", "tcp", "-i", url, "-t", "2",
             "-f", "null", "-progress", "pipe:1", "-"], 40)
    assert r.returncode == 0, r.stderr
    return r.stdout


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


def test_digest_credentials(server_factory):
    """rtspAuthMethods: [digest]: the 401 is a Digest challenge with the connection's nonce,
    ffmpeg authenticates with it and decodes, wrong credentials (ffmpeg's, an answer to another
    connection's nonce, Basic) get 401 after the pause and the connection closes."""
    users = [{"user": "viewer", "pass": "secret", "ips": [], "permissions": [{"action": "read"}]}]
    srv = server_factory({"demo": {"source": "demo"}}, log_level="info",
                         extra={"authInternalUsers": users, "rtspAuthMethods": ["digest"]})
    srv.wait_path("demo", ready=True, timeout=20)
    url = srv.rtsp_url("demo")

    c = RawRtsp(srv.rtsp_port)
    status, h = c.request("DESCRIBE", url)
    challenges = [v.strip() for k, _, v in (line.partition(":") for line in c.header_lines)
                  if k.lower() == "www-authenticate"]
    assert status == 401 and len(challenges) == 1, c.header_lines
    assert re.fullmatch(r'Digest realm="ipcam", nonce="[0-9a-f]{32}", algorithm="MD5"', challenges[0]), challenges
    status, h = c.request("DESCRIBE", url, {"Authorization": digest("viewer", "secret", challenges[0], "DESCRIBE", url)})
    assert status == 200 and b"m=video" in c.body, h

    # The same answer on another connection (another nonce) is a wrong one: 401 after the pause, closed.
    other = RawRtsp(srv.rtsp_port)
    t0 = time.monotonic()
    status, _ = other.request("DESCRIBE", url,
                              {"Authorization": digest("viewer", "secret", challenges[0], "DESCRIBE", url)})
    assert status == 401 and time.monotonic() - t0 <= 4.5
    assert other.closed_by_server(3), "wrong credentials must close the connection"
    # Basic is not offered, so Basic credentials are wrong ones too.
    b = RawRtsp(srv.rtsp_port)
    status, _ = b.request("DESCRIBE", url, {"Authorization": basic("viewer", "secret")})
    assert status == 401
    assert b.closed_by_server(3)

    # ffmpeg answers the Digest challenge itself and decodes; a wrong password fails.
    out = ffmpeg_decode(f"rtsp://viewer:secret@127.0.0.1:{srv.rtsp_port}/demo", "tcp", 2)
    assert "progress=end" in out and decoded_frames(out) >= 10, out
    r = run(["ffprobe", "-v", "error", "-rtsp_transport", "tcp", f"rtsp://viewer:nope@127.0.0.1:{srv.rtsp_port}/demo"], 30)
    assert r.returncode != 0
    assert "401" in r.stderr or "Unauthorized" in r.stderr, r.stderr


def test_both_auth_methods_are_offered_in_order(server_factory):
    users = [{"user": "viewer", "pass": "secret", "ips": [], "permissions": [{"action": "read"}]}]
    srv = server_factory({"demo": {"source": "demo"}}, log_level="info",
                         extra={"authInternalUsers": users, "rtspAuthMethods": ["digest", "basic"]})
    srv.wait_path("demo", ready=True, timeout=20)
    url = srv.rtsp_url("demo")
    c = RawRtsp(srv.rtsp_port)
    status, _ = c.request("DESCRIBE", url)
    challenges = [v.strip() for k, _, v in (line.partition(":") for line in c.header_lines)
                  if k.lower() == "www-authenticate"]
    assert status == 401 and len(challenges) == 2, c.header_lines
    assert challenges[0].startswith('Digest realm="ipcam", nonce="') and challenges[1] == 'Basic realm="ipcam"'
    status, _ = c.request("DESCRIBE", url, {"Authorization": basic("viewer", "secret")})
    assert status == 200
    # ffmpeg picks Digest when offered; either way it reads.
    r = run(["ffprobe", "-v", "error", "-rtsp_transport", "tcp", "-show_entries", "stream=codec_name", "-of", "csv",
             f"rtsp://viewer:secret@127.0.0.1:{srv.rtsp_port}/demo"], 30)
    assert r.returncode == 0 and "h264" in r.stdout, r.stderr


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


def test_redirect_paths_send_rtsp_readers_elsewhere(camsim, server_factory):
    """`source: redirect` as in MediaMTX: DESCRIBE answers 301 with the target (a path of this
    server, given with the scheme and host the client used, or another server's URL); ffmpeg and
    GStreamer follow it and play; the API shows the source as `redirect`; WHEP gets 404. A path's
    `fallback` does the same while the path has no stream."""
    cs = camsim(1)
    srv, api = api_start(server_factory, {"demo": {"source": "demo"},
                                          "moved": {"source": "redirect", "sourceRedirect": "/demo"},
                                          "away": {"source": "redirect", "sourceRedirect": cs.url(1)},
                                          "pub": {"fallback": "/demo"}})
    srv.wait_path("demo", ready=True, timeout=20)
    c = RawRtsp(srv.rtsp_port)
    status, h = c.request("DESCRIBE", srv.rtsp_url("moved") + "?x=1")
    assert status == 301 and h.get("location") == srv.rtsp_url("demo"), (status, h)
    status, h = c.request("DESCRIBE", srv.rtsp_url("away"))
    assert status == 301 and h.get("location") == cs.url(1), (status, h)

    # fallback: a path without a stream (nobody publishes) sends its RTSP readers there.
    status, h = c.request("DESCRIBE", srv.rtsp_url("pub"))
    assert status == 301 and h.get("location") == srv.rtsp_url("demo"), (status, h)
    for name in ("moved", "away", "pub"):
        streams = ffprobe_streams(srv.rtsp_url(name), "tcp")
        assert [s["codec_name"] for s in streams] == ["h264"], (name, streams)
    r = run([e2e.PYTHON, e2e.TOOLS_DIR / "gst_rtsp_read.py", "--seconds", "3", srv.rtsp_url("moved")], 30)
    assert r.returncode == 0 and json.loads(r.stdout.strip().splitlines()[-1]).get("video", 0) >= 30, \
        (r.stdout, r.stderr)

    moved = requests.get(api + "/v3/paths/get/moved", timeout=5).json()
    assert moved["source"] == {"type": "redirect", "id": ""} and not moved["ready"], moved
    resp = requests.post(srv.url("/moved/whep"), data="v=0\r\n", headers={"Content-Type": "application/sdp"},
                         timeout=5)
    assert resp.status_code == 404, (resp.status_code, resp.text)
    assert "open http://localhost" not in "".join(l for l in srv.log_text().splitlines() if "'moved'" in l)
    srv.assert_alive()
