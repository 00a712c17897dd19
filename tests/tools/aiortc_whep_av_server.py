#!/usr/bin/python3
"""aiortc_whep_server.py with an audio track: every session sends the pattern video and
aiortc's AudioStreamTrack (silence, 20 ms frames) encoded as whatever audio codec the offer
lists first that aiortc has (Opus, PCMU or PCMA). A WHEP server that sends audio, for the
load client's audio path while Sluice's own audio track layer is being built (issue 8).

Same HTTP, READY line, options and network-namespace caveat as aiortc_whep_server.py, plus:

  --run-load SLUICE_LOAD --json OUT [--seconds S] [--local-ip IP] [-- extra sluice-load args]
      run sluice-load against this server (2 sessions on /cam/whep), write its JSON to OUT,
      then exit with its status; everything is stopped by then (bounded: S + 60 s).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from aiortc.mediastreams import AudioStreamTrack  # noqa: E402

import aiortc_whep_server as base  # noqa: E402


class AvWhepServer(base.WhepServer):
    """WhepServer whose peer connections also carry one audio track."""

    async def _create(self, path_parts, offer):
        original = base.RTCPeerConnection

        def with_audio(*args, **kwargs):
            pc = original(*args, **kwargs)
            pc.addTrack(AudioStreamTrack())
            return pc

        base.RTCPeerConnection = with_audio
        try:
            return await super()._create(path_parts, offer)
        finally:
            base.RTCPeerConnection = original


async def main_async(a, load_args: list[str]) -> int:
    server = AvWhepServer(a.width, a.height, a.fps)
    listener = await asyncio.start_server(server.handle, a.host, a.port)
    port = listener.sockets[0].getsockname()[1]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"READY http://{a.host}:{port}", flush=True)
    status = 0
    if a.run_load:
        argv = [a.run_load, "--url", f"http://{a.host}:{port}/cam/whep", "--sessions", "2", "--seconds",
                str(a.seconds), "--local-ip", a.local_ip, "--json", a.json, *load_args]
        proc = await asyncio.create_subprocess_exec(*argv, stdin=asyncio.subprocess.DEVNULL)
        try:
            status = await asyncio.wait_for(proc.wait(), a.seconds + 60)
        except asyncio.TimeoutError:
            proc.terminate()
            await proc.wait()
            status = 124
    else:
        await stop.wait()
    listener.close()
    await listener.wait_closed()
    await server.close_all()
    return status


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    load_args = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[:argv.index("--")] if "--" in argv else argv
    ap = argparse.ArgumentParser(description="WHEP server made of aiortc, sending video and audio")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0, help="0 picks a free port")
    ap.add_argument("--width", type=int, default=320)
    ap.add_argument("--height", type=int, default=240)
    ap.add_argument("--fps", type=int, default=30)
    ap.add_argument("--run-load", help="sluice-load executable to run against this server, then exit")
    ap.add_argument("--json", help="with --run-load: its JSON report")
    ap.add_argument("--seconds", type=float, default=6)
    ap.add_argument("--local-ip", default="127.0.0.2", help="with --run-load: its --local-ip")
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args(argv)
    if a.run_load and not a.json:
        ap.error("--run-load needs --json")
    logging.basicConfig(level=logging.DEBUG if a.verbose else logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not a.verbose:
        for noisy in ("aioice", "aiortc"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
    return asyncio.run(main_async(a, load_args))


if __name__ == "__main__":
    sys.exit(main())
