"""Cameras with sound (issue 8): camsim serves the 1080p A/V clip with G.711 or AAC audio,
Sluice pulls every track, and Chromium plays both -- on Sluice's own player page and through a
plain WHEP exchange written here -- with `getStats()` showing an inbound audio track whose
packets keep arriving next to >= 90 decoded 1920x1080 frames. The API lists the tracks.

Every process is started here and stopped by its PID; every wait is bounded; loopback only.
"""

from __future__ import annotations

import subprocess
import time

import pytest
import requests

import sluice_e2e as e2e
from test_camsim import CAMSIM, camsim  # noqa: F401  (the fixture)

FRAMES = 90
WATCH_S = 20

pytestmark = pytest.mark.skipif(not CAMSIM.exists(), reason=f"{CAMSIM} is not built")


@pytest.fixture(scope="module")
def av1080(tmp_path_factory):
    """The A/V sync clip at 1080p (scripts/make-av-clip.sh): OUT.h264, OUT.pcmu, OUT.aac."""
    out = tmp_path_factory.mktemp("av1080") / "av"
    r = subprocess.run([str(e2e.SOURCE_DIR / "scripts" / "make-av-clip.sh"), str(out)], capture_output=True,
                       text=True, timeout=240, env={"PATH": "/usr/bin:/bin"}, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr
    return out.with_suffix(".h264")


# A plain WHEP exchange, as any WHEP player does it: recvonly video + audio, POST the offer,
# apply the answer. The connection goes into window.__pcs, where browser_viewer's stats find it.
PLAIN_WHEP_JS = r"""
const url = arguments[0], done = arguments[arguments.length - 1];
(async () => {
  const pc = new RTCPeerConnection();
  pc.addTransceiver('video', {direction: 'recvonly'});
  pc.addTransceiver('audio', {direction: 'recvonly'});
  const media = new MediaStream();
  pc.ontrack = e => {
    media.addTrack(e.track);
    const v = document.querySelector('video') || document.body.appendChild(document.createElement('video'));
    v.muted = true; v.autoplay = true; v.playsInline = true; v.srcObject = media; v.play().catch(() => {});
  };
  const offer = await pc.createOffer();
  await pc.setLocalDescription(offer);
  const r = await fetch(url, {method: 'POST', headers: {'Content-Type': 'application/sdp'}, body: offer.sdp});
  const answer = await r.text();
  if (r.status !== 201) return {status: r.status, body: answer};
  await pc.setRemoteDescription({type: 'answer', sdp: answer});
  return {status: r.status, answer};
})().then(done, e => done({error: String(e)}));
"""


def watch_until_audio(b, seconds: float) -> tuple[dict, list[int]]:
    """Polls getStats() until the video has decoded FRAMES at 1080p and audio packets keep
    coming; returns the last sample and the audio packet counts seen."""
    counts: list[int] = []

    def sample(s):
        counts.append(int((s.get("audio") or {}).get("packetsReceived", 0)))

    def enough(s):
        return (s["framesDecoded"] >= FRAMES and s.get("frameWidth") == 1920 and len(counts) >= 3
                and counts[-1] > counts[-3] > 0)

    s = b.poll(seconds, until=enough, on_sample=sample)
    return s, counts


def assert_plays_with_audio(s: dict, counts: list[int], mime: str):
    assert s["framesDecoded"] >= FRAMES, f"only {s['framesDecoded']} frames decoded: {s}"
    assert (s.get("frameWidth"), s.get("frameHeight")) == (1920, 1080), s
    audio = s.get("audio") or {}
    assert (audio.get("mimeType") or "").lower() == mime, s
    assert len(counts) >= 3 and counts[-1] > counts[-3] > 0, f"audio packets do not grow: {counts}"


class Started:
    def __init__(self, srv, api: str):
        self.srv, self.api = srv, api

    def path(self, name: str) -> dict:
        items = requests.get(self.api + "/v3/paths/list", timeout=5).json()["items"]
        return next(i for i in items if i["name"] == name)


def start(camsim, server_factory, clip, audio: str, transport: str = "tcp") -> Started:  # noqa: F811
    cs = camsim(1, "--clip", clip, "--audio", audio)
    api_port = e2e.free_port("tcp")
    srv = server_factory({"cam": {"source": cs.url(1), "rtspTransport": transport}}, log_level="info",
                         extra={"api": True, "apiAddress": f"{e2e.LOOPBACK}:{api_port}"})
    srv.wait_path("cam", ready=True, timeout=20)
    return Started(srv, f"http://{e2e.LOOPBACK}:{api_port}")


@pytest.mark.parametrize("page", ["player", "plain-whep"])
def test_chromium_plays_g711_camera_with_sound(camsim, av1080, server_factory, browser_factory, page):  # noqa: F811
    st = start(camsim, server_factory, av1080, "pcmu", "tcp" if page == "player" else "udp")
    srv = st.srv
    cam = st.path("cam")
    assert cam["tracks"] == ["H264", "G711"], cam
    g711 = cam["tracks2"][1]
    assert g711["codecProps"] == {"muLaw": True, "sampleRate": 8000, "channelCount": 1}, g711

    b = browser_factory()
    if page == "player":
        b.open(srv.url("/cam/"))
    else:
        b.open(srv.url("/cam/whep"))  # any page of the server's origin: the script does the rest
        r = b.driver.execute_async_script(PLAIN_WHEP_JS, srv.url("/cam/whep"))
        assert r.get("status") == 201, r
        assert "PCMU/8000" in r["answer"] and "m=audio" in r["answer"], r["answer"]
    s, counts = watch_until_audio(b, WATCH_S)
    print(f"[g711/{page}] viewer: {s}\naudio packets: {counts}")
    assert_plays_with_audio(s, counts, "audio/pcmu")
    assert "2 tracks (H264, PCMU)" in srv.log_text(), srv.log_text()[-3000:]
    srv.assert_alive()


def test_chromium_plays_aac_camera_as_opus_transcoded_only_while_watched(camsim, av1080, server_factory,  # noqa: F811
                                                                        browser_factory):
    st = start(camsim, server_factory, av1080, "aac")
    srv = st.srv
    cam = st.path("cam")
    assert cam["tracks"] == ["H264", "MPEG-4 Audio"], cam
    assert cam["tracks2"][1]["codecProps"] == {"sampleRate": 48000, "channelCount": 1}, cam["tracks2"]
    time.sleep(1)
    assert "transcoding" not in srv.log_text(), "transcoding without a reader"

    b = browser_factory()
    b.open(srv.url("/cam/"))
    s, counts = watch_until_audio(b, WATCH_S)
    print(f"[aac] viewer: {s}\naudio packets: {counts}")
    assert_plays_with_audio(s, counts, "audio/opus")
    assert srv.wait_log(r"started transcoding track 2 \(MPEG-4 Audio", 1), srv.log_text()[-3000:]
    b.open("about:blank")  # the only reader leaves (or its consent expires): the transcoder goes with it
    assert srv.wait_log(r"stopped transcoding track 2", 40), srv.log_text()[-3000:]
    srv.assert_alive()


def test_viewer_without_the_streams_codecs_gets_400_naming_them(camsim, server_factory, tmp_path):  # noqa: F811
    """An H.265 camera and an offer without H265 (aiortc offers VP8 and H264): 400, and the
    message names the stream's codecs and the offered ones."""
    clip = tmp_path / "h265"
    r = subprocess.run([str(e2e.SOURCE_DIR / "scripts" / "make-av-clip.sh"), str(clip)], capture_output=True,
                       text=True, timeout=240, env={"PATH": "/usr/bin:/bin", "SIZE": "640x360", "CODEC": "h265"},
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr
    cs = camsim(1, "--clip", clip.with_suffix(".h265"), "--audio", "pcmu")
    srv = server_factory({"cam": {"source": cs.url(1), "rtspTransport": "tcp"}}, log_level="info")
    srv.wait_path("cam", ready=True, timeout=20)
    from test_access import offer
    resp = requests.post(srv.url("/cam/whep"), data=offer(), headers={"Content-Type": "application/sdp"}, timeout=10)
    assert resp.status_code == 400, (resp.status_code, resp.text)
    err = resp.json()["error"]
    assert err.startswith("codecs not supported by client"), err
    assert "H265" in err and "H264" in err and "VP8" in err, err


def test_h265_camera_reaches_a_viewer_that_offers_h265(camsim, server_factory, tmp_path):  # noqa: F811
    """An H.265 camera (with PCMU) -> Sluice -> sluice-load offering H265: the viewer gets H.265
    (no transcoding, RFC 7798 payloads re-fragmented once per stream) and the PCMU track, and
    the bytes it dumps decode with ffmpeg, frame for frame, without an error."""
    load = e2e.BUILD_DIR / "bench" / "sluice-load"
    clip = tmp_path / "clip.h265"
    r = subprocess.run([str(e2e.SOURCE_DIR / "scripts" / "make-h265-clip.sh"), str(clip)], capture_output=True,
                       text=True, timeout=120, env={"PATH": "/usr/bin:/bin", "SIZE": "640x360"},
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr
    av = tmp_path / "av"  # make-av-clip's PCMU next to the H.265 clip, for camsim --audio
    r = subprocess.run([str(e2e.SOURCE_DIR / "scripts" / "make-av-clip.sh"), str(av)], capture_output=True,
                       text=True, timeout=120, env={"PATH": "/usr/bin:/bin", "SIZE": "320x180"},
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr
    cs = camsim(1, "--clip", clip, "--audio", "pcmu", "--audio-clip", av.with_suffix(".pcmu"))
    srv = server_factory({"cam": {"source": cs.url(1), "rtspTransport": "tcp"}}, log_level="info")
    srv.wait_path("cam", ready=True, timeout=20)

    dump, report = tmp_path / "received.h265", tmp_path / "load.json"
    r = subprocess.run([str(load), "--url", srv.url("/cam/whep"), "--sessions", "1", "--seconds", "5", "--h265",
                        "--dump-h265", str(dump), "--json", str(report), "--quiet"], capture_output=True, text=True,
                       timeout=60, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr
    import json
    doc = json.loads(report.read_text())
    s = doc["per_session"][0]
    assert doc["sessions_connected"] == 1 and s["audio_codec"] == "PCMU" and s["audio_packets"] > 200, doc
    assert "2 tracks (H265, PCMU)" in srv.log_text(), srv.log_text()[-3000:]

    r = subprocess.run(["ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-f", "hevc", "-i", str(dump), "-f",
                        "null", "-progress", "pipe:1", "-"], capture_output=True, text=True, timeout=60,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr
    import re
    frames = int(re.findall(r"^frame=(\d+)", r.stdout, re.M)[-1])
    print(f"sluice-load dumped {dump.stat().st_size} bytes of H.265: ffmpeg decoded {frames} frames; "
          f"stderr {r.stderr.strip()!r}")
    # 5 s at 30 fps after the cached GOP's start: the frames the viewer received, all decodable.
    assert 140 <= frames <= 200, frames
    assert r.stderr.strip() == "", f"ffmpeg reported errors in the dumped H.265:\n{r.stderr}"
