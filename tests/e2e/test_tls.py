"""HTTPS on Sluice's listeners and trusted reverse proxies (issue 11, item 7).

Certificates are self-signed, made in the test with the openssl CLI; the source is Sluice's
built-in demo clip; viewers are headless Chromium (--ignore-certificate-errors) on Sluice's own
player page, curl and Python's ssl module; the reverse proxy is Debian's nginx run as a child
process (own prefix and config in the test's temp dir, `daemon off;`, a free loopback port),
configured from deploy/nginx/sluice.conf with ports and paths substituted.

  * test_chromium_plays_over_https_and_api_over_https: webrtcEncryption and apiEncryption on;
    Chromium decodes >= 90 frames from https://127.0.0.1:PORT/cam/; curl reads the API over
    HTTPS, verifying the certificate; the TLS listener speaks TLS 1.2+ only and a plain HTTP
    request on it gets no HTTP answer.
  * test_certificate_reload_on_sighup: an unusable new certificate (garbage, or a key that is
    not the certificate's) is refused on SIGHUP with a log line and the old one is still
    served; a good new pair is served after SIGHUP (the fingerprint changes).
  * test_missing_certificate_is_a_clear_start_error: sluice exits non-zero and names the file.
  * test_forwarded_client_ip_only_from_trusted_proxies: a user restricted to 198.51.100.7 is let
    in when a trusted peer (127.0.0.1) forwards that address, and refused when the same header
    comes from an untrusted peer (127.0.0.2), or is only the left (client-written) part.
  * test_nginx_terminates_tls: Chromium plays through nginx on https://; through nginx from
    127.0.0.3, a user restricted to 127.0.0.3 gets in and anonymous read (for 127.0.0.1 only)
    does not, so Sluice used the forwarded address, not nginx's 127.0.0.1; 127.0.0.3 going
    around nginx with a forged header is not believed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest

import sluice_e2e as e2e

FRAMES = 90
WATCH_S = 20
PATHS = {"cam": {"source": "demo"}}
REMOTE = ("remote", "r3mote")  # may read, from 198.51.100.7 only
PROXIED = ("proxied", "pr0xied")  # may read, from 127.0.0.3 only
USERS = [
    {"user": "any", "pass": "", "ips": ["127.0.0.1", "::1"],
     "permissions": [{"action": "read"}, {"action": "api"}, {"action": "metrics"}, {"action": "pprof"}]},
    {"user": REMOTE[0], "pass": REMOTE[1], "ips": ["198.51.100.7"], "permissions": [{"action": "read"}]},
    {"user": PROXIED[0], "pass": PROXIED[1], "ips": ["127.0.0.3"], "permissions": [{"action": "read"}]},
]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
CURL = shutil.which("curl") or "/usr/bin/curl"


def make_cert(directory: Path, name: str) -> tuple[Path, Path]:
    """A self-signed P-256 certificate for 127.0.0.1 / localhost, and its key."""
    cert, key = directory / f"{name}.crt", directory / f"{name}.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-days", "2", "-subj", f"/CN={name}",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                    "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=30)
    return cert, key


def pem_fingerprint(cert: Path) -> str:
    der = ssl.PEM_cert_to_DER_cert(cert.read_text())
    return hashlib.sha256(der).hexdigest()


def served_certificate(port: int) -> tuple[str, str]:
    """(SHA-256 of the certificate served on port, TLS version negotiated)."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection((e2e.LOOPBACK, port), timeout=5) as raw, ctx.wrap_socket(raw) as tls:
        return hashlib.sha256(tls.getpeercert(binary_form=True)).hexdigest(), tls.version()


def curl(url: str, *args: str, interface: str | None = None, timeout: float = 15) -> tuple[int, str]:
    """(HTTP status, body) from curl; status 0 when no HTTP answer came."""
    argv = [CURL, "-sS", "-o", "-", "-w", "\n%{http_code}", "--max-time", str(timeout), *args]
    if interface:
        argv += ["--interface", interface]
    r = subprocess.run(argv + [url], capture_output=True, text=True, timeout=timeout + 5)
    body, _, code = r.stdout.rpartition("\n")
    return int(code or 0), body


def basic(user: tuple[str, str]) -> list[str]:
    return ["-H", "Authorization: Basic " + base64.b64encode(f"{user[0]}:{user[1]}".encode()).decode()]


class TlsServer(e2e.Server):
    """e2e.Server whose WebRTC listener speaks HTTPS (requests verifies with REQUESTS_CA_BUNDLE)."""

    @property
    def base(self) -> str:
        return f"https://{e2e.LOOPBACK}:{self.http_port}"


@pytest.fixture
def tls_server_factory(tmp_path, attach_log):
    servers: list[e2e.Server] = []

    def start(**kw) -> e2e.Server:
        srv = TlsServer(tmp_path, PATHS, name=f"sluice-{len(servers)}", log_level="info", **kw)
        servers.append(srv)
        attach_log(f"{srv.name} log", srv.log_path)
        return srv.start()

    yield start
    problems = [p for p in (srv.stop_and_check() for srv in reversed(servers)) if p]
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)


@pytest.fixture
def certs(tmp_path, monkeypatch):
    cert, key = make_cert(tmp_path, "first")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))  # Server.wait_http/wait_path verify it
    return cert, key


def tls_extra(cert: Path, key: Path, **more) -> dict:
    return {"webrtcEncryption": True, "webrtcServerCert": str(cert), "webrtcServerKey": str(key),
            "authInternalUsers": USERS, **more}


def assert_plays(browser, url: str):
    s = browser.watch(url, WATCH_S, until=lambda s: s["framesDecoded"] >= FRAMES)
    assert s["framesDecoded"] >= FRAMES, f"only {s['framesDecoded']} frames decoded in {WATCH_S} s from {url}: {s}"


# --------------------------------------------------------------------------------------


def test_chromium_plays_over_https_and_api_over_https(certs, tls_server_factory, browser_factory):
    cert, key = certs
    api_port = e2e.free_port()
    srv = tls_server_factory(extra=tls_extra(cert, key, api=True, apiAddress=f"{e2e.LOOPBACK}:{api_port}",
                                             apiEncryption=True, apiServerCert=str(cert),
                                             apiServerKey=str(key)))
    srv.wait_path("cam", ready=True, timeout=20)
    assert srv.wait_log(r"listener opened on .* \(HTTPS\)", 5), e2e.tail(srv.log_path)
    assert srv.wait_log(r"open https://", 5), e2e.tail(srv.log_path)

    fingerprint, version = served_certificate(srv.http_port)
    assert fingerprint == pem_fingerprint(cert)
    assert version in ("TLSv1.2", "TLSv1.3"), version
    # TLS 1.2 still works (browsers that lack 1.3); 1.1 and older are not offered by the server.
    code, body = curl(srv.url("/cam/"), "--cacert", str(cert), "--tlsv1.2", "--tls-max", "1.2")
    assert code == 200 and "<html" in body.lower(), (code, body[:300])
    # Plain HTTP on the TLS listener gets no HTTP answer.
    code, _ = curl(f"http://{e2e.LOOPBACK}:{srv.http_port}/cam/", timeout=5)
    assert code == 0, f"plain HTTP was answered with {code} on an HTTPS listener"

    # The API over HTTPS, certificate verified by curl.
    code, body = curl(f"https://{e2e.LOOPBACK}:{api_port}/v3/config/global/get", "--cacert", str(cert))
    assert code == 200, (code, body[:300])
    doc = json.loads(body)
    assert doc["webrtcEncryption"] is True and doc["apiEncryption"] is True, doc
    code, body = curl(f"https://{e2e.LOOPBACK}:{api_port}/v3/paths/list", "--cacert", str(cert))
    assert code == 200 and '"cam"' in body, (code, body[:300])

    b = browser_factory(extra_flags=["--ignore-certificate-errors"])
    assert_plays(b, srv.url("/cam/"))
    srv.assert_alive()


def test_certificate_reload_on_sighup(certs, tls_server_factory, tmp_path):
    cert, key = certs
    srv = tls_server_factory(extra=tls_extra(cert, key))
    first = pem_fingerprint(cert)
    assert served_certificate(srv.http_port)[0] == first

    second_cert, second_key = make_cert(tmp_path, "second")
    third_cert, third_key = make_cert(tmp_path, "third")
    original_key = key.read_bytes()

    # 1. Not a certificate at all: refused, the first one stays.
    cert.write_text("this is not a certificate\n")
    os.kill(srv.pid, signal.SIGHUP)
    assert srv.wait_log(r"\[WebRTC\] new TLS certificate rejected, the running one stays: .*first\.crt", 10), \
        e2e.tail(srv.log_path)
    assert served_certificate(srv.http_port)[0] == first

    # 2. A certificate with somebody else's key: refused too.
    shutil.copy(second_cert, cert)
    key.write_bytes(third_key.read_bytes())
    os.kill(srv.pid, signal.SIGHUP)
    assert srv.wait_log(r"does not belong to the certificate", 10), e2e.tail(srv.log_path)
    assert served_certificate(srv.http_port)[0] == first

    # 3. A good pair: served from the next connection on.
    key.write_bytes(second_key.read_bytes())
    os.kill(srv.pid, signal.SIGHUP)
    assert srv.wait_log(r"\[WebRTC\] TLS certificate reloaded", 10), e2e.tail(srv.log_path)
    assert served_certificate(srv.http_port)[0] == pem_fingerprint(second_cert) != first
    code, body = curl(srv.url("/cam/"), "--cacert", str(second_cert))
    assert code == 200, (code, body[:300])
    assert original_key != key.read_bytes()
    srv.assert_alive()


def test_missing_certificate_is_a_clear_start_error(tmp_path):
    cert, key = make_cert(tmp_path, "only")
    missing = tmp_path / "nowhere" / "server.key"
    srv = e2e.Server(tmp_path, PATHS, log_level="info", extra=tls_extra(cert, missing))
    srv.write_config()
    proc = e2e.Proc("sluice", [str(e2e.SLUICE_BIN), str(srv.config_path)], srv.log_path, cwd=tmp_path).start()
    try:
        rc = proc.proc.wait(timeout=20)
    finally:
        proc.stop()
    log = e2e.tail(srv.log_path)
    assert rc != 0, log
    assert f"cannot read server key '{missing}': No such file or directory" in log, log


def test_forwarded_client_ip_only_from_trusted_proxies(server_factory):
    srv = server_factory(PATHS, log_level="info",
                         extra={"authInternalUsers": USERS, "webrtcTrustedProxies": ["127.0.0.1", "10.0.0.0/8"]})
    srv.wait_path("cam", ready=True, timeout=20)
    page = srv.url("/cam/")
    forwarded = ["-H", "X-Forwarded-For: 198.51.100.7"]

    # From the trusted peer, the forwarded address is the client: the ips rule lets it in.
    code, body = curl(page, *basic(REMOTE), *forwarded)
    assert code == 200, (code, body[:300])
    # Proxies further along that are trusted too are skipped (right-most untrusted address).
    code, body = curl(page, *basic(REMOTE), "-H", "X-Forwarded-For: 198.51.100.7, 10.1.2.3")
    assert code == 200, (code, body[:300])
    # ... but an address the client wrote at the left, before an untrusted hop, is not believed.
    code, _ = curl(page, *basic(REMOTE), "-H", "X-Forwarded-For: 198.51.100.7, 203.0.113.9")
    assert code == 401, code
    # From an untrusted peer the header is ignored.
    code, _ = curl(page, *basic(REMOTE), *forwarded, interface="127.0.0.2")
    assert code == 401, code
    # Anonymous read is for 127.0.0.1: a forwarded outside address loses it.
    code, _ = curl(page, *forwarded)
    assert code == 401, code
    code, _ = curl(page)
    assert code == 200, code
    srv.assert_alive()


def start_nginx(workdir: Path, listen_port: int, upstream_port: int, cert: Path, key: Path) -> e2e.Proc:
    """Debian's nginx as a child process, configured from deploy/nginx/sluice.conf."""
    workdir.mkdir(parents=True, exist_ok=True)
    site = (e2e.SOURCE_DIR / "deploy" / "nginx" / "sluice.conf").read_text()
    substitutions = [
        (r"listen 443 ssl;", f"listen {e2e.LOOPBACK}:{listen_port} ssl;"),
        (r"\n\s*listen \[::\]:443 ssl;", ""),
        (r"server 127\.0\.0\.1:8889;", f"server 127.0.0.1:{upstream_port};"),
        (r"ssl_certificate\s+\S+;", f"ssl_certificate {cert};"),
        (r"ssl_certificate_key\s+\S+;", f"ssl_certificate_key {key};"),
    ]
    for pattern, replacement in substitutions:
        site, n = re.subn(pattern, replacement, site)
        assert n == 1, f"deploy/nginx/sluice.conf no longer has '{pattern}'"
    (workdir / "sluice.conf").write_text(site)
    temp = "\n".join(f"  {kind}_temp_path {workdir / kind};" for kind in
                     ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    user = "user root root;\n" if os.geteuid() == 0 else ""
    (workdir / "nginx.conf").write_text(
        f"daemon off;\n{user}worker_processes 1;\npid {workdir / 'nginx.pid'};\n"
        f"error_log {workdir / 'error.log'} info;\n"
        "events { worker_connections 256; }\n"
        f"http {{\n  access_log {workdir / 'access.log'};\n{temp}\n  include {workdir / 'sluice.conf'};\n}}\n")
    proc = e2e.Proc("nginx", [NGINX, "-p", str(workdir), "-e", str(workdir / "error.log"),
                              "-c", str(workdir / "nginx.conf")], workdir / "nginx.out", cwd=workdir).start()
    for _ in e2e.deadline_loop(10, 0.1):
        if not proc.alive():
            break
        try:
            socket.create_connection((e2e.LOOPBACK, listen_port), timeout=1).close()
            return proc
        except OSError:
            pass
    proc.stop()
    raise AssertionError(f"nginx did not start:\n{e2e.tail(workdir / 'nginx.out')}\n"
                         f"{e2e.tail(workdir / 'error.log')}")


@pytest.mark.skipif(not Path(NGINX).exists(), reason="nginx is not installed (scripts/install-deps.sh test)")
def test_nginx_terminates_tls(server_factory, browser_factory, tmp_path):
    cert, key = make_cert(tmp_path, "nginx")
    srv = server_factory(PATHS, log_level="info",
                         extra={"authInternalUsers": USERS, "webrtcTrustedProxies": ["127.0.0.1"]})
    srv.wait_path("cam", ready=True, timeout=20)
    port = e2e.free_port()
    nginx = start_nginx(tmp_path / "nginx", port, srv.http_port, cert, key)
    try:
        front = f"https://{e2e.LOOPBACK}:{port}/cam/"
        # nginx appends 127.0.0.3 to X-Forwarded-For; Sluice trusts nginx (127.0.0.1), so the
        # client is 127.0.0.3 and the user bound to that address gets in.
        code, body = curl(front, "--cacert", str(cert), *basic(PROXIED), interface="127.0.0.3")
        assert code == 200, (code, body[:300], e2e.tail(tmp_path / "nginx" / "error.log"))
        # Anonymous read is for 127.0.0.1 only: through nginx, 127.0.0.3 is not 127.0.0.1 any more
        # (it would be if Sluice took nginx's own address), while 127.0.0.1 still is.
        code, _ = curl(front, "--cacert", str(cert), interface="127.0.0.3")
        assert code == 401, code
        code, _ = curl(front, "--cacert", str(cert), interface="127.0.0.1")
        assert code == 200, code
        # Going around nginx with a forged header: 127.0.0.3 is not a trusted proxy.
        code, _ = curl(srv.url("/cam/"), *basic(PROXIED), "-H", "X-Forwarded-For: 127.0.0.3",
                       interface="127.0.0.2")
        assert code == 401, code

        b = browser_factory(extra_flags=["--ignore-certificate-errors"])
        assert_plays(b, front)
        access = (tmp_path / "nginx" / "access.log").read_text()
        assert re.search(r'"POST /cam/whep HTTP/1\.1" 201', access), access[-2000:]
    finally:
        nginx.stop()
    srv.assert_alive()
