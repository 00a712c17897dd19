#!/usr/bin/python3
"""A GStreamer publisher over RTSPS: videotestsrc ! x264enc ! rtspclientsink (TCP).

rtspclientsink has no tls-validation-flags (rtspsrc has): the server's certificate is
verified against --ca, a GTlsFileDatabase holding the test's self-signed certificate, so the
publisher checks the server as a real one would. Exits 0 at end of stream (after --frames
frames), 1 with GStreamer's error on stdout, 2 on timeout.
"""
import argparse
import os
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("Gio", "2.0")
from gi.repository import Gio, Gst  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("url", help="rtsps://127.0.0.1:PORT/path")
    parser.add_argument("--ca", required=True, help="PEM certificate the server's must chain to")
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args()
    Gst.init(None)
    pipeline = Gst.parse_launch(
        f"videotestsrc num-buffers={args.frames} is-live=true ! "
        "video/x-raw,width=320,height=240,framerate=30/1 ! "
        "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 ! video/x-h264,profile=baseline ! "
        "rtspclientsink name=sink protocols=tcp")
    sink = pipeline.get_by_name("sink")
    sink.set_property("location", args.url)
    sink.set_property("tls-database", Gio.TlsFileDatabase.new(os.path.abspath(args.ca)))
    pipeline.set_state(Gst.State.PLAYING)
    msg = pipeline.get_bus().timed_pop_filtered(int(args.timeout * Gst.SECOND),
                                                Gst.MessageType.EOS | Gst.MessageType.ERROR)
    pipeline.set_state(Gst.State.NULL)
    if msg is None:
        print("timeout", flush=True)
        return 2
    if msg.type == Gst.MessageType.ERROR:
        err, debug = msg.parse_error()
        print(f"error: {err.message} ({debug})", flush=True)
        return 1
    print("eos", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
