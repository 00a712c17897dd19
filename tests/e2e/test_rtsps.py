"""RTSPS: the RTSP server over TLS (rtspEncryption, rtspsAddress, rtspServerKey, rtspServerCert).

The certificate is self-signed, made in the test with the openssl CLI (test_tls.make_cert). Peers
no one here wrote: GStreamer's rtspclientsink publishes over rtsps:// (verifying the certificate
against it), ffprobe and ffmpeg read over rtsps:// (ffmpeg's TLS does not verify by default),
Python's ssl module is the raw client for what the players do not show.

  * test_gstreamer_publishes_and_ffmpeg_reads_over_rtsps (optional): a GStreamer publisher and an
    ffmpeg reader over RTSPS, >= 90 H.264 frames decoded; the publisher and the reader are listed
    under /v3/rtspssessions and rtsps_* metrics, not under /v3/rtspsessions; plain rtsp:// on
    rtspAddress serves too.
  * test_strict_serves_only_rtsps: no plain listener (connection refused on rtspAddress), the demo
    path read over rtsps://, SETUP asking for UDP answered 461, /v3/rtspconns absent (404).
  * test_a_tls_reader_that_stops_reading_is_dropped: a TLS reader that never reads is closed
    after writeTimeout while ffmpeg keeps decoding over RTSPS.
  * test_missing_certificate_is_a_clear_error: --check-config and a start both fail naming the file.

Every process is started here and stopped by its PID; every wait is bounded; loopback only.
"""

from __future__ import annotations

import hashlib
import re
import socket
import ssl
import subprocess
import sys
import time

import pytest
import requests

import sluice_e2e as e2e
from test_rtsp_server import RawRtsp, decoded_frames
from test_camsim import ffmpeg_decode, ffprobe_streams, run
from test_tls import make_cert, pem_fingerprint

FRAMES = 90
PUBLISHER = e2e.TOOLS_DIR / "gst_rtsps_publish.py"


def rtsps_extra(tmp_path, encryption: str, **more) -> tuple[dict, int]:
    cert, key = make_cert(tmp_path, "rtsps")
    port = e2e.free_port("tcp")
    api_port = e2e.free_port("tcp")
    extra = {"rtspEncryption": encryption, "rtspsAddress": f"{e2e.LOOPBACK}:{port}",
             "rtspServerKey": str(key), "rtspServerCert": str(cert),
             "api": True, "apiAddress": f"{e2e.LOOPBACK}:{api_port}",
             "metrics": True, "metricsAddress": f"{e2e.LOOPBACK}:{e2e.free_port('tcp')}", **more}
    return extra, port


def api_of(srv) -> str:
    return f"http://{srv.extra['apiAddress']}"


class RawRtsps(RawRtsp):
    """The raw RTSP client of test_rtsp_server, in a TLS session (no certificate check)."""

    def __init__(self, port: int, rcvbuf: int | None = None, timeout: float = 10.0):
        super().__init__(port, rcvbuf=rcvbuf, timeout=timeout)
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        self.sock = ctx.wrap_socket(self.sock, server_hostname="127.0.0.1")


def test_gstreamer_publishes_and_ffmpeg_reads_over_rtsps(server_factory, tmp_path):
    extra, port = rtsps_extra(tmp_path, "optional")
    srv = server_factory({"pub": {}, "demo": {"source": "demo"}}, log_level="info", extra=extra)
    assert srv.wait_log(r"\[RTSPS\] listener opened on", 10), srv.log_text()
    url = f"rtsps://{e2e.LOOPBACK}:{port}/pub"

    publisher = e2e.Proc("publisher", [sys.executable, str(PUBLISHER), url, "--ca", extra["rtspServerCert"],
                                       "--frames", "900"], tmp_path / "publisher.log").start()
    try:
        srv.wait_path("pub", ready=True, timeout=20)
        streams = ffprobe_streams(url, "tcp")
        assert [s["codec_name"] for s in streams] == ["h264"], streams
        assert (streams[0]["width"], streams[0]["height"]) == (320, 240), streams

        # ffmpeg decodes over RTSPS while the API lists both sessions under rtspssessions.
        reader = subprocess.Popen(["ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-rtsp_transport", "tcp",
                                   "-i", url, "-t", "5", "-f", "null", "-progress", "pipe:1", "-"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            states = set()
            for _ in e2e.deadline_loop(10):
                items = requests.get(api_of(srv) + "/v3/rtspssessions/list", timeout=5).json()["items"]
                states = {(s["state"], s["path"], s["transport"]) for s in items}
                if {("publish", "pub", "TCP"), ("read", "pub", "TCP")} <= states:
                    break
            assert {("publish", "pub", "TCP"), ("read", "pub", "TCP")} <= states, states
            out, err = reader.communicate(timeout=30)
        finally:
            if reader.poll() is None:
                reader.kill()
                reader.wait()
        assert reader.returncode == 0 and err.strip() == "", err
        frames = decoded_frames(out)
        print(f"ffmpeg decoded {frames} frames in 5 s over RTSPS from a GStreamer RTSPS publisher")
        assert frames >= FRAMES, out[-500:]

        # The TLS connections are not the plain listener's; the metrics name them rtsps_*.
        assert requests.get(api_of(srv) + "/v3/rtspsessions/list", timeout=5).json()["items"] == []
        conns = requests.get(api_of(srv) + "/v3/rtspsconns/list", timeout=5).json()["items"]
        assert any(c["inboundBytes"] > 100_000 for c in conns), conns
        paths = requests.get(api_of(srv) + "/v3/paths/get/pub", timeout=5).json()
        assert paths["source"]["type"] == "rtspsSession", paths
        metrics = requests.get(f"http://{extra['metricsAddress']}/metrics", timeout=5).text
        assert re.search(r'^rtsps_sessions\{id="[^"]+",path="pub",remoteAddr="[^"]+",state="publish"\} 1$',
                         metrics, re.M), metrics
        assert re.search(r"^rtsps_conns_inbound_bytes\{id=\"[^\"]+\"\} [1-9]", metrics, re.M), metrics

        # optional: plain RTSP on rtspAddress serves as well.
        plain = ffprobe_streams(srv.rtsp_url("demo"), "tcp")
        assert [s["codec_name"] for s in plain] == ["h264"], plain
    finally:
        publisher.stop()
    assert "error" not in publisher.log_text().lower(), publisher.log_text()
    srv.assert_alive()


def test_strict_serves_only_rtsps(server_factory, tmp_path):
    extra, port = rtsps_extra(tmp_path, "strict")
    srv = server_factory({"demo": {"source": "demo"}}, log_level="info", extra=extra)
    srv.wait_path("demo", ready=True, timeout=20)

    # The plain listener is not opened.
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((e2e.LOOPBACK, srv.rtsp_port), timeout=5).close()
    assert "[RTSP] listener opened" not in srv.log_text()

    url = f"rtsps://{e2e.LOOPBACK}:{port}/demo"
    frames = decoded_frames(ffmpeg_decode(url, "tcp", 4))
    print(f"ffmpeg decoded {frames} frames in 4 s over RTSPS (strict)")
    assert frames >= FRAMES

    # Over RTSPS media travel only in the TLS connection: UDP is Unsupported Transport.
    raw = RawRtsps(port)
    assert raw.request("DESCRIBE", url)[0] == 200
    status, _ = raw.request("SETUP", url + "/trackID=0", {"Transport": "RTP/AVP;unicast;client_port=40000-40001"})
    assert status == 461
    raw.close()

    assert requests.get(api_of(srv) + "/v3/rtspconns/list", timeout=5).status_code == 404
    assert requests.get(api_of(srv) + "/v3/rtspsconns/list", timeout=5).status_code == 200
    srv.assert_alive()


def test_a_tls_reader_that_stops_reading_is_dropped(server_factory, tmp_path):
    extra, port = rtsps_extra(tmp_path, "strict", writeTimeout="2s", writeQueueSize=64)
    srv = server_factory({"demo": {"source": "demo"}}, log_level="info", extra=extra)
    srv.wait_path("demo", ready=True, timeout=20)
    url = f"rtsps://{e2e.LOOPBACK}:{port}/demo"

    stuck = RawRtsps(port, rcvbuf=4096)
    assert stuck.request("DESCRIBE", url)[0] == 200
    status, h = stuck.request("SETUP", url + "/trackID=0", {"Transport": "RTP/AVP/TCP;unicast;interleaved=0-1"})
    assert status == 200
    session = h["session"].split(";")[0]
    assert stuck.request("PLAY", url + "/", {"Session": session})[0] == 200
    # ... and never reads again. Meanwhile another TLS reader decodes without a loss.
    t0 = time.monotonic()
    frames = decoded_frames(ffmpeg_decode(url, "tcp", 8))
    print(f"the other RTSPS reader decoded {frames} frames in 8 s while one was stuck")
    assert frames >= 8 * 30 - 10
    m = srv.wait_log(r"reader took nothing for 2000 ms: closing \(writeTimeout\)",
                     max(1.0, 30 - (time.monotonic() - t0)))
    assert m, srv.log_text()[-3000:]
    sessions = requests.get(api_of(srv) + "/v3/rtspssessions/list", timeout=5).json()["items"]
    assert session not in [s["id"] for s in sessions], sessions
    stuck.close()
    srv.assert_alive()


def test_missing_certificate_is_a_clear_error(tmp_path):
    extra, _ = rtsps_extra(tmp_path, "optional")
    missing = tmp_path / "nowhere" / "server.crt"
    extra["rtspServerCert"] = str(missing)
    srv = e2e.Server(tmp_path, {"demo": {"source": "demo"}}, log_level="info", extra=extra)
    srv.write_config()
    expected = f"cannot read 'rtspServerCert' file '{missing}': No such file or directory"

    r = run([e2e.SLUICE_BIN, "--check-config", srv.config_path], 20)
    assert r.returncode != 0 and expected in r.stderr, r.stderr

    proc = e2e.Proc("sluice", [str(e2e.SLUICE_BIN), str(srv.config_path)], srv.log_path, cwd=tmp_path).start()
    try:
        rc = proc.proc.wait(timeout=20)
    finally:
        proc.stop()
    log = e2e.tail(srv.log_path)
    assert rc != 0 and expected in log, log


def test_rtsps_camera_is_pulled_with_a_trusted_or_a_pinned_certificate(server_factory, tmp_path):
    """A camera served over RTSPS (another Sluice, certificate for DNS:localhost only) pulled
    as MediaMTX pulls rtsps:// sources: a certificate that chains to a trusted root and names
    the host is taken; `sourceFingerprint` pins one certificate whatever its chain and name;
    anything else is refused with the reason and the fingerprint to pin, and the path waits.
    The media come interleaved in the TLS connection and play from the pulling server."""
    cert, key = tmp_path / "camera.crt", tmp_path / "camera.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-days", "2", "-subj", "/CN=camera", "-addext", "subjectAltName=DNS:localhost",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True, timeout=30)
    fp = hashlib.sha256(ssl.PEM_cert_to_DER_cert(cert.read_text())).hexdigest()
    port = e2e.free_port("tcp")
    camera = server_factory({"cam": {"source": "demo"}}, name="camera", log_level="info",
                            extra={"rtspEncryption": "strict", "rtspsAddress": f"{e2e.LOOPBACK}:{port}",
                                   "rtspServerKey": str(key), "rtspServerCert": str(cert)})
    camera.wait_path("cam", ready=True, timeout=20)

    colons = ":".join(fp[i:i + 2] for i in range(0, 64, 2))  # openssl's form works too
    other = "0" * 64
    paths = {
        "trusted": {"source": f"rtsps://localhost:{port}/cam"},
        "pinned": {"source": f"rtsps://{e2e.LOOPBACK}:{port}/cam", "sourceFingerprint": colons},
        "wrongname": {"source": f"rtsps://{e2e.LOOPBACK}:{port}/cam"},
        "wrongpin": {"source": f"rtsps://localhost:{port}/cam", "sourceFingerprint": other},
        "udp": {"source": f"rtsps://localhost:{port}/cam", "rtspTransport": "udp"},
    }
    api_port = e2e.free_port("tcp")
    # The camera's certificate is this server's only trusted root (OpenSSL's SSL_CERT_FILE).
    srv = server_factory(paths, log_level="info", env={"SSL_CERT_FILE": str(cert)},
                         extra={"api": True, "apiAddress": f"{e2e.LOOPBACK}:{api_port}"})
    srv.wait_path("trusted", ready=True, timeout=20)
    srv.wait_path("pinned", ready=True, timeout=20)
    assert srv.wait_log(r"\[path wrongname\] \[RTSP source\] RTSPS server 127\.0\.0\.1:\d+ refused: the server's "
                        r"certificate is not trusted: IP address mismatch \(to trust this certificate alone, set "
                        rf"sourceFingerprint: {fp.upper()}\)", 10), srv.log_text()[-3000:]
    assert srv.wait_log(r"\[path wrongpin\] \[RTSP source\] RTSPS server localhost:\d+ refused: the server's "
                        rf"certificate \(SHA-256 fingerprint {fp.upper()}\) is not the one in sourceFingerprint", 10), \
        srv.log_text()[-3000:]
    assert srv.wait_log(r"\[path udp\] \[RTSP source\] over RTSPS Sluice reads the media in the TLS connection only "
                        r"\(SRTP over UDP is not supported yet\): set rtspTransport to tcp or automatic", 10), \
        srv.log_text()[-3000:]
    listed = {p["name"]: p for p in requests.get(f"http://{e2e.LOOPBACK}:{api_port}/v3/paths/list",
                                                 timeout=5).json()["items"]}
    assert listed["trusted"]["ready"] and listed["pinned"]["ready"], listed
    assert not listed["wrongname"]["ready"] and not listed["wrongpin"]["ready"], listed
    assert listed["pinned"]["tracks"] == ["H264"], listed["pinned"]

    for name in ("trusted", "pinned"):
        assert decoded_frames(ffmpeg_decode(srv.rtsp_url(name), "tcp", 4)) >= FRAMES, name
    camera.assert_alive()
    srv.assert_alive()


def test_a_malformed_source_fingerprint_is_a_config_error(tmp_path):
    srv = e2e.Server(tmp_path, {"cam": {"source": "rtsps://127.0.0.1:8322/cam", "sourceFingerprint": "ab:cd"}})
    srv.write_config()
    r = run([e2e.SLUICE_BIN, "--check-config", srv.config_path], 20)
    expected = "paths.cam.sourceFingerprint: invalid fingerprint: expected the certificate's SHA-256 in hex (64 digits"
    assert r.returncode != 0 and expected in r.stderr, r.stderr


def test_gstreamer_rtsps_camera_is_pulled_with_a_pinned_certificate(media, camera_factory, server_factory, tmp_path):
    """GStreamer's RTSP server over TLS (GnuTLS, not our own TLS code on the other side), with a
    self-signed certificate: pulled with `sourceFingerprint`, the 1080p clip plays from Sluice
    over RTSP."""
    cert, key = make_cert(tmp_path, "gstcam")
    cam = camera_factory(media["main"], tls=(cert, key))
    assert cam.url.startswith("rtsps://"), cam.url
    srv = server_factory({"cam": {"source": cam.url, "sourceFingerprint": pem_fingerprint(cert)}}, log_level="info")
    srv.wait_path("cam", ready=True, timeout=20)
    assert srv.wait_log(r"\[path cam\] \[RTSP source\] stream is available and online, 1 track \(H264\), over TCP", 5), \
        srv.log_text()[-3000:]
    progress = ffmpeg_decode(srv.rtsp_url("cam"), "tcp", 4)
    assert decoded_frames(progress) >= FRAMES, progress[-500:]
    srv.assert_alive()
