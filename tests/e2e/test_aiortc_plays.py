"""aiortc (no browser) plays a camera through Sluice over WHEP.

aioice never uses the loopback interface, so the whole scenario (camera, server, client)
runs in a private network namespace: lo up plus a veth end carrying 127.0.0.2/32, which
the server offers as its host candidate (webrtcAdditionalHosts: [127.0.0.2]). See
netns_aiortc_scenario.py."""

import json
from pathlib import Path

import sluice_e2e as e2e

SCENARIO = Path(__file__).resolve().parent / "netns_aiortc_scenario.py"
FRAMES = 60


def test_aiortc_plays_in_netns(media, tmp_path, attach_log):
    ok, err = e2e.netns_available()
    assert ok, f"cannot create a network namespace with a veth pair (unshare -n, needs root): {err}"

    wd = tmp_path / "netns"
    for name in ("sluice.log", "sluice.yml", "camera.log", "aiortc.log"):
        attach_log(f"netns {name}", wd / name)
    attach_log("netns scenario output", tmp_path / "scenario.log")

    status, out = e2e.run_bounded(
        e2e.netns_command([e2e.PYTHON, str(SCENARIO), "--workdir", str(wd), "--clip", str(media["main"]),
                           "--frames", str(FRAMES), "--client-timeout", "30"]),
        timeout=150, log_path=tmp_path / "scenario.log")
    lines = [l for l in out.splitlines() if l.startswith("SCENARIO-RESULT ")]
    assert lines, f"the scenario printed no result (exit status {status})"
    res = json.loads(lines[-1][len("SCENARIO-RESULT "):])
    print(json.dumps(res, indent=1))

    assert res.get("stage") == "done", f"scenario stopped at stage {res.get('stage')}: {res.get('error')}"
    c = res["client"]
    assert c, "no JSON from aiortc_whep_client.py"
    assert c.get("post_status") == 201, c
    assert c["frames"] >= FRAMES, f"aiortc decoded {c['frames']} frames: {c.get('error')}"
    assert (c["width"], c["height"]) == (1920, 1080), c
    assert c.get("location"), c
    assert c.get("delete_status") == 200, c
    assert res.get("server_alive_after_client"), res
    assert res.get("server_exit_problem") is None, res["server_exit_problem"]
