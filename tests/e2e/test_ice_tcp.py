"""ICE-TCP (webrtcLocalTCPAddress, RFC 6544 passive candidates, RFC 4571 framing).

Chromium runs in its own network namespace behind nftables (netns_viewer_scenario.py):
with every UDP packet dropped it must still play the camera, over the TCP candidate; with
UDP allowed it must keep choosing UDP (our TCP candidates rank below the UDP ones); and a
server with `webrtcLocalUDPAddress: ""` serves over ICE-TCP alone, as MediaMTX allows."""

import json
from pathlib import Path

import pytest

import sluice_e2e as e2e

SCENARIO = Path(__file__).resolve().parent / "netns_viewer_scenario.py"
FRAMES = 90
WATCH_S = 25


def run_scenario(tmp_path, attach_log, clip, *args) -> dict:
    ok, err = e2e.netns_available()
    assert ok, f"cannot create a network namespace with a veth pair (unshare -n, needs root): {err}"
    wd = tmp_path / "netns"
    for name in ("sluice.log", "sluice.yml", "camera.log", "viewer.log", "viewer.nft", "turnserver.log",
                 "browser/browser-console.log"):
        attach_log(f"netns {name}", wd / name)
    attach_log("netns scenario output", tmp_path / "scenario.log")
    status, out = e2e.run_bounded(
        e2e.netns_command([e2e.PYTHON, str(SCENARIO), "--workdir", str(wd), "--clip", str(clip),
                           "--frames", str(FRAMES), "--seconds", str(WATCH_S), *args]),
        timeout=WATCH_S + 150, log_path=tmp_path / "scenario.log")
    lines = [l for l in out.splitlines() if l.startswith("SCENARIO-RESULT ")]
    assert lines, f"the scenario printed no result (exit status {status})"
    res = json.loads(lines[-1][len("SCENARIO-RESULT "):])
    print(json.dumps(res, indent=1))
    assert res.get("stage") == "done", f"scenario stopped at stage {res.get('stage')}: {res.get('error')}"
    assert res.get("server_exit_problem") is None, res["server_exit_problem"]
    assert res.get("viewer"), "no result from the viewer"
    s = res["viewer"]["sample"]
    s["api_remote_candidates"] = res.get("api_remote_candidates", [])
    return s


@pytest.mark.parametrize("firewall,protocol,server_args", [
    ("no-udp", "tcp", []),
    ("none", "udp", []),
    ("none", "tcp", ["--no-udp-listener"]),
], ids=["udp-blocked-plays-over-tcp", "udp-allowed-still-prefers-udp", "tcp-only-server"])
def test_chromium_ice_tcp(firewall, protocol, server_args, media, tmp_path, attach_log):
    s = run_scenario(tmp_path, attach_log, media["main"], "--firewall", firewall, "--ice-tcp", *server_args)
    assert s["framesDecoded"] >= FRAMES, f"only {s['framesDecoded']} frames decoded in {WATCH_S} s: {s}"
    assert (s.get("frameWidth"), s.get("frameHeight")) == (1920, 1080), s
    pair = s.get("candidatePair") or {}
    # "type/protocol/address/port" of each end of the selected pair
    assert pair.get("local", "").split("/")[1:2] == [protocol], pair
    assert pair.get("remote", "").split("/")[1:2] == [protocol], pair
    assert pair["remote"].split("/")[2] == "10.9.0.1", pair
    # The API names the selected path's protocol too (MediaMTX's "prflx/<proto>/<ip>/<port>").
    assert any(c.startswith(f"prflx/{protocol}/10.9.0.2/") for c in s["api_remote_candidates"]), \
        s["api_remote_candidates"]


def _closed_by_server(sock, timeout: float) -> bool:
    """True when the server closes the connection (EOF or reset) within `timeout` s."""
    import socket as _socket
    sock.settimeout(timeout)
    try:
        while True:
            data = sock.recv(4096)
            if not data:
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except _socket.timeout:
        return False


def test_ice_tcp_listener_rejects_bad_input(tmp_path, server_factory):
    """Garbage on the ICE-TCP port closes that connection only: an oversize or empty RFC 4571
    frame, a first frame that is not STUN, a check for no session, or silence past the
    handshake deadline. The server keeps serving the next connection."""
    import socket
    import struct

    tcp_port = e2e.free_port("tcp")
    srv = server_factory({}, extra={"webrtcLocalTCPAddress": f"127.0.0.1:{tcp_port}",
                                    "webrtcHandshakeTimeout": "2s"})
    assert srv.wait_log(r"ICE-TCP on 127\.0\.0\.1:%d" % tcp_port, 10), "no ICE-TCP listener in the log"

    def connect():
        return socket.create_connection(("127.0.0.1", tcp_port), timeout=5)

    # A STUN Binding request for an unknown ufrag (valid framing and header, no session).
    username = b"nosuchufrag:x"
    attr = struct.pack(">HH", 0x0006, len(username)) + username + b"\0" * (-len(username) % 4)
    stun = struct.pack(">HHI", 0x0001, len(attr), 0x2112A442) + b"\x01" * 12 + attr
    cases = {
        "oversize frame": b"\xff\xff" + b"\0" * 64,
        "empty frame": b"\x00\x00",
        "DTLS before any check": struct.pack(">H", 13) + bytes([22, 254, 253]) + b"\0" * 10,
        "check for no session": struct.pack(">H", len(stun)) + stun,
    }
    for name, payload in cases.items():
        with connect() as s:
            s.sendall(payload)
            assert _closed_by_server(s, 5), f"{name}: the server kept the connection open"
    with connect() as s:
        assert _closed_by_server(s, 8), "a silent connection outlived the 2 s handshake deadline"
    srv.assert_alive()
