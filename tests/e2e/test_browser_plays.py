"""RTSP camera -> Sluice -> headless Chromium on Sluice's own player page.

The camera (tests/tools/rtsp_camera.py) serves a 10 s 1080p30 clip in a loop; Sluice
pulls it over the transport under test (the camera offers only that transport, so a
silent fallback would show); Chromium opens http://127.0.0.1:PORT/cam/ and must decode
at least 90 frames of 1920x1080 H.264 within 15 s.
"""

import re

import requests
import pytest

import sluice_e2e as e2e

FRAMES = 90
WATCH_S = 15


@pytest.mark.parametrize("profile,transport", [
    ("main", "tcp"),
    ("main", "udp"),
    ("high", "tcp"),
], ids=["main-tcp", "main-udp", "high-tcp"])
def test_chromium_plays_camera(profile, transport, media, camera_factory, server_factory, browser_factory):
    cam = camera_factory(media[profile], path="cam", protocols=transport)
    srv = server_factory({"cam": {"source": cam.url, "rtspTransport": transport}})
    srv.wait_path("cam", ready=True, timeout=20)

    b = browser_factory()
    s = b.watch(srv.url("/cam/"), WATCH_S,
                until=lambda s: s["framesDecoded"] >= FRAMES and s.get("frameWidth") == 1920)
    stats = srv.stats()
    print(f"[{profile}/{transport}] viewer: {s}\n[{profile}/{transport}] server: {stats}")

    assert s["framesDecoded"] >= FRAMES, f"only {s['framesDecoded']} frames decoded in {WATCH_S} s: {s}"
    assert (s.get("frameWidth"), s.get("frameHeight")) == (1920, 1080), s
    assert (s.get("mimeType") or "").lower() == "video/h264", s
    assert s.get("keyFramesDecoded", 0) >= 1, s
    srv.assert_alive()


def test_chromium_hanging_up_ends_its_session_at_once(media, camera_factory, server_factory, browser_factory):
    """Once Chromium's first SRTCP has arrived the server frees the session's OpenSSL state,
    keeping only Chromium's record key: closing the peer connection (close_notify, no
    DELETE) must still end the session at once, not after the 30 s consent timeout."""
    cam = camera_factory(media["main"], path="cam", protocols="tcp")
    srv = server_factory({"cam": {"source": cam.url}})
    srv.wait_path("cam", ready=True, timeout=20)
    b = browser_factory()
    s = b.watch(srv.url("/cam/"), WATCH_S, until=lambda s: s["framesDecoded"] >= 30)
    assert s["framesDecoded"] >= 30, s
    assert srv.wait_log(r"DTLS session freed", 10), "the viewer's DTLS session was never freed"
    assert not re.search(r"closed: ", srv.log_text()), "the session closed before the hang-up"
    b.driver.execute_script("for (const pc of window.__pcs) pc.close();")
    m = srv.wait_log(r"\[WebRTC\] \[session \w+\] closed: (.*)$", 5)
    assert m, "the server did not notice Chromium's close_notify within 5 s"
    assert m.group(1) == "peer connection closed by the client", m.group(0)
    srv.assert_alive()


def test_index_lists_ready_path_and_redirects(media, camera_factory, server_factory):
    cam = camera_factory(media["main"], path="cam", protocols="tcp")
    srv = server_factory({"cam": {"source": cam.url, "rtspTransport": "tcp"}})
    srv.wait_path("cam", ready=True, timeout=20)

    r = requests.get(srv.url("/"), timeout=5)
    assert r.status_code == 200, r.text[:500]
    states = e2e.parse_index(r.text, r.headers.get("Content-Type", ""), ["cam"])
    assert states.get("cam") is True, f"GET / does not list 'cam' as ready: {states}\n{r.text[:2000]}"

    r = requests.get(srv.url("/cam"), allow_redirects=False, timeout=5)
    assert r.status_code == 302, (r.status_code, r.text[:300])
    assert r.headers.get("Location") == "/cam/", r.headers

    r = requests.get(srv.url("/cam?controls=0"), allow_redirects=False, timeout=5)
    assert r.status_code == 302, (r.status_code, r.text[:300])
    assert r.headers.get("Location") == "/cam/?controls=0", r.headers

    r = requests.get(srv.url("/cam/"), timeout=5)
    assert r.status_code == 200, r.status_code
    assert "text/html" in r.headers.get("Content-Type", ""), r.headers
    srv.assert_alive()
