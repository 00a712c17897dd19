"""authMethod http: MediaMTX's external authentication, where an HTTP server of the operator's
decides every request (authHTTPAddress), as a MediaMTX user who swaps the binary has it set up.
The authentication server is Python's http.server on loopback (plain, and over TLS with a
self-signed certificate pinned by authHTTPFingerprint); clients are ffprobe and a raw RTSP
client on the RTSP server, and WHEP POSTs (aiortc's offer) on the WebRTC listener.

  * test_the_authentication_server_decides_rtsp_and_webrtc_access: the server gets MediaMTX's
    JSON (ip, user, password, token, action, path, protocol, id, query) and its 2xx lets
    ffprobe read over RTSP, a WHEP viewer in and a publisher publish; its refusal is a 401
    that asks for credentials when none were sent and closes after the pause when wrong ones
    were; the query reaches it (?token=); authHTTPExclude (api by default) is never asked.
  * test_https_authentication_server_pinned_or_refused_and_an_unreachable_one: an https
    server whose certificate is pinned is used; a wrong pin and a server that is down refuse
    every request, each logged with the reason.
  * test_an_api_change_switches_the_method_for_the_next_request: a config PATCH to http (400
    without authHTTPAddress) and back to internal applies to the next WHEP and RTSP request.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import ssl
import subprocess
import threading
import time

import pytest
import requests

import sluice_e2e as e2e
from test_access import assert_challenge, assert_denied, basic, delete_session, post_whep
from test_camsim import ffprobe_streams
from test_rtsp_server import RawRtsp

VIEWER = ("viewer", "s3cret")
PUBLISHER = ("pub", "pubpass")
TOKEN = "tok-123"
SDP = ("v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=x\r\nt=0 0\r\n"
       "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1\r\n"
       "a=control:streamid=0\r\n")


class AuthServer:
    """The operator's authentication server: allows the viewer to read, the publisher to
    publish and any request whose query carries the token; refuses the rest with 401."""

    def __init__(self, tls: ssl.SSLContext | None = None):
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
                with outer.lock:
                    outer.requests.append({**body, "_path": self.path, "_type": self.headers.get("Content-Type")})
                allowed = ((body["user"], body["password"]) == VIEWER and body["action"] == "read"
                           or (body["user"], body["password"]) == PUBLISHER and body["action"] == "publish"
                           or f"token={TOKEN}" in body["query"].split("&"))
                answer = b"" if allowed else b"denied by policy"
                self.send_response(200 if allowed else 401)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer((e2e.LOOPBACK, 0), Handler)
        if tls:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def seen(self, **match) -> list[dict]:
        with self.lock:
            return [r for r in self.requests if all(r.get(k) == v for k, v in match.items())]

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def auth_server():
    servers: list[AuthServer] = []

    def start(tls: ssl.SSLContext | None = None) -> AuthServer:
        servers.append(AuthServer(tls))
        return servers[-1]

    yield start
    for s in servers:
        s.stop()


def rtsp_describe(srv: e2e.Server, path: str, headers: dict | None = None) -> tuple[int, dict]:
    c = RawRtsp(srv.rtsp_port)
    try:
        return c.request("DESCRIBE", srv.rtsp_url(path), headers)
    finally:
        c.sock.close()


def start_sluice(server_factory, address: str, name: str = "sluice", **extra) -> e2e.Server:
    api_port = e2e.free_port("tcp")
    srv = server_factory({"cam": {"source": "demo"}, "pubpath": {"source": "publisher"}}, name=name, log_level="info",
                         extra={"authMethod": "http", "authHTTPAddress": address, "api": True,
                                "apiAddress": f"{e2e.LOOPBACK}:{api_port}", **extra})
    srv.api = f"http://{e2e.LOOPBACK}:{api_port}"
    srv.wait_path("cam", ready=True, timeout=20)
    return srv


def test_the_authentication_server_decides_rtsp_and_webrtc_access(server_factory, auth_server):
    auth = auth_server()
    srv = start_sluice(server_factory, f"http://{e2e.LOOPBACK}:{auth.port}/auth?site=1")

    # RTSP reader: ffprobe with the viewer's credentials reads the stream; the server was asked
    # with MediaMTX's JSON, to the URL's path and query.
    user, password = VIEWER
    streams = ffprobe_streams(f"rtsp://{user}:{password}@{e2e.LOOPBACK}:{srv.rtsp_port}/cam", "tcp")
    assert any(s["codec_name"] == "h264" for s in streams), streams
    asked = auth.seen(protocol="rtsp", action="read", user=user)
    assert asked, auth.requests
    r = asked[0]
    assert r["_path"] == "/auth?site=1" and r["_type"] == "application/json", r
    assert (r["ip"], r["password"], r["path"], r["token"], r["query"], r["id"]) == \
        (e2e.LOOPBACK, password, "cam", "", "", None), r

    # Refusals: without credentials, 401 with the challenges (the client asks its user); with
    # wrong ones, 401 after the pause and the connection closed.
    status, headers = rtsp_describe(srv, "cam")
    assert status == 401 and "basic" in headers.get("www-authenticate", "").lower(), (status, headers)
    c = RawRtsp(srv.rtsp_port)
    t0 = time.monotonic()
    status, _ = c.request("DESCRIBE", srv.rtsp_url("cam"), basic(user, "wrong"))
    assert status == 401 and time.monotonic() - t0 < 4.5
    assert c.closed_by_server(5), "a wrong password closes the RTSP connection, as in MediaMTX"
    # The query reaches the server: a token in it is enough for this one.
    status, _ = rtsp_describe(srv, f"cam?token={TOKEN}")
    assert status == 200, status
    assert auth.seen(protocol="rtsp", query=f"token={TOKEN}", user="")

    # Publisher: ANNOUNCE with the publisher's credentials, asked as action publish.
    c = RawRtsp(srv.rtsp_port)
    status, _ = c.request("ANNOUNCE", srv.rtsp_url("pubpath"), {**basic(*PUBLISHER), "Content-Type": "application/sdp"},
                          SDP)
    assert status == 200, status
    c.sock.close()
    assert auth.seen(protocol="rtsp", action="publish", path="pubpath", user=PUBLISHER[0])
    c = RawRtsp(srv.rtsp_port)
    status, _ = c.request("ANNOUNCE", srv.rtsp_url("pubpath"), {**basic(*VIEWER), "Content-Type": "application/sdp"},
                          SDP)
    assert status == 401, "the viewer may not publish"
    c.sock.close()

    # WebRTC: the same server decides WHEP, as protocol webrtc.
    r = post_whep(srv, "cam", basic(*VIEWER))
    assert r.status == 201, (r.status, r.text[:300])
    delete_session(srv, r)
    assert auth.seen(protocol="webrtc", action="read", path="cam", user=VIEWER[0])
    assert_challenge(post_whep(srv, "cam"), "WHEP without credentials")
    assert_denied(post_whep(srv, "cam", basic(VIEWER[0], "nope")), "WHEP with a wrong password")
    r = post_whep(srv, "cam", query=f"token={TOKEN}")
    assert r.status == 201, (r.status, r.text[:300])
    delete_session(srv, r)

    # authHTTPExclude (MediaMTX's default: api, metrics, pprof): answered without asking.
    before = len(auth.requests)
    resp = requests.get(srv.api + "/v3/paths/list", timeout=10)
    assert resp.status_code == 200, resp.text[:300]
    cfg = requests.get(srv.api + "/v3/config/global/get", timeout=10).json()
    assert cfg["authMethod"] == "http" and cfg["authHTTPAddress"].endswith("/auth?site=1"), cfg
    assert len(auth.requests) == before, auth.requests[before:]

    log = srv.log_text()
    assert "failed to authenticate: the authentication server answered 401: denied by policy" in log, log[-3000:]
    srv.assert_alive()


def self_signed(tmp_path) -> tuple[str, str, str]:
    """A certificate for 127.0.0.1 and its key; returns (cert, key, SHA-256 fingerprint)."""
    cert, key = tmp_path / "auth.crt", tmp_path / "auth.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-days", "2", "-subj", "/CN=auth-test", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True, timeout=30)
    der = ssl.PEM_cert_to_DER_cert(cert.read_text())
    return str(cert), str(key), hashlib.sha256(der).hexdigest()


def test_https_authentication_server_pinned_or_refused_and_an_unreachable_one(server_factory, auth_server,
                                                                               tmp_path):
    cert, key, fingerprint = self_signed(tmp_path)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    auth = auth_server(tls)
    address = f"https://{e2e.LOOPBACK}:{auth.port}/auth"

    pinned = start_sluice(server_factory, address, name="pinned", authHTTPFingerprint=fingerprint)
    user, password = VIEWER
    streams = ffprobe_streams(f"rtsp://{user}:{password}@{e2e.LOOPBACK}:{pinned.rtsp_port}/cam", "tcp")
    assert any(s["codec_name"] == "h264" for s in streams), streams
    r = post_whep(pinned, "cam", basic(*VIEWER))
    assert r.status == 201, (r.status, r.text[:300])
    delete_session(pinned, r)

    # Another pin, and no pin at all (the self-signed certificate is not trusted): every
    # request is refused, and the log says why and which fingerprint to pin.
    wrong = start_sluice(server_factory, address, name="wrong-pin", authHTTPFingerprint="ab" * 32)
    untrusted = start_sluice(server_factory, address, name="no-pin")
    closed = start_sluice(server_factory, f"http://{e2e.LOOPBACK}:{e2e.closed_tcp_port()}/auth", name="down")
    # A server that is down: logged once, not once per request.
    for _ in range(6):
        assert rtsp_describe(closed, "cam")[0] == 401
    down = closed.log_text()
    assert down.count("did not answer: cannot connect") == 1, down[-3000:]
    for srv in (wrong, untrusted, closed):
        assert rtsp_describe(srv, "cam", basic(*VIEWER))[0] == 401, srv.name
        assert post_whep(srv, "cam", basic(*VIEWER)).status == 401, srv.name
        assert rtsp_describe(srv, "cam")[0] == 401, srv.name
    assert "is not the one in authHTTPFingerprint" in wrong.log_text(), wrong.log_text()[-3000:]
    assert f"set authHTTPFingerprint: {fingerprint.upper()}" in untrusted.log_text(), untrusted.log_text()[-3000:]
    for srv in (pinned, wrong, untrusted, closed):
        srv.assert_alive()


def test_an_api_change_switches_the_method_for_the_next_request(server_factory, auth_server):
    auth = auth_server()
    api_port = e2e.free_port("tcp")
    srv = server_factory({"cam": {"source": "demo"}}, log_level="info",
                         extra={"api": True, "apiAddress": f"{e2e.LOOPBACK}:{api_port}"})
    api = f"http://{e2e.LOOPBACK}:{api_port}"
    srv.wait_path("cam", ready=True, timeout=20)

    def patch(doc: dict):
        r = requests.patch(api + "/v3/config/global/patch", json=doc, timeout=10)
        assert r.status_code == 200, r.text[:300]

    r = post_whep(srv, "cam")  # MediaMTX's default users: anyone may read
    assert r.status == 201, (r.status, r.text[:300])
    delete_session(srv, r)
    # Without an address the http method is refused, and nothing changes.
    r = requests.patch(api + "/v3/config/global/patch", json={"authMethod": "http"}, timeout=10)
    assert r.status_code == 400 and "authHTTPAddress" in r.text, (r.status_code, r.text[:300])
    patch({"authMethod": "http", "authHTTPAddress": f"http://{e2e.LOOPBACK}:{auth.port}/auth"})
    assert_challenge(post_whep(srv, "cam"), "WHEP without credentials once the server decides")
    assert rtsp_describe(srv, "cam")[0] == 401
    r = post_whep(srv, "cam", basic(*VIEWER))
    assert r.status == 201, (r.status, r.text[:300])
    delete_session(srv, r)
    patch({"authMethod": "internal"})
    r = post_whep(srv, "cam")
    assert r.status == 201, (r.status, r.text[:300])
    delete_session(srv, r)
    assert rtsp_describe(srv, "cam")[0] == 200
    srv.assert_alive()
