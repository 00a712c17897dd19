#!/usr/bin/python3
"""A test camera: GStreamer's RTSP server looping an H.264 clip.

The clip (Annex-B elementary stream) is split into access units once, in memory; they are
then pushed through `appsrc ! h264parse ! rtph264pay` forever at --fps, re-timestamped on
every loop, so serving costs a few percent of a core instead of a live encoder's 30%.

Prints exactly one line `READY rtsp://127.0.0.1:PORT/PATH` on stdout once it serves, and
exits cleanly on SIGTERM or SIGINT. With --tls-cert/--tls-key it serves RTSPS instead (media
interleaved in the TLS connection) and prints `READY rtsps://...`.
"""
import argparse
import signal
import sys

import gi

gi.require_version("Gio", "2.0")
gi.require_version("Gst", "1.0")
gi.require_version("GstApp", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import Gio, GLib, Gst, GstApp, GstRtsp, GstRtspServer  # noqa: E402,F401


def load_access_units(path):
    """Demuxes the clip with h264parse into a list of access-unit byte strings."""
    pipeline = Gst.parse_launch(
        "filesrc name=src ! h264parse ! "
        "video/x-h264,stream-format=byte-stream,alignment=au ! appsink name=sink sync=false"
    )
    pipeline.get_by_name("src").set_property("location", path)
    sink = pipeline.get_by_name("sink")
    pipeline.set_state(Gst.State.PLAYING)
    units = []
    while True:
        sample = sink.emit("pull-sample")
        if sample is None:
            break
        buf = sample.get_buffer()
        ok, info = buf.map(Gst.MapFlags.READ)
        if ok:
            units.append(bytes(info.data))
            buf.unmap(info)
    pipeline.set_state(Gst.State.NULL)
    if not units:
        raise SystemExit(f"rtsp_camera: no H.264 access units in {path}")
    return units


class ClipFactory(GstRtspServer.RTSPMediaFactory):
    """Builds one shared pipeline fed from memory; timestamps keep growing across loops."""

    def __init__(self, units, fps):
        super().__init__()
        self.units = units
        self.duration = Gst.SECOND // fps
        self.caps = Gst.Caps.from_string(
            f"video/x-h264,stream-format=byte-stream,alignment=au,framerate={fps}/1")

    def do_create_element(self, url):
        return Gst.parse_launch(
            "appsrc name=clip format=time ! h264parse config-interval=-1 ! "
            "rtph264pay name=pay0 pt=96 config-interval=-1")

    def do_configure(self, media):
        # The default configure copies the factory's settings (protocols, ...) to the media.
        GstRtspServer.RTSPMediaFactory.do_configure(self, media)
        appsrc = media.get_element().get_child_by_name("clip")
        appsrc.set_property("caps", self.caps)
        appsrc.set_property("max-bytes", 2 * 1024 * 1024)
        state = {"index": 0}

        def need_data(src, _length):
            n = state["index"]
            data = self.units[n % len(self.units)]
            buf = Gst.Buffer.new_wrapped(data)
            buf.pts = n * self.duration
            buf.dts = buf.pts
            buf.duration = self.duration
            state["index"] = n + 1
            src.emit("push-buffer", buf)

        appsrc.connect("need-data", need_data)


class OpenTlsAuth(GstRtspServer.RTSPAuth):
    """RTSPS without credentials: the default check sets up TLS on connect; the rest is open."""

    def do_check(self, ctx, check):
        if check == GstRtspServer.RTSP_AUTH_CHECK_CONNECT:
            return GstRtspServer.RTSPAuth.do_check(self, ctx, check)
        return True


def make_token():
    token = GstRtspServer.RTSPToken()
    token.set_string("media.factory.role", "user")
    return token


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", required=True, help="Annex-B H.264 elementary stream")
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--path", default="cam")
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--digest", action="store_true", help="Digest instead of Basic auth")
    parser.add_argument("--protocols", choices=["tcp", "udp", "tcp+udp"], default="tcp+udp")
    parser.add_argument("--tls-cert", help="PEM certificate: serve RTSPS")
    parser.add_argument("--tls-key", help="PEM key of --tls-cert")
    args = parser.parse_args()

    Gst.init(None)
    units = load_access_units(args.clip)

    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))

    factory = ClipFactory(units, args.fps)
    factory.set_shared(True)
    protocols = GstRtsp.RTSPLowerTrans(0)
    if "tcp" in args.protocols:
        protocols |= GstRtsp.RTSPLowerTrans.TCP
    if "udp" in args.protocols:
        protocols |= GstRtsp.RTSPLowerTrans.UDP
    factory.set_protocols(protocols)

    if args.user is not None:
        auth = GstRtspServer.RTSPAuth()
        token = make_token()
        if args.digest:
            auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
            auth.add_digest(args.user, args.password or "", token)
        else:
            auth.set_supported_methods(GstRtsp.RTSPAuthMethod.BASIC)
            auth.add_basic(GstRtspServer.RTSPAuth.make_basic(args.user, args.password or ""), token)
    elif args.tls_cert:
        auth = OpenTlsAuth()
    if args.tls_cert:
        auth.set_tls_certificate(Gio.TlsCertificate.new_from_files(args.tls_cert, args.tls_key))
        factory.set_protocols(GstRtsp.RTSPLowerTrans.TCP)
    if args.user is not None or args.tls_cert:
        server.set_auth(auth)
    if args.user is not None:
        factory.add_role_from_structure(Gst.Structure.from_string(
            "user, media.factory.access=(boolean)true, media.factory.construct=(boolean)true")[0])

    server.get_mount_points().add_factory("/" + args.path.lstrip("/"), factory)
    if server.attach(None) == 0:
        raise SystemExit(f"rtsp_camera: cannot listen on port {args.port}")

    loop = GLib.MainLoop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, loop.quit)
    scheme = "rtsps" if args.tls_cert else "rtsp"
    print(f"READY {scheme}://127.0.0.1:{server.get_bound_port()}/{args.path.lstrip('/')}", flush=True)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
