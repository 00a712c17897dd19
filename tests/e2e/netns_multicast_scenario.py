#!/usr/bin/python3
"""RTSP readers over UDP multicast, for test_rtsp_multicast.py.

Run INSIDE a private network namespace (sluice_e2e.netns_command): multicast needs an
interface that carries it, so this script turns multicast on for the namespace's own lo
and routes 224.0.0.0/4 there -- nothing leaves the namespace. Then: camsim (the 1080p A/V
clip with G.711) -> Sluice, which serves multicast from a test range; ffprobe, ffmpeg (two
at once) and GStreamer's rtspsrc read it with their multicast transports; a raw socket
joined to a group sees that the sender stops once the last reader left.

Every process is stopped by its PID; every wait is bounded. The last stdout line is
`SCENARIO-RESULT {json}`.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sluice_e2e as e2e  # noqa: E402

RANGE = "239.5.0.0/16"
PUBLISH_TRANSPORTS = ("tcp", "udp")  # how ffmpeg publishes the camera's stream into a path of its own


def run(argv: list[str], timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def ffmpeg_frames(url: str, seconds: float) -> tuple[int, str]:
    r = run(["ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-rtsp_transport", "udp_multicast", "-i", url,
             "-t", str(seconds), "-f", "null", "-progress", "pipe:1", "-"], 60)
    frames = re.findall(r"^frame=(\d+)", r.stdout, re.M)
    return (int(frames[-1]) if frames else 0), f"rc={r.returncode} {r.stderr[-1500:]}"


def rtsp_exchange(port: int, url: str, requests: list[tuple[str, str, dict]]) -> list[tuple[int, dict]]:
    """Plain RTSP requests on one connection: (status, lower-cased headers) of each; the
    Session of a response is carried into the next request."""
    sock = socket.create_connection((e2e.LOOPBACK, port), timeout=10)
    buf, out, session = b"", [], None
    try:
        for cseq, (method, uri, headers) in enumerate(requests, 1):
            lines = [f"{method} {uri} RTSP/1.0", f"CSeq: {cseq}"] + [f"{k}: {v}" for k, v in headers.items()]
            if session:
                lines.append(f"Session: {session}")
            sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
            while b"\r\n\r\n" not in buf:
                chunk = sock.recv(65536)
                if not chunk:
                    raise AssertionError(f"connection closed after {method}")
                buf += chunk
            head, buf = buf.split(b"\r\n\r\n", 1)
            status_line, *hdr_lines = head.decode().split("\r\n")
            h = {k.strip().lower(): v.strip() for k, v in (x.split(":", 1) for x in hdr_lines if ":" in x)}
            length = int(h.get("content-length", "0"))
            while len(buf) < length:
                buf += sock.recv(65536)
            buf = buf[length:]
            if "session" in h:
                session = h["session"].split(";")[0]
            out.append((int(status_line.split()[1]), h))
    finally:
        sock.close()
    return out


def group_packets(group: str, port: int, seconds: float) -> int:
    """Datagrams that reach a socket joined to group:port within `seconds`."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((group, port))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                 struct.pack("4s4s", socket.inet_aton(group), socket.inet_aton("0.0.0.0")))
    s.settimeout(0.2)
    n, end = 0, time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            s.recv(2048)
            n += 1
        except socket.timeout:
            pass
    s.close()
    return n


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--camsim", required=True)
    ap.add_argument("--clip", required=True)
    ap.add_argument("--workdir", required=True)
    a = ap.parse_args()
    work = Path(a.workdir)
    result: dict = {}
    for cmd in (["ip", "link", "set", "lo", "multicast", "on"], ["ip", "route", "add", "224.0.0.0/4", "dev", "lo"]):
        r = run(cmd, 10)
        if r.returncode != 0:
            print(f"SCENARIO-RESULT {json.dumps({'error': ' '.join(cmd) + ': ' + r.stderr})}")
            return 1

    cam = e2e.Proc("camsim", [a.camsim, "--streams", "1", "--port", e2e.free_port("tcp"), "--clip", a.clip,
                              "--audio", "pcmu"], work / "camsim.log", watch_stdout=True).start()
    srv = None
    try:
        m = cam.wait_line(r"^READY (rtsp://\S+)", 20)
        assert m, e2e.tail(work / "camsim.log", 3000)
        rtp_port = unicast_rtp = 0
        while rtp_port == 0 or rtp_port % 2:
            rtp_port = e2e.free_port("udp")
        while unicast_rtp in (0, rtp_port) or unicast_rtp % 2:
            unicast_rtp = e2e.free_port("udp")  # the UDP pair a UDP publisher sends to
        api_port = e2e.free_port("tcp")
        paths = {"cam": {"source": m.group(1) + "cam1", "rtspTransport": "tcp"}}
        paths.update({f"pub{t}": {} for t in PUBLISH_TRANSPORTS})  # no source: takes a publisher
        srv = e2e.Server(work, paths, log_level="info",
                         extra={"rtspTransports": ["multicast", "udp", "tcp"], "multicastIPRange": RANGE,
                                "rtpAddress": f"{e2e.LOOPBACK}:{unicast_rtp}",
                                "rtcpAddress": f"{e2e.LOOPBACK}:{unicast_rtp + 1}",
                                "multicastRTPPort": rtp_port, "multicastRTCPPort": rtp_port + 1,
                                "api": True, "apiAddress": f"{e2e.LOOPBACK}:{api_port}"}).start()
        srv.wait_path("cam", ready=True, timeout=20)
        url = srv.rtsp_url("cam")
        result["listener"] = bool(srv.wait_log(rf"multicast {re.escape(RANGE)} on ports {rtp_port}/{rtp_port + 1}", 5))

        # The groups as a player is told them: one per track, the server's ports and TTL.
        replies = rtsp_exchange(srv.rtsp_port, url, [("DESCRIBE", url, {"Accept": "application/sdp"}),
                                                     ("SETUP", url + "/trackID=0", {"Transport": "RTP/AVP;multicast"}),
                                                     ("SETUP", url + "/trackID=1", {"Transport": "RTP/AVP;multicast"}),
                                                     ("TEARDOWN", url, {})])
        result["setup_transports"] = [h.get("transport", str(status)) for status, h in replies[1:3]]

        r = run(["ffprobe", "-rtsp_transport", "udp_multicast", "-v", "error", "-show_entries",
                 "stream=codec_type,codec_name,sample_rate,width,height", "-of", "json", url], 40)
        result["ffprobe"] = sorted((s["codec_type"], s["codec_name"]) for s in json.loads(r.stdout or "{}").get(
            "streams", [])) if r.returncode == 0 else r.stderr[-1500:]

        # Two players at once, and the API listing their sessions meanwhile.
        out: dict = {}
        players = [threading.Thread(target=lambda k=k: out.__setitem__(k, ffmpeg_frames(url, 5))) for k in (0, 1)]
        for t in players:
            t.start()
        time.sleep(3)
        with urllib.request.urlopen(f"http://{e2e.LOOPBACK}:{api_port}/v3/rtspsessions/list", timeout=5) as resp:
            sessions = json.load(resp)["items"]
        result["api_transports"] = sorted(s.get("transport") for s in sessions if s.get("state") == "read")
        result["while_reading"] = group_packets("239.5.0.1", rtp_port, 1.0)  # the control for the check below
        for t in players:
            t.join(90)
        result["ffmpeg_frames"] = [out.get(k, (0, "no result"))[0] for k in (0, 1)]
        result["ffmpeg_errors"] = [out.get(k, (0, "no result"))[1] for k in (0, 1)]
        result["sessions_logged"] = len(re.findall(r"is reading from path 'cam', with UDP-multicast, 2 tracks",
                                                   srv.log_text()))

        if shutil.which("gst-launch-1.0") and run(["gst-inspect-1.0", "avdec_h264"], 20).returncode == 0:
            r = run(["gst-launch-1.0", "rtspsrc", f"location={url}", "protocols=udp-mcast", "!", "rtph264depay",
                     "!", "h264parse", "!", "avdec_h264", "!", "fakesink", "num-buffers=90"], 40)
            result["gstreamer_eos"] = r.returncode == 0 or "Got EOS from element" in r.stdout
            if not result["gstreamer_eos"]:
                result["gstreamer_output"] = (r.stdout + r.stderr)[-1500:]

        # ffmpeg publishes the camera's stream (1080p H.264 + G.711, copied) into a path of its
        # own; a multicast player reads that back like any other stream.
        result["published"] = {}
        for t in PUBLISH_TRANSPORTS:
            pub = e2e.Proc(f"ffmpeg-publish-{t}", ["ffmpeg", "-hide_banner", "-nostdin", "-v", "error",
                                                 "-rtsp_transport", "tcp", "-i", m.group(1) + "cam1", "-c", "copy",
                                                 "-f", "rtsp", "-rtsp_transport", t, srv.rtsp_url(f"pub{t}")],
                           work / f"publish-{t}.log").start()
            try:
                srv.wait_path(f"pub{t}", ready=True, timeout=20)
                r = run(["ffprobe", "-rtsp_transport", "udp_multicast", "-v", "error", "-show_entries",
                         "stream=codec_type,codec_name", "-of", "json", srv.rtsp_url(f"pub{t}")], 40)
                streams = json.loads(r.stdout or "{}").get("streams", []) if r.returncode == 0 else []
                frames, errors = ffmpeg_frames(srv.rtsp_url(f"pub{t}"), 4)
                result["published"][t] = {"codecs": sorted((s["codec_type"], s["codec_name"]) for s in streams),
                                          "frames": frames, "errors": errors if frames < 90 else ""}
                if shutil.which("gst-launch-1.0") and run(["gst-inspect-1.0", "avdec_h264"], 20).returncode == 0:
                    # GStreamer reads the published stream too (over TCP) and decodes 90 frames.
                    r = run(["gst-launch-1.0", "rtspsrc", f"location={srv.rtsp_url(f'pub{t}')}", "protocols=tcp", "!",
                             "rtph264depay", "!", "h264parse", "!", "avdec_h264", "!", "fakesink", "num-buffers=90"], 40)
                    result["published"][t]["gstreamer_eos"] = r.returncode == 0 or "Got EOS from element" in r.stdout
            finally:
                pub.stop()

        # Every reader gone: the groups fall silent (nothing is sent for no one).
        time.sleep(1.5)
        result["after_readers_left"] = group_packets("239.5.0.1", rtp_port, 2.0)
        # A TCP reader of the same stream is unaffected by the multicast machinery.
        r = run(["ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-rtsp_transport", "tcp", "-i", url, "-t", "3",
                 "-f", "null", "-progress", "pipe:1", "-"], 40)
        frames = re.findall(r"^frame=(\d+)", r.stdout, re.M)
        result["tcp_frames"] = int(frames[-1]) if frames else 0
        srv.assert_alive()
        result["server_alive"] = True
    except AssertionError as e:
        result["error"] = str(e)[-3000:]
    finally:
        if srv:
            problem = srv.stop_and_check()
            if problem:
                result["stop_problem"] = problem
            result["log_tail"] = e2e.tail(srv.log_path, 3000)
        cam.stop()
    print(f"SCENARIO-RESULT {json.dumps(result)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
