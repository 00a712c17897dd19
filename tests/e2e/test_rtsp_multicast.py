"""Sluice's RTSP server over UDP multicast (issue 10): ffprobe, ffmpeg and GStreamer's rtspsrc
read a pulled camera (1080p H.264 + G.711) from the groups Sluice sends to, one per track, and
a stream ffmpeg publishes into Sluice is read back the same way, in a private network
namespace whose lo carries multicast (netns_multicast_scenario.py).

Every process is started here and stopped by its PID; every wait is bounded.
"""

from __future__ import annotations

import json
import re

import pytest

import sluice_e2e as e2e
from test_audio import av1080  # noqa: F401  (fixture)
from test_camsim import CAMSIM

pytestmark = pytest.mark.skipif(not CAMSIM.exists(), reason=f"{CAMSIM} is not built")


def test_multicast_readers_get_every_track_from_one_group_per_track(av1080, tmp_path):  # noqa: F811
    ok, err = e2e.netns_available()
    if not ok:
        pytest.skip(f"no network namespace: {err}")
    status, text = e2e.run_bounded(
        e2e.netns_command([e2e.PYTHON, str(e2e.SOURCE_DIR / "tests" / "e2e" / "netns_multicast_scenario.py"),
                           "--camsim", str(CAMSIM), "--clip", str(av1080), "--workdir", str(tmp_path)]),
        timeout=240, log_path=tmp_path / "scenario.log")
    m = re.search(r"^SCENARIO-RESULT (.*)$", text, re.M)
    assert status == 0 and m, f"exit status {status}:\n{text[-4000:]}"
    r = json.loads(m.group(1))
    print(json.dumps({k: v for k, v in r.items() if k != "log_tail"}, indent=1))
    assert "error" not in r and "stop_problem" not in r, r
    assert r["listener"], r["log_tail"]
    t0, t1 = r["setup_transports"]
    rx = r"RTP/AVP;multicast;destination=(239\.5\.\d+\.\d+);port=(\d+)-(\d+);ttl=16;ssrc=[0-9A-F]{8}"
    g0, g1 = re.fullmatch(rx, t0), re.fullmatch(rx, t1)
    assert g0 and g1 and g0.group(1) != g1.group(1) and g0.group(2, 3) == g1.group(2, 3), (t0, t1)
    assert r["ffprobe"] == [["audio", "pcm_mulaw"], ["video", "h264"]], r["ffprobe"]
    # Two players at once, 5 s each: at least 3 s of 30 fps decoded by each (joining waits for
    # the next keyframe, as with any multicast player), and the API says how they read.
    assert all(f >= 90 for f in r["ffmpeg_frames"]), (r["ffmpeg_frames"], r["ffmpeg_errors"])
    assert r["api_transports"] == ["UDP-multicast", "UDP-multicast"], r["api_transports"]
    assert r["sessions_logged"] >= 2, r["log_tail"]
    if "gstreamer_eos" in r:
        assert r["gstreamer_eos"], r.get("gstreamer_output")
    assert r["while_reading"] > 20, r["while_reading"]
    # A stream ffmpeg publishes is read back over multicast with its codecs.
    for transport, got in r["published"].items():
        assert got["codecs"] == [["audio", "pcm_mulaw"], ["video", "h264"]] and got["frames"] >= 90, (transport, got)
        assert got.get("gstreamer_eos", True), (transport, got)
    assert r["after_readers_left"] == 0, "the groups kept receiving after every reader left"
    assert r["tcp_frames"] >= 60, r
    assert r["server_alive"]
