"""Access control and per-client limits of the WebRTC listener (issue 7), as a hostile or
careless client would meet them. Sources are Sluice's built-in demo clip; clients are
http.client bound to 127.0.0.x source addresses (MediaMTX's default trusts only 127.0.0.1 and
::1, so 127.0.0.2.. are "other clients"), aiortc's offer generator, and headless Chromium
on Sluice's own player page for "media actually flows".

  * test_whep_read_needs_the_right_credentials: 401 + WWW-Authenticate without credentials,
    401 (after the pause) with wrong ones or on a path the user may not read, 201 with Basic
    and Bearer user:pass; `?token=` is not read by the internal method (as in MediaMTX);
    OPTIONS /<path>/whep and the player page are checked too; `ips` ranges honoured.
  * test_wrong_password_pause_does_not_delay_others: wrong passwords are answered within
    MediaMTX's 0-4 s, with a mean showing a real delay, while a client with the right
    credentials is answered in < 200 ms.
  * test_parallel_guessing_is_throttled: past 10 failures a client's credentialed attempts
    get 429 at once (even the right password) while another client still gets in; logged
    once, not per request.
  * test_connection_flood_leaves_others_able_to_watch: 127.0.0.3 holds 10x the per-client
    connection cap (reopening as they close) while Chromium on 127.0.0.1 starts the player
    with credentials and decodes frames.
  * test_half_open_and_handshake_caps: POSTs that never do ICE: 429 past the per-client cap,
    503 past the global cap, others unaffected until then, slots freed by DELETE.
"""

from __future__ import annotations

import asyncio
import base64
import http.client
import re
import socket
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

import sluice_e2e as e2e

VIEWER = ("viewer", "s3cret")  # may read cam1 only, from anywhere
LOCAL = ("local", "l0cal")  # may read any camN, from 127.0.0.1 only
USERS = [
    {"user": VIEWER[0], "pass": VIEWER[1], "ips": [], "permissions": [{"action": "read", "path": "cam1"}]},
    {"user": LOCAL[0], "pass": LOCAL[1], "ips": ["127.0.0.1/32"],
     "permissions": [{"action": "read", "path": "~^cam[0-9]$"}]},
    {"user": "any", "pass": "", "ips": ["127.0.0.1", "::1"],
     "permissions": [{"action": "api"}, {"action": "metrics"}, {"action": "pprof"}]},
]
PATHS = {"cam1": {"source": "demo"}, "cam2": {"source": "demo"}}
MAX_PAUSE = 4.0  # MediaMTX's pause is random in [0, 4) s
SLACK = 0.5  # scheduling slack on a shared 2-core machine


def basic(user: str, password: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def bearer(user: str, password: str) -> dict:
    return {"Authorization": f"Bearer {user}:{password}"}


@dataclass
class Resp:
    status: int
    headers: dict
    body: bytes
    elapsed: float

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")


def request(srv: e2e.Server, method: str, path: str, headers: dict | None = None, body: str | None = None,
            source_ip: str | None = None, timeout: float = 15.0) -> Resp:
    """One request on its own connection, from `source_ip` if given."""
    conn = http.client.HTTPConnection(e2e.LOOPBACK, srv.http_port, timeout=timeout,
                                      source_address=(source_ip, 0) if source_ip else None)
    t0 = time.monotonic()
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        data = r.read()
        return Resp(r.status, {k.lower(): v for k, v in r.getheaders()}, data, time.monotonic() - t0)
    finally:
        conn.close()


_OFFER: list[str] = []


def offer() -> str:
    """A recvonly H.264 offer from aiortc (no network needed: candidates come only after
    setLocalDescription, and Sluice is ICE-lite)."""
    if not _OFFER:
        from aiortc import RTCPeerConnection

        async def make() -> str:
            pc = RTCPeerConnection()
            pc.addTransceiver("video", direction="recvonly")
            o = await pc.createOffer()
            await pc.close()
            return o.sdp

        _OFFER.append(asyncio.run(make()))
    return _OFFER[0]


def post_whep(srv, path: str, headers: dict | None = None, source_ip: str | None = None, query: str = "") -> Resp:
    h = {"Content-Type": "application/sdp", **(headers or {})}
    return request(srv, "POST", f"/{path}/whep" + (f"?{query}" if query else ""), h, offer(), source_ip)


def delete_session(srv, r: Resp):
    loc = r.header("Location")
    assert loc, r.headers
    d = request(srv, "DELETE", loc)
    assert d.status == 200, (d.status, d.text)


def start_server(server_factory, **extra) -> e2e.Server:
    srv = server_factory(PATHS, log_level="info", extra={"authInternalUsers": USERS, **extra})
    for name in PATHS:
        srv.wait_path(name, ready=True, timeout=20)
    return srv


def assert_challenge(r: Resp, what: str):
    assert r.status == 401, f"{what}: {r.status} {r.text[:300]}"
    assert r.header("WWW-Authenticate") == 'Basic realm="mediamtx"', f"{what}: {r.headers}"


def assert_denied(r: Resp, what: str):
    assert r.status == 401, f"{what}: {r.status} {r.text[:300]}"
    assert r.header("WWW-Authenticate") is None, f"{what}: a wrong password must not re-ask: {r.headers}"
    assert r.elapsed <= MAX_PAUSE + SLACK, f"{what}: answered after {r.elapsed:.2f} s"
    assert '"authentication error"' in r.text, r.text


# --------------------------------------------------------------------------------------


def test_whep_read_needs_the_right_credentials(server_factory):
    srv = start_server(server_factory)

    # Nothing supplied: asked for credentials at once, and no session is created.
    for path in ("cam1", "cam2"):
        r = post_whep(srv, path)
        assert_challenge(r, f"POST /{path}/whep without credentials")
        assert r.elapsed < 1.0, r.elapsed
    # MediaMTX's internal method takes no credentials from the query string (?token= and
    # ?jwt= are read only by its jwt/http methods): still "nothing supplied".
    assert_challenge(post_whep(srv, "cam1", query=f"token={VIEWER[0]}:{VIEWER[1]}"), "?token=user:pass")
    assert_challenge(post_whep(srv, "cam1", query="jwt=abc"), "?jwt=")

    # The right credentials, as Basic and as Bearer user:pass: 201 with an answer.
    for how, headers in (("Basic", basic(*VIEWER)), ("Bearer", bearer(*VIEWER))):
        r = post_whep(srv, "cam1", headers)
        assert r.status == 201, f"{how}: {r.status} {r.text[:300]}"
        assert r.header("Content-Type") == "application/sdp"
        assert "a=fingerprint" in r.text
        delete_session(srv, r)

    # Wrong password, unknown user, and a path this user may not read: 401 after the pause,
    # in parallel so that the test does not wait for each pause in turn.
    attempts = {
        "wrong password": lambda: post_whep(srv, "cam1", basic(VIEWER[0], "nope")),
        "unknown user": lambda: post_whep(srv, "cam1", bearer("mallory", "s3cret")),
        "other path": lambda: post_whep(srv, "cam2", basic(*VIEWER)),
        "outside ips": lambda: post_whep(srv, "cam2", basic(*LOCAL), source_ip="127.0.0.2"),
        "OPTIONS other path": lambda: request(srv, "OPTIONS", "/cam2/whep", basic(*VIEWER)),
        "page of other path": lambda: request(srv, "GET", "/cam2/", basic(*VIEWER)),
    }
    with ThreadPoolExecutor(len(attempts)) as pool:
        futures = {name: pool.submit(fn) for name, fn in attempts.items()}
        results = {name: f.result() for name, f in futures.items()}
    for name, r in results.items():
        assert_denied(r, name)

    # `ips`: the same user and password from 127.0.0.1 read any camN.
    r = post_whep(srv, "cam2", basic(*LOCAL), source_ip="127.0.0.1")
    assert r.status == 201, (r.status, r.text[:300])
    delete_session(srv, r)

    # The non-preflight OPTIONS of the WHEP endpoint and the player page need read too;
    # the CORS preflight does not.
    assert_challenge(request(srv, "OPTIONS", "/cam1/whep"), "OPTIONS without credentials")
    r = request(srv, "OPTIONS", "/cam1/whep", basic(*VIEWER))
    assert r.status == 204 and r.header("Accept-Post") == "application/sdp", (r.status, r.headers)
    r = request(srv, "OPTIONS", "/cam2/whep", {"Access-Control-Request-Method": "POST"})
    assert r.status == 204, r.status
    assert_challenge(request(srv, "GET", "/cam1/"), "player page without credentials")
    r = request(srv, "GET", "/cam1/", bearer(*VIEWER))
    assert r.status == 200 and b"<html" in r.body.lower(), (r.status, r.text[:200])

    # Refusals are logged, but not one line per request.
    log = srv.log_text()
    assert re.search(r"127\.0\.0\.1 failed to authenticate", log), log[-3000:]
    srv.assert_alive()


def test_wrong_password_pause_does_not_delay_others(server_factory):
    srv = start_server(server_factory)
    # 16 wrong passwords from 4 clients (4 each: under the failure guard's 10), all at once.
    clients = ["127.0.0.4", "127.0.0.5", "127.0.0.6", "127.0.0.7"]
    with ThreadPoolExecutor(16) as pool:
        wrong = [pool.submit(post_whep, srv, "cam1", basic(VIEWER[0], f"guess{i}"), clients[i % 4])
                 for i in range(16)]
        time.sleep(0.2)  # the wrong ones are now waiting out their pause
        # Meanwhile a client with the right credentials is served at once.
        fast = []
        for _ in range(5):
            fast.append(request(srv, "GET", "/cam1/", basic(*VIEWER), source_ip="127.0.0.8"))
        good = post_whep(srv, "cam1", basic(*VIEWER), source_ip="127.0.0.8")
        pending_while_served = sum(not f.done() for f in wrong)
        results = [f.result() for f in wrong]
    for r in fast:
        assert r.status == 200 and r.elapsed < 0.2, f"right credentials answered in {r.elapsed:.3f} s ({r.status})"
    assert good.status == 201 and good.elapsed < 0.2, f"201 expected at once: {good.status} in {good.elapsed:.3f} s"
    delete_session(srv, good)
    assert pending_while_served >= 8, f"only {pending_while_served} wrong-password requests still pending"

    delays = sorted(r.elapsed for r in results)
    for r in results:
        assert_denied(r, "wrong password")
    mean = sum(delays) / len(delays)
    print(f"wrong-password answer times (s): {[round(d, 2) for d in delays]}, mean {mean:.2f}; "
          f"meanwhile right credentials answered in {[round(r.elapsed * 1000) for r in fast + [good]]} ms")
    # Uniform over [0, 4) s: the mean of 16 is 2 s with a standard deviation of 0.29 s.
    assert mean >= 0.8, f"mean pause {mean:.2f} s: no real delay"
    assert delays[-1] - delays[0] >= 1.0, f"pauses {delays}: not random"
    srv.assert_alive()


def test_parallel_guessing_is_throttled(server_factory):
    srv = start_server(server_factory)
    attacker = "127.0.0.9"
    with ThreadPoolExecutor(30) as pool:
        results = list(pool.map(lambda i: post_whep(srv, "cam1", basic(VIEWER[0], f"g{i}"), attacker), range(30)))
    statuses = [r.status for r in results]
    throttled = [r for r in results if r.status == 429]
    assert statuses.count(401) <= 11, statuses  # the guard allows 10 failures, the 11th blocks
    assert len(throttled) >= 19, statuses
    for r in throttled:
        assert r.elapsed < 1.0, f"429 after {r.elapsed:.2f} s: should be at once"
        assert r.header("Content-Type").startswith("application/json"), r.headers
        assert '"status":"error"' in r.text and "too many authentication failures" in r.text, r.text
    # Even the right password is refused (not checked) while the client is blocked...
    r = post_whep(srv, "cam1", basic(*VIEWER), source_ip=attacker)
    assert r.status == 429, (r.status, r.text)
    # ... and another client is not affected.
    r = post_whep(srv, "cam1", basic(*VIEWER), source_ip="127.0.0.10")
    assert r.status == 201, (r.status, r.text)
    delete_session(srv, r)
    log = srv.log_text()
    assert re.search(r"\[auth\] 127\.0\.0\.9 sent more than 10 wrong credentials", log), log[-3000:]
    lines = [l for l in log.splitlines() if "127.0.0.9" in l]
    assert len(lines) <= 4, "refusals logged per request:\n" + "\n".join(lines[:40])


class Flood:
    """Holds `count` connections from `source_ip` to the server, reopening those that close,
    for at most `seconds`. Counts the 429 answers it sees. Bounded in count and time."""

    def __init__(self, port: int, source_ip: str, count: int, seconds: float):
        self.port, self.source_ip, self.count, self.seconds = port, source_ip, count, seconds
        self.opened = self.refused_429 = self.max_open = 0
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _connect(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((self.source_ip, 0))
        s.settimeout(2)
        try:
            s.connect((e2e.LOOPBACK, self.port))
        except OSError:
            s.close()
            return None
        s.setblocking(False)
        self.opened += 1
        return s

    def _run(self):
        socks = []
        deadline = time.monotonic() + self.seconds
        try:
            while not self.stop_event.is_set() and time.monotonic() < deadline:
                while len(socks) < self.count and time.monotonic() < deadline:
                    s = self._connect()
                    if s is None:
                        break
                    socks.append(s)
                self.max_open = max(self.max_open, len(socks))
                alive = []
                for s in socks:
                    try:
                        data = s.recv(4096)
                        if data.startswith(b"HTTP/1.1 429"):
                            self.refused_429 += 1
                        s.close()  # answered or closed: reopen it
                    except BlockingIOError:
                        alive.append(s)
                    except OSError:
                        s.close()
                socks = alive
                time.sleep(0.2)  # at most ~5 reopenings of each connection per second
        finally:
            for s in socks:
                s.close()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop_event.set()
        self.thread.join(timeout=10)


def test_connection_flood_leaves_others_able_to_watch(server_factory, browser_factory):
    cap = 16
    srv = start_server(server_factory, httpMaxConnectionsPerClient=cap)
    with Flood(srv.http_port, "127.0.0.3", count=10 * cap, seconds=60) as flood:
        for _ in e2e.deadline_loop(10, 0.1):
            if flood.refused_429 >= cap:
                break
        assert flood.refused_429 >= cap, f"the flood saw {flood.refused_429} refusals (opened {flood.opened})"

        # Another client's viewer starts and plays, with credentials, while the flood goes on.
        r = request(srv, "GET", "/cam1/", basic(*VIEWER), source_ip="127.0.0.1")
        assert r.status == 200, r.status
        b = browser_factory()
        b.driver.execute_cdp_cmd("Network.enable", {})
        b.driver.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": basic(*VIEWER)})
        s = b.watch(srv.url("/cam1/"), 20, until=lambda s: s["framesDecoded"] >= 30)
        still_flooding = flood.thread.is_alive()
        refused = flood.refused_429
    print(f"flood: opened {flood.opened}, max open {flood.max_open}, 429s {refused}; viewer: {s}")
    assert still_flooding, "the flood ended before the viewer was checked"
    assert s["framesDecoded"] >= 30, f"viewer decoded {s['framesDecoded']} frames during the flood: {s}"
    posts = [w for w in b.whep_requests() if w.get("method") == "POST"]
    assert any(w.get("status") == 201 for w in posts), posts
    # Logged once per client per 10 s, not per refused connection.
    lines = [l for l in srv.log_text().splitlines() if "client 127.0.0.3 already holds" in l]
    assert 1 <= len(lines) <= 8, f"{len(lines)} log lines for {refused} refusals"
    srv.assert_alive()


def test_half_open_and_handshake_caps(server_factory):
    srv = start_server(server_factory, webrtcMaxHandshakesPerClient=3, webrtcMaxHandshakes=5,
                       webrtcHandshakeTimeout="60s", authInternalUsers=[
                           {"user": "any", "pass": "", "ips": [], "permissions": [{"action": "read"}]}])
    created = []

    def post(ip):
        r = post_whep(srv, "cam1", source_ip=ip)
        if r.status == 201:
            created.append(r)
        return r

    # One client: 3 sessions that never do ICE, then 429.
    for _ in range(3):
        assert post("127.0.0.2").status == 201
    r = post("127.0.0.2")
    assert r.status == 429, (r.status, r.text)
    assert r.header("Content-Type").startswith("application/json"), r.headers
    assert "too many sessions of this address are still connecting" in r.text, r.text
    # A burst of refusals is logged once per client per interval, not per request.
    assert all(post("127.0.0.2").status == 429 for _ in range(20))
    lines = [l for l in srv.log_text().splitlines() if "WHEP request from 127.0.0.2" in l]
    assert 1 <= len(lines) <= 2, "\n".join(lines[:30])
    # Another client still gets in, up to the global cap of 5; then everyone gets 503.
    assert post("127.0.0.3").status == 201
    assert post("127.0.0.3").status == 201
    for ip in ("127.0.0.3", "127.0.0.4"):
        r = post(ip)
        assert r.status == 503, (ip, r.status, r.text)
        assert "the server is busy: too many sessions are connecting" in r.text, r.text
    # Closing the half-open sessions frees the slots.
    for c in created[:2]:
        delete_session(srv, c)
    for _ in e2e.deadline_loop(5, 0.1):
        r = post("127.0.0.4")
        if r.status == 201:
            break
    assert r.status == 201, (r.status, r.text)
    for c in created[2:]:
        delete_session(srv, c)
    srv.assert_alive()
