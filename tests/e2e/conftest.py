"""pytest fixtures for Sluice's end-to-end tests (see sluice_e2e.py for the helpers).

Fixtures:
  media            session: {"baseline"|"main"|"high": Path} 10 s 1080p30 Annex-B clips,
                   made once into $SLUICE_BUILD_DIR/e2e-media
  camera_factory   start(clip, path="cam", protocols="tcp+udp", ...) -> started Camera
  server_factory   start(paths, **Server kwargs) -> started Server (HTTP answering);
                   at teardown each server gets SIGTERM (SIGKILL after 5 s) and the test
                   errors if it crashed, died early or did not stop cleanly
  browser_factory  start(**BrowserViewer kwargs) -> started BrowserViewer
  attach_log       attach_log(title, path_or_callable): shown if the test fails

When a test fails, the tails of the server, camera and browser logs it used are added
to the failure report.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sluice_e2e as e2e  # noqa: E402

sys.path.insert(0, str(e2e.TOOLS_DIR))


def _reports(item) -> list:
    if not hasattr(item, "_sluice_reports"):
        item._sluice_reports = []
    return item._sluice_reports


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        for title, fn in _reports(item):
            try:
                text = fn()
            except Exception as exc:  # a report must never hide the failure
                text = f"<{exc!r}>"
            rep.sections.append((f"{title} ({rep.when})", text))


@pytest.fixture
def attach_log(request):
    def attach(title: str, source):
        fn = source if callable(source) else (lambda p=Path(source): e2e.tail(p))
        _reports(request.node).append((title, fn))

    return attach


@pytest.fixture(scope="session")
def media() -> dict:
    return e2e.make_clips(e2e.MEDIA_DIR)


@pytest.fixture
def camera_factory(tmp_path, attach_log):
    cams: list[e2e.Camera] = []

    def start(clip, path: str = "cam", protocols: str = "tcp+udp", **kw) -> e2e.Camera:
        log = tmp_path / f"camera-{path}-{len(cams)}.log"
        cam = e2e.Camera(clip, log, path=path, protocols=protocols, **kw)
        cams.append(cam)
        attach_log(f"camera {path} log", log)
        return cam.start()

    yield start
    for cam in reversed(cams):
        cam.stop()


@pytest.fixture
def server_factory(tmp_path, attach_log):
    servers: list[e2e.Server] = []

    def start(paths: dict | None = None, **kw) -> e2e.Server:
        name = kw.pop("name", f"sluice-{len(servers)}" if servers else "sluice")
        srv = e2e.Server(tmp_path, paths or {}, name=name, **kw)
        servers.append(srv)
        attach_log(f"{name} log", srv.log_path)
        attach_log(f"{name} config", srv.config_path)
        return srv.start()

    yield start
    problems = []
    for srv in reversed(servers):
        p = srv.stop_and_check()
        if p:
            problems.append(f"{p}\n--- {srv.name} log:\n{e2e.tail(srv.log_path, 30000)}")
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)


@pytest.fixture
def browser_factory(tmp_path, attach_log):
    from browser_viewer import BrowserViewer

    browsers: list[BrowserViewer] = []

    def start(**kw) -> BrowserViewer:
        d = tmp_path / f"browser-{len(browsers)}"
        b = BrowserViewer(d, **kw)
        browsers.append(b)

        def report(b=b):
            parts = []
            if b.driver is not None:
                try:
                    b.save_console_log()
                except Exception as exc:
                    parts.append(f"<console log: {exc!r}>")
            parts.append("--- console:\n" + e2e.tail(b.console_log, 20000))
            parts.append("--- last samples:\n" + "\n".join(str(s) for s in b.samples[-5:]))
            return "\n".join(parts)

        attach_log(f"browser {len(browsers) - 1}", report)
        return b.start()

    yield start
    for b in reversed(browsers):
        b.close()
