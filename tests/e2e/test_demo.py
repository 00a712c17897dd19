"""The out-of-the-box demo: the default config (sluice.yml at the repo root, path `demo`
with `source: demo`, the built-in looped assets/demo.h264) plays in Chromium.

If sluice.yml exists it is used verbatim (as `make run` does) and the player URL comes
from its webrtcAddress (default :8889); otherwise an equivalent config on free loopback
ports is generated."""

import re
import socket

import sluice_e2e as e2e

FRAMES = 60


def _load_yaml(text: str) -> dict | None:
    try:
        import yaml
    except ImportError:
        return None
    return yaml.safe_load(text) or {}


def _port_of(addr: str) -> int:
    m = re.search(r":(\d+)$", str(addr).strip())
    assert m, f"cannot read a port from {addr!r}"
    return int(m.group(1))


def _tcp_port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("0.0.0.0", port))
            return True
        except OSError:
            return False


def demo_server(server_factory):
    default = e2e.SOURCE_DIR / "sluice.yml"
    if default.exists():
        text = default.read_text()
        cfg = _load_yaml(text)
        if cfg is not None:
            demo = (cfg.get("paths") or {}).get("demo")
            assert isinstance(demo, dict) and demo.get("source") == "demo", \
                f"sluice.yml has no path 'demo' with 'source: demo': {cfg.get('paths')}"
            addr = cfg.get("webrtcAddress", ":8889")
            rtsp_addr = cfg.get("rtspAddress", ":8554") if cfg.get("rtsp", True) else None
        else:  # no PyYAML: read the one key we need
            assert re.search(r"^\s+demo:", text, re.M) and re.search(r"source:\s*['\"]?demo\b", text), \
                "sluice.yml has no path 'demo' with 'source: demo'"
            m = re.search(r"^webrtcAddress:\s*['\"]?([^'\"\s#]+)", text, re.M)
            addr = m.group(1) if m else ":8889"
            m = re.search(r"^rtspAddress:\s*['\"]?([^'\"\s#]+)", text, re.M)
            rtsp_addr = m.group(1) if m else ":8554"
        port = _port_of(addr)
        assert _tcp_port_free(port), f"port {port} of sluice.yml's webrtcAddress is in use by another process"
        # The RTSP server of the default configuration must be able to listen too (Sluice does
        # not start otherwise, as MediaMTX).
        if rtsp_addr:
            rtsp_port = _port_of(rtsp_addr)
            assert _tcp_port_free(rtsp_port), \
                f"port {rtsp_port} of sluice.yml's rtspAddress is in use by another process"
        return server_factory(config_text=text, http_port=port, name="sluice-default")
    return server_factory({"demo": {"source": "demo"}})


def test_demo_plays_in_chromium(server_factory, browser_factory):
    srv = demo_server(server_factory)
    srv.wait_path("demo", ready=True, timeout=15)
    b = browser_factory()
    s = b.watch(srv.url("/demo/"), 20,
                until=lambda s: s["framesDecoded"] >= FRAMES and s.get("frameWidth") == 1920)
    print(f"demo viewer: {s}\nserver: {srv.stats()}")
    assert s["framesDecoded"] >= FRAMES, f"only {s['framesDecoded']} frames of the demo decoded: {s}"
    assert (s.get("frameWidth"), s.get("frameHeight")) == (1920, 1080), s
    assert (s.get("mimeType") or "").lower() == "video/h264", s
    srv.assert_alive()
