#!/usr/bin/python3
"""A WHEP viewer without a browser: python3-aiortc 1.4 (Debian), decoding with PyAV.

POSTs a recvonly video offer (H.264 only) to http://HOST:PORT/<path>/whep, applies the
201 answer, decodes video frames (`await track.recv()`) until --frames are decoded or
--timeout passes, then DELETEs the session (the Location header) and prints one JSON
object:
  {"ok": bool, "frames": N, "width": W, "height": H, "first_frame_s": t, "elapsed_s": t,
   "post_status": 201, "location": "/cam/whep/<secret>", "session_id": "<ID header>",
   "delete_status": 200, "answer_codecs": [...], "connection_state": "...", "error": "..."}

aioice never uses the loopback interface (shared/design/TESTING.md): run it in a network
namespace where a veth end carries 127.0.0.2/32 and the server offers 127.0.0.2.

usage: aiortc_whep_client.py http://127.0.0.1:8889/cam/whep [--frames 60] [--timeout 30]
Exit status: 0 if --frames were decoded, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request


def _http(method: str, url: str, body: bytes | None = None, headers: dict | None = None,
          timeout: float = 10.0):
    """Blocking HTTP request (urllib: no proxies from the environment). Returns
    (status, headers, body bytes); HTTP errors are returned, not raised."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with opener.open(req, timeout=timeout) as r:
            return r.status, dict(r.headers.items()), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers.items()), e.read()


def _header(headers: dict, name: str):
    for k, v in headers.items():
        if k.lower() == name.lower():
            return v
    return None


async def run(whep_url: str, frames: int = 60, timeout: float = 30.0, codec: str = "H264",
              delete: bool = True) -> dict:
    from aiortc import RTCPeerConnection, RTCSessionDescription
    from aiortc.rtcrtpreceiver import RTCRtpReceiver

    loop = asyncio.get_running_loop()
    res: dict = {"ok": False, "frames": 0, "width": None, "height": None, "url": whep_url}
    t0 = time.monotonic()
    pc = RTCPeerConnection()
    got_track: asyncio.Future = loop.create_future()

    @pc.on("track")
    def on_track(track):
        if track.kind == "video" and not got_track.done():
            got_track.set_result(track)

    session_url = None
    try:
        tr = pc.addTransceiver("video", direction="recvonly")
        caps = RTCRtpReceiver.getCapabilities("video").codecs
        wanted = [c for c in caps if c.mimeType.lower() == f"video/{codec}".lower()]
        if not wanted:
            raise RuntimeError(f"aiortc has no {codec} receive capability")
        rtx = [c for c in caps if c.mimeType.lower() == "video/rtx"]
        tr.setCodecPreferences(wanted + rtx)
        await pc.setLocalDescription(await pc.createOffer())  # gathers all candidates
        offer = pc.localDescription.sdp
        res["offer_candidates"] = len(re.findall(r"^a=candidate:", offer, re.M))

        status, headers, body = await loop.run_in_executor(
            None, lambda: _http("POST", whep_url, offer.encode(), {"Content-Type": "application/sdp"}))
        res["post_status"] = status
        res["location"] = _header(headers, "Location")
        res["session_id"] = _header(headers, "ID")
        res["post_content_type"] = _header(headers, "Content-Type")
        if status != 201:
            res["error"] = f"POST {whep_url} -> {status}: {body[:500].decode('utf-8', 'replace')}"
            return res
        if res["location"]:
            session_url = urllib.parse.urljoin(whep_url, res["location"])
        answer = body.decode("utf-8", "replace")
        res["answer_codecs"] = re.findall(r"^a=rtpmap:\d+ ([^\r\n]+)", answer, re.M)
        res["answer_candidates"] = re.findall(r"^a=candidate:([^\r\n]+)", answer, re.M)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))

        deadline = t0 + timeout
        track = await asyncio.wait_for(got_track, max(0.1, deadline - time.monotonic()))
        while res["frames"] < frames:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                frame = await asyncio.wait_for(track.recv(), left)
            except asyncio.TimeoutError:
                break
            res["frames"] += 1
            res["width"], res["height"] = frame.width, frame.height
            if res["frames"] == 1:
                res["first_frame_s"] = round(time.monotonic() - t0, 3)
        res["ok"] = res["frames"] >= frames
        if not res["ok"]:
            res["error"] = f"decoded {res['frames']} of {frames} frames in {timeout} s"
    except asyncio.TimeoutError:
        res["error"] = f"no video track within {timeout} s (connection {pc.connectionState})"
    except Exception as e:  # report, don't crash: the caller reads the JSON
        res["error"] = f"{type(e).__name__}: {e}"
    finally:
        res["elapsed_s"] = round(time.monotonic() - t0, 3)
        res["connection_state"] = pc.connectionState  # before our own close()
        if delete and session_url:
            try:
                st, _, b = await loop.run_in_executor(None, lambda: _http("DELETE", session_url))
                res["delete_status"] = st
                res["delete_body"] = b[:200].decode("utf-8", "replace")
            except Exception as e:
                res["delete_error"] = repr(e)
        await pc.close()
    return res


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="WHEP client (aiortc): decode N video frames, print JSON")
    ap.add_argument("url", help="the WHEP endpoint, e.g. http://127.0.0.1:8889/cam/whep")
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--timeout", type=float, default=30.0)
    ap.add_argument("--codec", default="H264")
    ap.add_argument("--no-delete", action="store_true", help="leave the session (no DELETE)")
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if a.verbose else logging.WARNING, stream=sys.stderr)
    res = asyncio.run(run(a.url, a.frames, a.timeout, a.codec, not a.no_delete))
    print(json.dumps(res), flush=True)
    return 0 if res["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
