"""Faults around a running Sluice: camera loss and return, a viewer that vanishes, bad
WHEP requests, an unreachable camera, and garbage on the HTTP and WebRTC UDP ports.
The server must survive all of it (the server fixture fails the test if it crashed or
did not stop cleanly on SIGTERM)."""

import os
import random
import re
import socket
import struct
import time

import requests

import sluice_e2e as e2e

# A well-formed browser-like WHEP offer (recvonly H.264), for requests whose outcome must
# not depend on SDP parsing.
OFFER_SDP = "\r\n".join([
    "v=0",
    "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
    "s=-",
    "t=0 0",
    "a=group:BUNDLE 0",
    "a=extmap-allow-mixed",
    "a=msid-semantic: WMS",
    "m=video 9 UDP/TLS/RTP/SAVPF 102 103",
    "c=IN IP4 0.0.0.0",
    "a=rtcp:9 IN IP4 0.0.0.0",
    "a=ice-ufrag:abcd",
    "a=ice-pwd:abcdefghijklmnopqrstuvwx",
    "a=ice-options:trickle",
    "a=fingerprint:sha-256 " + ":".join(["AB"] * 32),
    "a=setup:actpass",
    "a=mid:0",
    "a=recvonly",
    "a=rtcp-mux",
    "a=rtcp-rsize",
    "a=rtpmap:102 H264/90000",
    "a=rtcp-fb:102 nack",
    "a=rtcp-fb:102 nack pli",
    "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
    "a=rtpmap:103 rtx/90000",
    "a=fmtp:103 apt=102",
    "",
])

SDP = {"Content-Type": "application/sdp"}


def start_watched(media, camera_factory, server_factory, browser_factory, extra_paths=None,
                  min_frames=30):
    """camera -> server -> Chromium on /cam/, decoding at least `min_frames` frames."""
    cam = camera_factory(media["main"], path="cam", protocols="tcp")
    paths = {"cam": {"source": cam.url, "rtspTransport": "tcp"}}
    paths.update(extra_paths or {})
    srv = server_factory(paths)
    srv.wait_path("cam", ready=True, timeout=20)
    b = browser_factory()
    s = b.watch(srv.url("/cam/"), 20, until=lambda s: s["framesDecoded"] >= min_frames)
    assert s["framesDecoded"] >= min_frames, f"viewer did not start playing: {s}"
    return cam, srv, b, s


def error_json(r: requests.Response) -> dict:
    assert "json" in r.headers.get("Content-Type", ""), \
        f"error body is not JSON ({r.headers.get('Content-Type')}): {r.text[:300]}"
    body = r.json()
    assert body.get("status") == "error", body
    assert isinstance(body.get("error"), str) and body["error"].strip(), body
    return body


# ----------------------------------------------------------------------------------------


def test_camera_restart(media, camera_factory, server_factory, browser_factory):
    """The viewer keeps its session: Sluice holds it through the outage (sourceOfflineGrace,
    10 s by default) and resumes it at the camera's first keyframe."""
    cam, srv, b, first = start_watched(media, camera_factory, server_factory, browser_factory)

    cam.stop()
    took = srv.wait_path("cam", ready=False, timeout=20)
    print(f"path not ready {took:.1f} s after the camera stopped")
    frozen = b.poll(0).get("framesDecoded", 0)

    cam.restart()
    took = srv.wait_path("cam", ready=True, timeout=30)
    print(f"path ready again {took:.1f} s after the camera restarted")

    s = b.poll(40, until=lambda s: s["framesDecoded"] >= frozen + 60)
    assert s["framesDecoded"] >= frozen + 60, \
        f"viewer did not play again after the camera came back (frames {frozen} -> {s['framesDecoded']}): {s}"
    assert s.get("pcCount") == 1 and s.get("pcId") == first.get("pcId"), \
        f"the viewer's session was not kept (the player reconnected): {s}"
    assert (s.get("frameWidth"), s.get("frameHeight")) == (1920, 1080), s
    srv.assert_alive()


def _session_token_matches(token: str, session_id: str) -> bool:
    t = token.lower().replace("-", "")
    sid = session_id.lower().replace("-", "")
    return bool(t) and (sid == t or sid.startswith(t))


SESSION_RX = r"\[WebRTC\] \[session ([^\]\s]+)\]"


def test_vanished_viewer_session_is_freed(media, camera_factory, server_factory, browser_factory):
    cam, srv, b, _ = start_watched(media, camera_factory, server_factory, browser_factory)

    posts = [w for w in b.whep_requests() if w.get("method") == "POST" and w.get("status") == 201]
    session_id = (posts[-1].get("id") or "") if posts else ""
    log = srv.log_text()
    tokens = list(dict.fromkeys(re.findall(SESSION_RX, log)))
    closed = set(re.findall(SESSION_RX + r" closed:", log))
    if session_id:
        ours = [t for t in tokens if _session_token_matches(t, session_id)]
        assert ours, f"no log line names the viewer's session {session_id} (log sessions: {tokens})"
    else:  # the player did not use fetch(): every session still open is the viewer's
        ours = [t for t in tokens if t not in closed]
        assert ours, f"no open [WebRTC] [session ...] in the log (sessions: {tokens}, closed: {closed})"
    assert not any(t in closed for t in ours[-1:]), f"session {ours[-1]} already closed before the kill"
    token = ours[-1]

    t0 = time.monotonic()
    b.kill_browser()  # no DELETE, no DTLS close_notify: the server must notice by itself
    m = srv.wait_log(r"\[WebRTC\] \[session " + re.escape(token) + r"\] closed: *(.*)$", timeout=40)
    took = time.monotonic() - t0
    assert m, f"session {token} (ID {session_id or '?'}) not closed within 40 s of the viewer vanishing"
    print(f"session {token} closed {took:.1f} s after the viewer vanished: {m.group(1)!r}")
    assert took <= 40
    srv.assert_alive()


def test_whep_unknown_path_and_bad_sdp(media, camera_factory, server_factory):
    cam = camera_factory(media["main"], path="cam", protocols="tcp")
    srv = server_factory({"cam": {"source": cam.url, "rtspTransport": "tcp"}})
    srv.wait_path("cam", ready=True, timeout=20)

    r = requests.post(srv.url("/nope/whep"), data=OFFER_SDP, headers=SDP, timeout=10)
    assert r.status_code == 404, (r.status_code, r.text[:300])
    error_json(r)

    for bad in ["this is not an SDP offer",
                "v=0\r\nm=video\r\n",
                "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 102\r\n"
                "a=rtpmap:102 H264/90000\r\n",  # no ICE credentials, no fingerprint
                "\x00\xff" * 100]:
        r = requests.post(srv.url("/cam/whep"), data=bad.encode("latin-1"), headers=SDP, timeout=10)
        assert r.status_code == 400, (bad[:40], r.status_code, r.text[:300])
        body = error_json(r)
        print(f"bad SDP {bad[:30]!r} -> 400 {body['error']!r}")

    # the path itself is unharmed
    assert srv.path_ready("cam") is True
    srv.assert_alive()


def test_unreachable_camera(media, camera_factory, server_factory):
    cam = camera_factory(media["main"], path="cam", protocols="tcp")
    dead_port = e2e.closed_tcp_port()
    srv = server_factory({
        "cam": {"source": cam.url, "rtspTransport": "tcp"},
        "deadcam": {"source": f"rtsp://127.0.0.1:{dead_port}/x", "rtspTransport": "tcp"},
    })
    srv.wait_path("cam", ready=True, timeout=20)  # a dead source does not hold up the others

    m = srv.wait_log(r"^.*deadcam.*(refused|unreachable|error|fail|timed? ?out).*$", timeout=15,
                     flags=re.M | re.I)
    assert m, f"no log line names path 'deadcam' with the connection error within 15 s"
    print(f"log: {m.group(0)}")

    states = srv.path_states(["cam", "deadcam"])
    assert states.get("deadcam") is False, f"GET / should list 'deadcam' as not ready: {states}"
    assert states.get("cam") is True, states
    r = requests.post(srv.url("/deadcam/whep"), data=OFFER_SDP, headers=SDP, timeout=10)
    assert r.status_code == 404, (r.status_code, r.text[:300])  # no stream available
    error_json(r)
    srv.assert_alive()


# ---------------------------------------------------------------------------- garbage


def _stun(msg_type: int, attrs: bytes = b"", length: int | None = None) -> bytes:
    ln = len(attrs) if length is None else length
    return struct.pack("!HHI12s", msg_type, ln, 0x2112A442, os.urandom(12)) + attrs


def _attr(t: int, v: bytes) -> bytes:
    return struct.pack("!HH", t, len(v)) + v + b"\0" * (-len(v) % 4)


def udp_garbage(rng: random.Random) -> list[bytes]:
    out = [b"", b"\x00", b"\xff" * 3]
    out += [rng.randbytes(rng.randint(1, 1500)) for _ in range(300)]
    # fake STUN: bogus credentials, bad integrity, truncated, lying lengths, responses
    user = _attr(0x0006, b"nosuchufrag:viewer")
    integ = _attr(0x0008, os.urandom(20))
    fp = _attr(0x8028, os.urandom(4))
    prio = _attr(0x0024, struct.pack("!I", 1853824767))
    ctl = _attr(0x802A, os.urandom(8))
    for _ in range(40):
        out.append(_stun(0x0001, user + prio + ctl + integ + fp))          # binding request, bad creds
        out.append(_stun(0x0001, user + prio + ctl + integ))                # no fingerprint
        out.append(_stun(0x0001, b""))                                      # no attributes
        out.append(_stun(0x0101, _attr(0x0020, os.urandom(8))))             # unsolicited success
        out.append(_stun(0x0111, b""))                                      # unsolicited error
        out.append(_stun(0x0001, user, length=1000))                        # length lies
        out.append(_stun(0x0001, _attr(0x0006, b"x" * 600)))                # huge username
        out.append(_stun(0x0001, b"\x00\x06\xff\xff"))                      # attr length past end
        out.append(_stun(0x0001, user + prio)[:23])                          # truncated
        out.append(_stun(0x0003, user))                                     # allocate (TURN)
    # fake DTLS records: handshake, alert, change cipher spec, application data, lies
    for _ in range(40):
        frag = bytes([1]) + struct.pack("!I", 200)[1:] + b"\x00\x00" + b"\x00\x00\x00" + \
            struct.pack("!I", 200)[1:] + b"\xfe\xfd" + os.urandom(32) + os.urandom(160)
        out.append(b"\x16\xfe\xfd" + b"\x00\x00" + os.urandom(6) + struct.pack("!H", len(frag)) + frag)
        out.append(b"\x16\xfe\xff" + b"\x00\x00" + b"\x00" * 6 + struct.pack("!H", 60000) + os.urandom(40))
        out.append(b"\x15\xfe\xfd" + b"\x00\x01" + os.urandom(6) + b"\x00\x02\x02\x28")
        out.append(b"\x14\xfe\xfd" + b"\x00\x00" + os.urandom(6) + b"\x00\x01\x01")
        out.append(b"\x17\xfe\xfd" + b"\x00\x01" + os.urandom(6) + b"\x00\x40" + os.urandom(64))
        out.append(b"\x16\xfe\xfd" + os.urandom(5))
    # fake RTP / RTCP (SRTP-looking, unknown source)
    for i in range(60):
        out.append(struct.pack("!BBHII", 0x80, 96 + (i % 2), i, i * 3000, rng.getrandbits(32)) +
                   os.urandom(rng.randint(0, 1200)))
        out.append(struct.pack("!BBHII", 0x80 | 0x10 | 0x0F, 0xE0, i, 0, 0) + b"\xbe\xde\x00\x40")
        out.append(struct.pack("!BBHI", 0x80, 200, 6, rng.getrandbits(32)) + os.urandom(20))  # SR
        out.append(struct.pack("!BBHII", 0x81, 205, 3, 1, rng.getrandbits(32)) + os.urandom(4))  # NACK
        out.append(struct.pack("!BBHII", 0x81, 206, 2, 1, rng.getrandbits(32)))  # PLI
        out.append(struct.pack("!BBH", 0x80, 201, 0xFFFF))  # RR, length lies
    rng.shuffle(out)
    return out


def send_udp_garbage(port: int, rng: random.Random, rounds: int = 3):
    socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(4)]
    try:
        for _ in range(rounds):
            for i, d in enumerate(udp_garbage(rng)):
                socks[i % len(socks)].sendto(d, ("127.0.0.1", port))
                if i % 100 == 99:
                    time.sleep(0.01)  # ≈ 10k datagrams/s at most: garbage, not a flood
    finally:
        for s in socks:
            s.close()


def http_garbage(rng: random.Random) -> list[bytes]:
    return [
        rng.randbytes(2000),
        b"\x00" * 512,
        b"GET / HTTP/1.1\r\n",  # never finished
        b"GET / HTTP/1.1\r\nHost: x\r\nBroken header line\r\n\r\n",
        b"GARBAGE /cam/ HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 200000 + b"\r\n\r\n",
        b"GET / HTTP/9.9\r\n\r\n",
        b"GET /../../../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /%00%ff%c0%af/whep HTTP/1.1\r\nHost: x\r\n\r\n",
        b"POST /cam/whep HTTP/1.1\r\nHost: x\r\nContent-Type: application/sdp\r\nContent-Length: 99999999\r\n\r\nv=0",
        b"POST /cam/whep HTTP/1.1\r\nHost: x\r\nContent-Type: application/sdp\r\nContent-Length: -5\r\n\r\n",
        b"POST /cam/whep HTTP/1.1\r\nHost: x\r\nContent-Type: application/sdp\r\n"
        b"Transfer-Encoding: chunked\r\n\r\nzzzz\r\nabc\r\n",
        b"POST /cam/whep HTTP/1.1\r\nHost: x\r\nContent-Type: application/sdp\r\n"
        b"Content-Length: 5\r\nContent-Length: 50\r\n\r\nhello",
        b"PATCH /cam/whep/00000000-0000-0000-0000-000000000000 HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: application/trickle-ice-sdpfrag\r\nContent-Length: 9\r\n\r\n\xff\xfe\x00garbag",
        b"DELETE /cam/whep/not-a-uuid HTTP/1.1\r\nHost: x\r\n\r\n",
        b"OPTIONS * HTTP/1.1\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + rng.randbytes(500),  # a TLS ClientHello
        b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + rng.randbytes(100),           # HTTP/2 preface
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" * 50,                           # pipelined
    ]


def send_http_garbage(port: int, rng: random.Random):
    for payload in http_garbage(rng):
        s = socket.create_connection(("127.0.0.1", port), timeout=3)
        try:
            s.settimeout(2)
            try:
                s.sendall(payload)
                s.recv(65536)  # whatever it answers (or a timeout / reset)
            except OSError:
                pass
        finally:
            s.close()
    # half-open and idle connections, closed by us at the end
    idle = [socket.create_connection(("127.0.0.1", port), timeout=3) for _ in range(20)]
    for i, s in enumerate(idle):
        try:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n" if i % 2 else b"")
        except OSError:
            pass
    time.sleep(0.5)
    for s in idle:
        s.close()


def test_garbage_does_not_disturb_viewer(media, camera_factory, server_factory, browser_factory):
    cam, srv, b, _ = start_watched(media, camera_factory, server_factory, browser_factory)
    rng = random.Random(20240601)

    send_udp_garbage(srv.udp_port, rng)
    send_http_garbage(srv.http_port, rng)
    srv.assert_alive()

    base = b.poll(0)
    s = b.poll(3.0, until=lambda s: s.get("pcId") == base.get("pcId")
               and s["framesDecoded"] - base["framesDecoded"] >= 60)
    assert s.get("pcId") == base.get("pcId"), f"the viewer's connection was replaced: {base} -> {s}"
    assert s["framesDecoded"] - base["framesDecoded"] >= 60, \
        f"frames after garbage: {base['framesDecoded']} -> {s['framesDecoded']} in 3 s"

    r = requests.get(srv.url("/"), timeout=5)  # HTTP still serves
    assert r.status_code == 200
    assert srv.path_ready("cam") is True
    print(f"server after garbage: {srv.stats()}")
    srv.assert_alive()
