#!/usr/bin/python3
"""A GStreamer RTSP reader: uridecodebin (rtspsrc) decodes every track for --seconds.

Prints one JSON line, the decoded buffers per media type, e.g. {"audio": 235, "video": 153}:
a track whose depayloader never starts (an SDP without its codec's config) shows as absent,
and holds the other tracks at their first buffer, as a player would. Exits 1 with
GStreamer's error on stdout.
"""
import argparse
import json
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("url", help="rtsp://127.0.0.1:PORT/path")
    parser.add_argument("--protocols", default="tcp", help="rtspsrc protocols: tcp, udp")
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    Gst.init(None)
    pipeline = Gst.Pipeline()
    decode = Gst.ElementFactory.make("uridecodebin")
    decode.set_property("uri", args.url)
    pipeline.add(decode)
    counts: dict[str, int] = {}
    error: list[str] = []

    def source_setup(_bin, source):
        if source.get_factory().get_name() == "rtspsrc":
            source.set_property("protocols", args.protocols)

    def pad_added(_element, pad):
        kind = pad.query_caps(None).to_string().split("/")[0]  # "audio" or "video"
        sink = Gst.ElementFactory.make("fakesink")
        sink.set_property("sync", False)
        pipeline.add(sink)
        sink.sync_state_with_parent()
        pad.link(sink.get_static_pad("sink"))

        def count(_pad, _info):
            counts[kind] = counts.get(kind, 0) + 1
            return Gst.PadProbeReturn.OK

        sink.get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, count)

    decode.connect("source-setup", source_setup)
    decode.connect("pad-added", pad_added)
    loop = GLib.MainLoop()
    bus = pipeline.get_bus()
    bus.add_signal_watch()

    def on_message(_bus, message):
        if message.type == Gst.MessageType.ERROR:
            error.append(str(message.parse_error()[0]))
            loop.quit()

    bus.connect("message", on_message)
    GLib.timeout_add(int(args.seconds * 1000), loop.quit)
    pipeline.set_state(Gst.State.PLAYING)
    loop.run()
    pipeline.set_state(Gst.State.NULL)
    if error:
        print(error[0])
        return 1
    print(json.dumps(counts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
