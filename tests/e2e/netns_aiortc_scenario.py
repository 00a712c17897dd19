#!/usr/bin/python3
"""One whole WHEP scenario meant to run INSIDE a private network namespace
(see sluice_e2e.netns_command: lo up, veth end v0 = 127.0.0.2/32):

  camera (rtsp_camera.py, 127.0.0.1) -> sluice (ICE host candidate 127.0.0.2)
      -> aiortc_whep_client.py (aioice gathers 127.0.0.2 from v0; it never uses lo)

Everything it starts is stopped by PID before it exits; every wait is bounded. Logs go
to --workdir (camera.log, sluice.log, sluice.yml, aiortc.log). The last stdout line is
`SCENARIO-RESULT {json}` with the client's report plus the server's exit check.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sluice_e2e as e2e  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--clip", required=True)
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--client-timeout", type=float, default=30)
    ap.add_argument("--transport", default="tcp")
    a = ap.parse_args()
    wd = Path(a.workdir)
    wd.mkdir(parents=True, exist_ok=True)
    res: dict = {"ok": False, "stage": "start"}

    # SIGTERM from the test's deadline: unwind through the finally below
    def on_term(*_):
        raise KeyboardInterrupt()

    signal.signal(signal.SIGTERM, on_term)

    cam = srv = None
    try:
        res["stage"] = "camera"
        cam = e2e.Camera(Path(a.clip), wd / "camera.log", path="cam", protocols=a.transport).start()
        res["stage"] = "server"
        udp_port = e2e.free_port("udp", "0.0.0.0")
        srv = e2e.Server(wd, {"cam": {"source": cam.url, "rtspTransport": a.transport}},
                         hosts=[e2e.NETNS_HOST], udp_port=udp_port, udp_bind=f":{udp_port}").start()
        res["stage"] = "path"
        srv.wait_path("cam", ready=True, timeout=20)
        res["stage"] = "client"
        status, out = e2e.run_bounded(
            [e2e.PYTHON, str(e2e.AIORTC_TOOL), srv.url("/cam/whep"), "--frames", str(a.frames),
             "--timeout", str(a.client_timeout)],
            timeout=a.client_timeout + 30, log_path=wd / "aiortc.log")
        client = None
        for line in reversed(out.splitlines()):
            if line.startswith("{"):
                try:
                    client = json.loads(line)
                    break
                except ValueError:
                    pass
        res["client_status"] = status
        res["client"] = client
        res["server_stats"] = srv.stats(0.5) if srv.alive() else None
        res["server_alive_after_client"] = srv.alive()
        res["stage"] = "done"
        res["ok"] = bool(client and client.get("ok"))
    except KeyboardInterrupt:
        res["error"] = "stopped by SIGTERM"
    except Exception as exc:
        res["error"] = f"{type(exc).__name__}: {exc}"[:20000]
    finally:
        if srv is not None:
            res["server_exit_problem"] = srv.stop_and_check()
            res["server_exit_status"] = srv.stopped_status
        if cam is not None:
            cam.stop()
    print("SCENARIO-RESULT " + json.dumps(res), flush=True)
    return 0 if res["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
