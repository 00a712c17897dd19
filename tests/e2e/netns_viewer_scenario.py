#!/usr/bin/python3
"""A Chromium viewer behind a firewall, for the ICE-TCP and TURN tests.

Run INSIDE a private network namespace S (sluice_e2e.netns_command). It builds:

  S (this script): camera (127.0.0.1) -> sluice, HTTP and ICE on 10.9.0.1 (veth vv0)
                   [+ coturn on 10.9.0.1:3478, relaying from 10.9.0.1]
  V (a nested `unshare -n`): Chromium on 10.9.0.2 (veth vv1), with nftables rules:
      --firewall none      nothing filtered
      --firewall no-udp    every UDP packet dropped (in and out): only TCP gets through
      --firewall turn-only only the WHEP HTTP port and the TURN port of 10.9.0.1 reachable

`--viewer` mode is the V side: it waits for the go file, opens the player page and prints
the last getStats() sample as `VIEWER-RESULT {json}`. Everything started is stopped by PID;
every wait is bounded. The last stdout line is `SCENARIO-RESULT {json}`.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sluice_e2e as e2e  # noqa: E402

SERVER_IP = "10.9.0.1"
VIEWER_IP = "10.9.0.2"
TURN_PORT = 3478
TURN_USER, TURN_PASSWORD, TURN_REALM = "viewer", "relay-secret", "sluice.test"


def nft_rules(firewall: str, http_port: int) -> str:
    if firewall == "none":
        return ""
    if firewall == "no-udp":
        return """table inet viewer {
  chain out { type filter hook output priority 0; policy accept; oifname "lo" accept; meta l4proto udp drop; }
  chain in { type filter hook input priority 0; policy accept; iifname "lo" accept; meta l4proto udp drop; }
}
"""
    if firewall == "turn-only":
        return f"""table inet viewer {{
  chain out {{ type filter hook output priority 0; policy drop; oifname "lo" accept;
    ip daddr {SERVER_IP} tcp dport {{ {http_port}, {TURN_PORT} }} accept;
    ip daddr {SERVER_IP} udp dport {TURN_PORT} accept; }}
  chain in {{ type filter hook input priority 0; policy drop; iifname "lo" accept;
    ip saddr {SERVER_IP} tcp sport {{ {http_port}, {TURN_PORT} }} accept;
    ip saddr {SERVER_IP} udp sport {TURN_PORT} accept; }}
}}
"""
    raise ValueError(firewall)


def viewer_main(a) -> int:
    sys.path.insert(0, str(e2e.TOOLS_DIR))
    from browser_viewer import BrowserViewer

    wd = Path(a.workdir)
    go = wd / "go"
    for _ in e2e.deadline_loop(60, 0.2):
        if go.exists():
            break
    res: dict = {"ok": False}
    if not go.exists():
        res["error"] = "no go file from the server side"
    else:
        url = go.read_text().strip()
        with BrowserViewer(wd / "browser") as b:
            s = b.watch(url, a.seconds,
                        until=lambda s: s.get("framesDecoded", 0) >= a.frames and s.get("candidatePair"))
            res = {"ok": True, "sample": s}
            try:
                b.save_console_log()
            except Exception:
                pass
    print("VIEWER-RESULT " + json.dumps(res), flush=True)
    return 0


def write_turn_config(wd: Path) -> Path:
    conf = wd / "turnserver.conf"
    conf.write_text("\n".join([
        f"listening-ip={SERVER_IP}", f"relay-ip={SERVER_IP}", f"listening-port={TURN_PORT}",
        "min-port=49160", "max-port=49260", f"realm={TURN_REALM}", "lt-cred-mech", "fingerprint",
        f"user={TURN_USER}:{TURN_PASSWORD}", "no-tls", "no-dtls", "no-cli", "allow-loopback-peers",
        f"pidfile={wd / 'turnserver.pid'}", f"userdb={wd / 'turndb'}", "log-file=stdout", "simple-log", "verbose", "",
    ]))
    return conf


def scenario_main(a) -> int:
    wd = Path(a.workdir)
    wd.mkdir(parents=True, exist_ok=True)
    res: dict = {"ok": False, "stage": "start"}

    def on_term(*_):
        raise KeyboardInterrupt()

    signal.signal(signal.SIGTERM, on_term)
    cam = srv = turn = viewer = None
    try:
        res["stage"] = "viewer-namespace"
        http_port = e2e.free_port("tcp", "0.0.0.0")
        rules = wd / "viewer.nft"
        rules.write_text(nft_rules(a.firewall, http_port))
        setup = ("set -e; for i in $(seq 200); do ip link show vv1 >/dev/null 2>&1 && break; sleep 0.05; done; "
                 f"ip link set lo up; ip addr add {VIEWER_IP}/24 dev vv1; ip link set vv1 up; ")
        if a.firewall != "none":
            setup += f"nft -f {rules}; "
        viewer = e2e.Proc("viewer", ["unshare", "-n", "bash", "-c", setup + 'exec "$@"', "viewer",
                                     e2e.PYTHON, str(Path(__file__).resolve()), "--viewer", "--workdir", str(wd),
                                     "--frames", str(a.frames), "--seconds", str(a.seconds)],
                          wd / "viewer.log", watch_stdout=True).start()
        # The veth end must go into V, not here: wait until the child has unshared.
        own_ns = os.readlink("/proc/self/ns/net")
        for _ in e2e.deadline_loop(10, 0.02):
            try:
                if os.readlink(f"/proc/{viewer.pid}/ns/net") != own_ns:
                    break
            except OSError:
                pass
        else:
            raise RuntimeError("the viewer process did not enter its own network namespace")
        subprocess.run(["ip", "link", "add", "vv0", "type", "veth", "peer", "name", "vv1", "netns",
                        str(viewer.pid)], check=True, timeout=10)
        subprocess.run(["ip", "addr", "add", f"{SERVER_IP}/24", "dev", "vv0"], check=True, timeout=10)
        subprocess.run(["ip", "link", "set", "vv0", "up"], check=True, timeout=10)

        res["stage"] = "camera"
        cam = e2e.Camera(Path(a.clip), wd / "camera.log", path="cam", protocols="tcp").start()
        extra: dict = {}
        if a.ice_tcp:
            extra["webrtcLocalTCPAddress"] = f"{SERVER_IP}:{e2e.free_port('tcp', '0.0.0.0')}"
        if a.no_udp_listener:
            extra["webrtcLocalUDPAddress"] = ""
        if a.turn:
            res["stage"] = "turn"
            turn = e2e.Proc("turnserver", ["turnserver", "-c", str(write_turn_config(wd))], wd / "turnserver.log",
                            watch_stdout=True).start()
            time.sleep(1.0)
            if not turn.alive():
                raise RuntimeError("turnserver exited: " + e2e.tail(wd / "turnserver.log", 3000))
            extra["webrtcICEServers2"] = [{"url": f"turn:{SERVER_IP}:{TURN_PORT}", "username": TURN_USER,
                                           "password": TURN_PASSWORD}]
        api_port = e2e.free_port("tcp")
        extra.update({"api": True, "apiAddress": f"127.0.0.1:{api_port}"})
        res["stage"] = "server"
        udp_port = e2e.free_port("udp", "0.0.0.0")
        srv = e2e.Server(wd, {"cam": {"source": cam.url, "rtspTransport": "tcp"}}, hosts=[SERVER_IP],
                         udp_port=udp_port, udp_bind=f"{SERVER_IP}:{udp_port}", http_host=SERVER_IP,
                         http_port=http_port, extra=extra).start()
        srv.wait_path("cam", ready=True, timeout=20)
        res["stage"] = "viewer"
        (wd / "go").write_text(srv.url("/cam/"))
        # While Chromium plays: the API's view of the session's selected candidate.
        candidates = set()
        end = time.monotonic() + a.seconds + 60
        m = None
        while time.monotonic() < end:
            m = viewer.wait_line(r"^VIEWER-RESULT (.*)$", 1.0)
            if m or not viewer.alive():
                break
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{api_port}/v3/webrtcsessions/list", timeout=2) as r:
                    for item in json.loads(r.read()).get("items", []):
                        if item.get("remoteCandidate"):
                            candidates.add(item["remoteCandidate"])
            except (OSError, ValueError):
                pass
        res["api_remote_candidates"] = sorted(candidates)
        res["viewer"] = json.loads(m.group(1)) if m else None
        res["server_sessions"] = None
        res["stage"] = "done"
        res["ok"] = bool(res["viewer"] and res["viewer"].get("ok"))
    except KeyboardInterrupt:
        res["error"] = "stopped by SIGTERM"
    except Exception as exc:
        res["error"] = f"{type(exc).__name__}: {exc}"[:20000]
    finally:
        if viewer is not None:
            viewer.stop(grace=10)
        if srv is not None:
            res["server_exit_problem"] = srv.stop_and_check()
        if turn is not None:
            turn.stop()
        if cam is not None:
            cam.stop()
    print("SCENARIO-RESULT " + json.dumps(res), flush=True)
    return 0 if res["ok"] else 1


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--viewer", action="store_true")
    ap.add_argument("--clip")
    ap.add_argument("--firewall", default="none", choices=["none", "no-udp", "turn-only"])
    ap.add_argument("--ice-tcp", action="store_true")
    ap.add_argument("--no-udp-listener", action="store_true", help="webrtcLocalUDPAddress: '' (ICE-TCP only)")
    ap.add_argument("--turn", action="store_true")
    ap.add_argument("--frames", type=int, default=90)
    ap.add_argument("--seconds", type=float, default=20)
    a = ap.parse_args()
    return viewer_main(a) if a.viewer else scenario_main(a)


if __name__ == "__main__":
    sys.exit(main())
