"""TURN end to end: webrtcICEServers2 hands coturn to the player (Link header), and a
viewer whose firewall lets through only the WHEP HTTP port and coturn's port plays via a
relay candidate. coturn (Debian's `turnserver`) runs as a child process with its own
config on a namespace address, never as a system service (netns_viewer_scenario.py)."""

import shutil

from test_ice_tcp import FRAMES, WATCH_S, run_scenario


def test_chromium_plays_through_coturn_relay(media, tmp_path, attach_log):
    assert shutil.which("turnserver"), "coturn is not installed (scripts/install-deps.sh installs it)"
    s = run_scenario(tmp_path, attach_log, media["main"], "--firewall", "turn-only", "--turn")
    assert s["framesDecoded"] >= FRAMES, f"only {s['framesDecoded']} frames decoded in {WATCH_S} s: {s}"
    assert (s.get("frameWidth"), s.get("frameHeight")) == (1920, 1080), s
    pair = s.get("candidatePair") or {}
    assert pair.get("local", "").split("/")[0] == "relay", f"the selected pair is not relayed: {pair}"
