#!/usr/bin/python3
"""A WHEP server that is not Sluice: python3-aiortc 1.4 answering WHEP POSTs.

aiortc is a full-ICE agent (it sends its own connectivity checks and needs them answered)
and answers an `a=setup:actpass` offer with `a=setup:active` (it takes the DTLS client
role), as pion-based servers such as MediaMTX do. So it exercises the half of a WHEP
client that an ICE-lite, DTLS-server Sluice never does.

Every session sends one H.264 video track: a synthetic moving pattern (numpy), encoded by
aiortc's own libx264 encoder at --width x --height, --fps frames per second.

HTTP (plain asyncio streams, no aiohttp):
  POST   /<path>/whep            offer (application/sdp) -> 201, answer, Location /<path>/whep/<id>
  DELETE /<path>/whep/<id>       -> 200, closes the peer connection
  OPTIONS                        -> 204 (CORS preflight)
  anything else                  -> 404 / 405

Prints exactly one line `READY http://HOST:PORT` on stdout once it listens; exits cleanly on
SIGTERM or SIGINT (closing every peer connection). aioice never uses the loopback
interface: run it in a network namespace where a veth end carries 127.0.0.2/32
(tests/e2e/sluice_e2e.netns_command).

usage: aiortc_whep_server.py [--host 127.0.0.1] [--port 0] [--width 320] [--height 240] [--fps 30]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
import time
import uuid

import av
import numpy as np
from aiortc import RTCPeerConnection, RTCSessionDescription, VideoStreamTrack
from aiortc.mediastreams import VIDEO_CLOCK_RATE, VIDEO_TIME_BASE

MAX_BODY = 128 * 1024  # MediaMTX's WHEP body limit


class PatternTrack(VideoStreamTrack):
    """Moving diagonal bands with a frame counter in the chroma: cheap to make, never static
    (so every frame costs the encoder real bits)."""

    def __init__(self, width: int, height: int, fps: int):
        super().__init__()
        self.width, self.height, self.fps = width, height, fps
        self.frames = 0
        self._start: float | None = None
        x = np.arange(width, dtype=np.uint16)[None, :]
        y = np.arange(height, dtype=np.uint16)[:, None]
        self._base = (x + y).astype(np.uint16)

    async def recv(self) -> av.VideoFrame:
        # Own pacing at --fps (VideoStreamTrack.next_timestamp is fixed at 30 fps).
        if self._start is None:
            self._start = time.monotonic()
        n = self.frames
        due = self._start + n / self.fps
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        self.frames += 1
        h, w = self.height, self.width
        yuv = np.empty((h * 3 // 2, w), dtype=np.uint8)
        yuv[:h] = ((self._base + 4 * n) & 0xFF).astype(np.uint8)
        yuv[h:] = (n * 7) & 0xFF
        frame = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
        frame.pts = int(n * VIDEO_CLOCK_RATE / self.fps)
        frame.time_base = VIDEO_TIME_BASE
        return frame


class WhepServer:
    def __init__(self, width: int, height: int, fps: int):
        self.width, self.height, self.fps = width, height, fps
        self.sessions: dict[str, RTCPeerConnection] = {}

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        try:
            while True:
                request = await self._read_request(reader)
                if request is None:
                    break
                method, target, headers, body = request
                status, extra, payload = await self._route(method, target, headers, body)
                await self._respond(writer, status, extra, payload)
                if headers.get("connection", "").lower() == "close":
                    break
        except (ConnectionError, asyncio.IncompleteReadError, ValueError) as exc:
            logging.debug("connection ended: %r", exc)
        finally:
            writer.close()

    @staticmethod
    async def _read_request(reader):
        line = await reader.readline()
        if not line:
            return None
        parts = line.decode("latin-1").split()
        if len(parts) < 2:
            raise ValueError("malformed request line")
        headers = {}
        while True:
            h = await reader.readline()
            if h in (b"\r\n", b"\n", b""):
                break
            k, _, v = h.decode("latin-1").partition(":")
            headers[k.strip().lower()] = v.strip()
        length = int(headers.get("content-length", "0") or 0)
        if length > MAX_BODY:
            raise ValueError("body too large")
        body = await reader.readexactly(length) if length else b""
        return parts[0].upper(), parts[1], headers, body

    @staticmethod
    async def _respond(writer, status: int, headers: dict, body: bytes):
        reasons = {200: "OK", 201: "Created", 204: "No Content", 400: "Bad Request",
                   404: "Not Found", 405: "Method Not Allowed", 500: "Internal Server Error"}
        lines = [f"HTTP/1.1 {status} {reasons.get(status, 'Status')}",
                 f"Content-Length: {len(body)}", "Access-Control-Allow-Origin: *"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        await writer.drain()

    async def _route(self, method: str, target: str, headers: dict, body: bytes):
        path = target.split("?", 1)[0]
        parts = [p for p in path.split("/") if p]
        if method == "OPTIONS":
            return 204, {"Access-Control-Allow-Methods": "OPTIONS, POST, DELETE",
                         "Access-Control-Allow-Headers": "Content-Type, If-Match",
                         "Access-Control-Expose-Headers": "Location"}, b""
        if len(parts) >= 2 and parts[-1] == "whep":
            if method != "POST":
                return 405, {}, b""
            if headers.get("content-type", "").split(";")[0].strip().lower() != "application/sdp":
                return 400, {}, b"invalid Content-Type"
            return await self._create(parts[:-1], body.decode("utf-8", "replace"))
        if len(parts) >= 3 and parts[-2] == "whep":
            if method != "DELETE":
                return 405, {}, b""
            pc = self.sessions.pop(parts[-1], None)
            if pc is None:
                return 404, {}, b"no such session"
            await pc.close()
            logging.info("session %s deleted", parts[-1])
            return 200, {}, b""
        return 404, {}, b"not found"

    async def _create(self, path_parts: list[str], offer: str):
        pc = RTCPeerConnection()
        sid = uuid.uuid4().hex
        try:
            pc.addTrack(PatternTrack(self.width, self.height, self.fps))
            await pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
            await pc.setLocalDescription(await pc.createAnswer())  # gathers every candidate
        except Exception as exc:  # a malformed or unsupported offer
            await pc.close()
            return 400, {}, f"{type(exc).__name__}: {exc}".encode()

        @pc.on("connectionstatechange")
        async def on_state():
            logging.info("session %s: %s", sid, pc.connectionState)
            if pc.connectionState in ("failed", "closed"):
                self.sessions.pop(sid, None)

        self.sessions[sid] = pc
        location = "/" + "/".join(path_parts + ["whep", sid])
        logging.info("session %s created", sid)
        return 201, {"Content-Type": "application/sdp", "Location": location, "ID": sid}, \
            pc.localDescription.sdp.encode()

    async def close_all(self):
        pcs = list(self.sessions.values())
        self.sessions.clear()
        await asyncio.gather(*(pc.close() for pc in pcs), return_exceptions=True)


async def main_async(a) -> int:
    server = WhepServer(a.width, a.height, a.fps)
    listener = await asyncio.start_server(server.handle, a.host, a.port)
    port = listener.sockets[0].getsockname()[1]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"READY http://{a.host}:{port}", flush=True)
    await stop.wait()
    listener.close()
    await listener.wait_closed()
    await server.close_all()
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="WHEP server made of aiortc (full ICE, DTLS client)")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0, help="0 picks a free port")
    ap.add_argument("--width", type=int, default=320)
    ap.add_argument("--height", type=int, default=240)
    ap.add_argument("--fps", type=int, default=30)
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args(argv)
    if a.width % 2 or a.height % 2:
        ap.error("--width and --height must be even (4:2:0)")
    logging.basicConfig(level=logging.DEBUG if a.verbose else logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not a.verbose:
        for noisy in ("aioice", "aiortc"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
    return asyncio.run(main_async(a))


if __name__ == "__main__":
    sys.exit(main())
