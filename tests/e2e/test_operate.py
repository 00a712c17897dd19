"""Operating Sluice like MediaMTX: control API v3, Prometheus metrics, pprof, hot reload
and the access rules of those listeners (MEDIAMTX-COMPAT.md §1.5, §4-§6).

Every server here runs the built-in demo source (`source: demo`, a looped 1080p30 clip),
so no camera is needed; viewers are sluice-load WHEP clients (bench/load).

  * test_api_info_paths_and_errors: /v3/info, /v3/paths/list (demo ready, itemCount,
    pageCount), pagination, 400/404 JSON errors, /v3/config/global/get.
  * test_api_config_paths_lifecycle: /v3/config/paths add → ready, patch → get reflects
    it, delete → gone; a bad value → 400 naming the key.
  * test_api_webrtc_session_list_and_kick: one viewer is listed with growing bytesSent;
    GET on the kick route → 405; POST kick → 200, the session is gone, the log says so
    and the viewer was disconnected.
  * test_metrics_with_viewer: MediaMTX's paths and webrtc_sessions families, the
    ?type= filter and Sluice's own sluice_process_threads.
  * test_pprof_profile_while_serving: a 5 s CPU profile while viewers play; the API stays
    responsive; google-pprof reads the profile against the binary and names sluice::
    functions; /debug/pprof/goroutine is a thread list.
  * test_hot_reload_keeps_viewer: the config file is rewritten (path removed, added,
    changed) while a viewer plays another path; then SIGHUP with a broken file is
    rejected; the viewer is never interrupted.
  * test_removed_paths_give_their_memory_back: 32 demo paths added, then removed, by
    reloads: the RSS their histories took goes back within ~12 s.
  * test_access_default_loopback_only / test_access_internal_users_basic_auth: requests
    from 127.0.0.2 (local on lo, but not in MediaMTX's default 127.0.0.1/::1 list) get
    401 + `WWW-Authenticate: Basic realm="mediamtx"`; authInternalUsers with a password
    user lets them in with Basic credentials.

Environment: SLUICE_BIN / SLUICE_SOURCE_DIR / SLUICE_BUILD_DIR as in sluice_e2e.py;
SLUICE_LOAD overrides the load client (default $SLUICE_BUILD_DIR/bench/sluice-load).
Everything listens on loopback; every process is started and stopped by its own PID;
every wait is bounded.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from requests.adapters import HTTPAdapter

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sluice_e2e as e2e  # noqa: E402

LOAD_BIN = Path(os.environ.get("SLUICE_LOAD") or e2e.BUILD_DIR / "bench" / "sluice-load")
LO = e2e.LOOPBACK
OTHER_LOCAL_IP = "127.0.0.2"  # local on lo, but not one of MediaMTX's default trusted IPs
HTTP_TIMEOUT = 5.0
# The demo clip plays at ~2.8 Mbit/s ≈ 300-310 RTP packets/s (measured: 4617 packets in
# 15 s). A viewer that keeps playing gets at least this share of that rate.
DEMO_PPS = 300
PACKETS_FRACTION = 0.7

pytestmark = pytest.mark.skipif(not LOAD_BIN.exists(), reason=f"{LOAD_BIN} is not built (target sluice-load)")


# --------------------------------------------------------------------------------------
# Helpers


class Listeners:
    """The addresses of the API, metrics and pprof listeners of one server."""

    def __init__(self):
        api, metrics, pprof, rtsp = e2e.free_ports(4)
        self.api_port, self.metrics_port, self.pprof_port, self.rtsp_port = api, metrics, pprof, rtsp

    def config(self) -> dict:
        return {
            # fixed here (not chosen by Server.config()) so a rewritten file keeps it
            "rtspAddress": f"{LO}:{self.rtsp_port}",
            "api": True, "apiAddress": f"{LO}:{self.api_port}",
            "metrics": True, "metricsAddress": f"{LO}:{self.metrics_port}",
            "pprof": True, "pprofAddress": f"{LO}:{self.pprof_port}",
        }

    @property
    def api(self) -> str:
        return f"http://{LO}:{self.api_port}"

    @property
    def metrics(self) -> str:
        return f"http://{LO}:{self.metrics_port}"

    @property
    def pprof(self) -> str:
        return f"http://{LO}:{self.pprof_port}"


def start_server(server_factory, paths: dict, extra: dict | None = None, **kw):
    """A server with api/metrics/pprof enabled on free loopback ports; returns
    (server, listeners) once the API answers."""
    lis = Listeners()
    cfg = lis.config()
    cfg.update(extra or {})
    srv = server_factory(paths, extra=cfg, **kw)
    last = None
    for _ in e2e.deadline_loop(10, 0.1):
        srv.assert_alive()
        try:
            requests.get(lis.api + "/v3/info", timeout=1)
            return srv, lis
        except requests.RequestException as e:
            last = e
    raise AssertionError(f"the API on {lis.api} did not answer within 10 s ({last})\n"
                         f"--- log:\n{e2e.tail(srv.log_path, 20000)}")


def get_json(url: str, status: int = 200, **kw):
    r = requests.get(url, timeout=HTTP_TIMEOUT, **kw)
    assert r.status_code == status, f"GET {url}: HTTP {r.status_code} (wanted {status}): {r.text[:2000]}"
    assert "application/json" in r.headers.get("Content-Type", ""), \
        f"GET {url}: Content-Type {r.headers.get('Content-Type')!r}: {r.text[:500]}"
    return r.json()


def api_paths(lis: Listeners) -> dict[str, dict]:
    """name -> item of GET /v3/paths/list."""
    doc = get_json(lis.api + "/v3/paths/list")
    return {it["name"]: it for it in doc["items"]}


def wait_until(what: str, fn, timeout: float, interval: float = 0.2, srv=None):
    """Polls fn() until it returns a truthy value; returns it. Fails with the last value
    (or exception) after `timeout` seconds."""
    last = None
    for _ in e2e.deadline_loop(timeout, interval):
        if srv is not None:
            srv.assert_alive()
        try:
            v = fn()
            if v:
                return v
            last = v
        except (requests.RequestException, AssertionError, KeyError, ValueError) as e:
            last = repr(e)
    raise AssertionError(f"{what}: not within {timeout:.0f} s (last: {str(last)[:3000]})")


def assert_error_json(r: requests.Response, status: int, contains: str | None = None):
    assert r.status_code == status, f"HTTP {r.status_code} (wanted {status}): {r.text[:1000]}"
    doc = r.json()
    assert doc.get("status") == "error" and isinstance(doc.get("error"), str) and doc["error"], doc
    if contains:
        assert contains in doc["error"], f"error {doc['error']!r} does not mention {contains!r}"
    return doc


class Viewer:
    """sluice-load in the background (by PID), its JSON report read at the end."""

    def __init__(self, workdir: Path, url: str, seconds: float, sessions: int = 1, name: str = "viewer"):
        if not LOAD_BIN.exists():
            raise AssertionError(f"{LOAD_BIN} does not exist: build the sluice-load target (or set SLUICE_LOAD)")
        self.seconds = seconds
        self.json_path = workdir / f"{name}.json"
        self.proc = e2e.Proc(name, [str(LOAD_BIN), "--url", url, "--sessions", str(sessions),
                                    "--seconds", str(seconds), "--json", str(self.json_path)],
                             workdir / f"{name}.log")

    def start(self) -> "Viewer":
        self.proc.start()
        return self

    def finish(self, timeout: float | None = None) -> tuple[int | None, dict]:
        """Waits (bounded) for the run to end; returns (exit status, JSON report)."""
        timeout = self.seconds + 30 if timeout is None else timeout
        try:
            self.proc.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
        status = self.proc.stop(grace=5)
        assert self.json_path.exists(), \
            f"sluice-load wrote no {self.json_path} ({e2e.describe_status(status)}):\n{self.log()[-4000:]}"
        return status, json.loads(self.json_path.read_text())

    def stop(self):
        if self.proc.proc is not None:
            self.proc.stop(grace=5)

    def log(self) -> str:
        return self.proc.log_text()


@pytest.fixture
def viewers(tmp_path, attach_log):
    started: list[Viewer] = []

    def start(url: str, seconds: float, sessions: int = 1) -> Viewer:
        name = f"viewer-{len(started)}"
        v = Viewer(tmp_path, url, seconds, sessions, name)
        started.append(v)
        attach_log(f"{name} log", v.proc.log_path)
        return v.start()

    yield start
    for v in reversed(started):
        v.stop()


def whep_url(srv, path: str) -> str:
    return srv.url(f"/{path}/whep")


def wait_sessions(lis: Listeners, n: int, timeout: float = 10, srv=None) -> list[dict]:
    def check():
        items = get_json(lis.api + "/v3/webrtcsessions/list")["items"]
        ok = [it for it in items if it.get("peerConnectionEstablished") and it.get("bytesSent", 0) > 0]
        return items if len(items) == n and len(ok) == n else None
    return wait_until(f"{n} established WebRTC session(s) in /v3/webrtcsessions/list", check, timeout, srv=srv)


class SourceAddressAdapter(HTTPAdapter):
    """Binds the client end of every connection to `ip` (any 127/8 address is local)."""

    def __init__(self, ip: str, **kw):
        self._ip = ip
        super().__init__(**kw)

    def init_poolmanager(self, *args, **kw):
        kw["source_address"] = (self._ip, 0)
        super().init_poolmanager(*args, **kw)


def session_from(ip: str) -> requests.Session:
    s = requests.Session()
    s.mount("http://", SourceAddressAdapter(ip))
    s.trust_env = False
    return s


def write_atomically(path: Path, text: str):
    """Like an editor that saves to a new file and renames it over the old one, so the
    server never reads a half-written file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


# --------------------------------------------------------------------------------------
# 1. Control API


def test_api_info_paths_and_errors(server_factory):
    # `idle` (no source: waits for a publisher) gives the list a second, not-ready item
    srv, lis = start_server(server_factory, {"demo": {"source": "demo"}, "idle": {}})

    info = get_json(lis.api + "/v3/info")
    # The build's version stamp, as `sluice --version` prints it.
    assert re.match(r"^sluice v\d+\.\d+\.\d+", info.get("version", "")), info
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$", info.get("started", "")), info

    doc = wait_until("demo ready in /v3/paths/list",
                     lambda: (lambda d: d if any(i["name"] == "demo" and i["ready"] for i in d["items"]) else None)(
                         get_json(lis.api + "/v3/paths/list")), 10, srv=srv)
    assert doc["itemCount"] == 2 and doc["pageCount"] == 1, doc
    assert [i["name"] for i in doc["items"]] == ["demo", "idle"], "items are sorted by name"
    demo = doc["items"][0]
    assert demo["ready"] is True and demo["available"] is True and demo["online"] is True, demo
    assert demo["confName"] == "demo" and demo["readyTime"], demo
    assert isinstance(demo.get("source"), dict) and demo["source"].get("type"), demo
    assert "H264" in demo["tracks"], demo
    assert demo["inboundBytes"] > 0, demo
    idle = doc["items"][1]
    assert idle["ready"] is False and idle["source"] is None, idle

    # pagination: itemsPerPage=1 makes two pages; page is 0-based
    p1 = get_json(lis.api + "/v3/paths/list?itemsPerPage=1&page=1")
    assert p1["itemCount"] == 2 and p1["pageCount"] == 2, p1
    assert [i["name"] for i in p1["items"]] == ["idle"], p1
    p0 = get_json(lis.api + "/v3/paths/list?itemsPerPage=1&page=0")
    assert [i["name"] for i in p0["items"]] == ["demo"], p0
    for bad in ("page=-1", "page=abc", "itemsPerPage=0", "itemsPerPage=x"):
        r = requests.get(lis.api + "/v3/paths/list?" + bad, timeout=HTTP_TIMEOUT)
        assert_error_json(r, 400)

    # single path
    got = get_json(lis.api + "/v3/paths/get/demo")
    assert got["name"] == "demo" and got["ready"] is True, got
    assert_error_json(requests.get(lis.api + "/v3/paths/get/nope", timeout=HTTP_TIMEOUT), 404)

    # global configuration: MediaMTX keys, durations as Go-style strings
    g = get_json(lis.api + "/v3/config/global/get")
    assert g.get("webrtcAddress") == f"{LO}:{srv.http_port}", {k: g.get(k) for k in ("webrtcAddress",)}
    assert g.get("apiAddress") == f"{LO}:{lis.api_port}", g.get("apiAddress")
    assert g.get("readTimeout") == "10s" and g.get("writeTimeout") == "10s", \
        {k: g.get(k) for k in ("readTimeout", "writeTimeout")}
    assert "paths" not in g and "pathDefaults" not in g, sorted(g)
    srv.assert_alive()


def test_api_config_paths_lifecycle(server_factory):
    srv, lis = start_server(server_factory, {"demo": {"source": "demo"}})
    api = lis.api

    r = requests.post(api + "/v3/config/paths/add/extra", json={"source": "demo"}, timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, f"add: HTTP {r.status_code}: {r.text}"
    assert r.json() == {"status": "ok"}, r.text
    t0 = time.monotonic()
    wait_until("path 'extra' ready in /v3/paths/list",
               lambda: api_paths(lis).get("extra", {}).get("ready") is True, 5, srv=srv)
    print(f"'extra' ready {time.monotonic() - t0:.2f} s after the add")
    # adding it again is an error
    assert_error_json(requests.post(api + "/v3/config/paths/add/extra", json={"source": "demo"},
                                    timeout=HTTP_TIMEOUT), 400)

    cfg = get_json(api + "/v3/config/paths/get/extra")
    assert cfg.get("name") == "extra" and cfg.get("source") == "demo", cfg

    r = requests.patch(api + "/v3/config/paths/patch/extra", json={"maxReaders": 7}, timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, f"patch: HTTP {r.status_code}: {r.text}"
    cfg = get_json(api + "/v3/config/paths/get/extra")
    assert cfg.get("maxReaders") == 7, cfg
    assert cfg.get("source") == "demo", f"a patch must keep the other keys: {cfg}"
    assert "extra" in {c["name"] for c in get_json(api + "/v3/config/paths/list")["items"]}

    r = requests.delete(api + "/v3/config/paths/delete/extra", timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, f"delete: HTTP {r.status_code}: {r.text}"
    assert_error_json(requests.get(api + "/v3/config/paths/get/extra", timeout=HTTP_TIMEOUT), 404)
    wait_until("path 'extra' gone from /v3/paths/list", lambda: "extra" not in api_paths(lis), 5, srv=srv)
    assert_error_json(requests.delete(api + "/v3/config/paths/delete/extra", timeout=HTTP_TIMEOUT), 404)

    # a bad value is refused, naming the key, and nothing is added
    r = requests.post(api + "/v3/config/paths/add/bad", json={"source": "demo", "maxReaders": "lots"},
                      timeout=HTTP_TIMEOUT)
    assert_error_json(r, 400, contains="maxReaders")
    r = requests.post(api + "/v3/config/paths/add/bad", json={"source": "demo", "bogusKey": 1},
                      timeout=HTTP_TIMEOUT)
    assert_error_json(r, 400, contains="bogusKey")
    assert_error_json(requests.get(api + "/v3/config/paths/get/bad", timeout=HTTP_TIMEOUT), 404)
    assert "bad" not in api_paths(lis)
    assert api_paths(lis)["demo"]["ready"] is True
    srv.assert_alive()


def test_api_webrtc_session_list_and_kick(server_factory, viewers):
    srv, lis = start_server(server_factory, {"demo": {"source": "demo"}})
    wait_until("demo ready", lambda: api_paths(lis)["demo"]["ready"], 10, srv=srv)
    v = viewers(whep_url(srv, "demo"), seconds=20)

    items = wait_sessions(lis, 1, srv=srv)
    s = items[0]
    assert s["path"] == "demo" and s["state"] == "read", s
    assert re.match(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", s["id"]), s
    assert s["remoteAddr"].startswith(LO + ":"), s
    sid = s["id"]
    first = s["bytesSent"]
    time.sleep(1.0)
    again = get_json(lis.api + f"/v3/webrtcsessions/get/{sid}")
    assert again["bytesSent"] > first, f"bytesSent did not grow in 1 s: {first} -> {again['bytesSent']}"
    assert again["outboundRTPPackets"] > 0, again
    readers = api_paths(lis)["demo"]["readers"]
    assert {"type": "webRTCSession", "id": sid} in readers, readers

    # kick routes are POST-only
    r = requests.get(lis.api + f"/v3/webrtcsessions/kick/{sid}", timeout=HTTP_TIMEOUT)
    assert r.status_code == 405, f"GET kick: HTTP {r.status_code}: {r.text}"
    assert "POST" in r.headers.get("Allow", ""), dict(r.headers)
    assert get_json(lis.api + "/v3/webrtcsessions/list")["itemCount"] == 1, "a GET kick must not kick"

    r = requests.post(lis.api + f"/v3/webrtcsessions/kick/{sid}", timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, f"kick: HTTP {r.status_code}: {r.text}"
    wait_until("the kicked session gone from /v3/webrtcsessions/list",
               lambda: get_json(lis.api + "/v3/webrtcsessions/list")["itemCount"] == 0, 5, srv=srv)
    assert_error_json(requests.get(lis.api + f"/v3/webrtcsessions/get/{sid}", timeout=HTTP_TIMEOUT), 404)
    assert_error_json(requests.post(lis.api + f"/v3/webrtcsessions/kick/{sid}", timeout=HTTP_TIMEOUT), 404)
    pat = r"\[WebRTC\] \[session " + re.escape(sid[:8]) + r"\] closed"
    m = srv.wait_log(pat, 5)
    assert m, f"no log line matching {pat!r}:\n{e2e.tail(srv.log_path, 4000)}"
    line = next(ln for ln in srv.log_text().splitlines() if re.search(pat, ln))
    print(f"kick logged as: {line}")

    # the viewer saw its session end (the server closed DTLS; its own DELETE then found nothing)
    status, rep = v.finish()
    sess = rep["per_session"][0]
    assert sess["connected"] and sess["packets"] > 0, sess
    assert sess.get("error") or sess.get("delete_status") == 404, \
        f"the viewer did not notice being kicked: {sess}"
    srv.assert_alive()


# --------------------------------------------------------------------------------------
# 2. Metrics


def test_metrics_with_viewer(server_factory, viewers):
    srv, lis = start_server(server_factory, {"demo": {"source": "demo"}})
    wait_until("demo ready", lambda: api_paths(lis)["demo"]["ready"], 10, srv=srv)
    viewers(whep_url(srv, "demo"), seconds=15)
    sid = wait_sessions(lis, 1, srv=srv)[0]["id"]

    r = requests.get(lis.metrics + "/metrics", timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, r.text[:500]
    assert r.headers.get("Content-Type", "").startswith("text/plain"), r.headers
    text = r.text
    assert "# HELP" not in text, "MediaMTX writes no # HELP lines"
    # MediaMTX's exact line for a ready path
    assert re.search(r'^paths\{name="demo",state="ready"\} 1$', text, re.M), text[:3000]
    samples = e2e.metric_lines(text)
    assert samples['paths_readers{name="demo",readerType="webRTCSession",state="ready"}'] == 1, \
        e2e.metric_family(samples, "paths_readers")
    assert samples['paths_outbound_bytes{name="demo",state="ready"}'] > 0
    assert samples['paths_inbound_bytes{name="demo",state="ready"}'] > 0

    tags = f'{{id="{sid}",path="demo",remoteAddr="[^"]*",state="read"}}'
    assert re.search(r"^webrtc_sessions" + tags + r" 1$", text, re.M), \
        "\n".join(ln for ln in text.splitlines() if ln.startswith("webrtc_sessions{"))
    sent = e2e.metric_family(samples, "webrtc_sessions_bytes_sent")
    assert len(sent) == 1 and list(sent.values())[0] > 0, sent
    assert list(e2e.metric_family(samples, "webrtc_sessions_outbound_bytes").values())[0] > 0
    assert len(e2e.metric_family(samples, "webrtc_sessions")) == 1, e2e.metric_family(samples, "webrtc_sessions")

    # Sluice's own process metrics
    threads = e2e.metric_family(samples, "sluice_process_threads")
    assert threads and list(threads.values())[0] >= 1, threads

    # ?type=webrtc_sessions (MediaMTX's filter name) shows only that family
    r = requests.get(lis.metrics + "/metrics?type=webrtc_sessions", timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, r.text[:500]
    only = e2e.metric_lines(r.text)
    assert only and all(k.startswith("webrtc_sessions") for k in only), sorted(only)[:20]
    assert len(e2e.metric_family(only, "webrtc_sessions")) == 1
    # ... and ?type=paths only paths
    r = requests.get(lis.metrics + "/metrics?type=paths", timeout=HTTP_TIMEOUT)
    only = e2e.metric_lines(r.text)
    assert only and all(k.startswith("paths") for k in only), sorted(only)[:20]
    # ?type=webrtc is not one of MediaMTX's types: nothing of the webrtc family leaks in
    # unfiltered form (MediaMTX prints nothing for an unknown type)
    r = requests.get(lis.metrics + "/metrics?type=webrtc", timeout=HTTP_TIMEOUT)
    assert r.status_code == 200
    assert not any(k.startswith("paths") for k in e2e.metric_lines(r.text)), r.text[:1000]
    srv.assert_alive()


# --------------------------------------------------------------------------------------
# 3. pprof


def test_pprof_profile_while_serving(server_factory, viewers, tmp_path):
    pprof_tool = shutil.which("google-pprof") or shutil.which("pprof")
    srv, lis = start_server(server_factory, {"demo": {"source": "demo"}})
    wait_until("demo ready", lambda: api_paths(lis)["demo"]["ready"], 10, srv=srv)
    # One viewer costs Sluice ~0.4% of a core: at gperftools' 100 Hz that is < 1 sample
    # in 5 s (measured: 0). 50 viewers (~140 Mbit/s on lo) give ~20 samples.
    viewers(whep_url(srv, "demo"), seconds=14, sessions=50)
    wait_sessions(lis, 50, timeout=15, srv=srv)

    result: dict = {}

    def profile():
        t0 = time.monotonic()
        try:
            result["response"] = requests.get(lis.pprof + "/debug/pprof/profile?seconds=5", timeout=30)
        except requests.RequestException as e:
            result["error"] = e
        result["elapsed"] = time.monotonic() - t0

    th = threading.Thread(target=profile, name="pprof-profile", daemon=True)
    th.start()
    time.sleep(0.5)
    slowest = 0.0
    polls = 0
    while th.is_alive() and polls < 40:
        t0 = time.monotonic()
        doc = get_json(lis.api + "/v3/paths/list")
        dt = time.monotonic() - t0
        slowest = max(slowest, dt)
        polls += 1
        assert doc["items"][0]["ready"] is True
        time.sleep(0.25)
    th.join(timeout=30)
    assert not th.is_alive(), "the profile request did not end"
    print(f"/v3/paths/list answered {polls} times during the profile, slowest {slowest * 1000:.0f} ms")
    assert polls >= 5, f"only {polls} API polls during a 5 s profile"
    assert slowest < 1.0, f"/v3/paths/list took {slowest:.2f} s during the profile"

    assert "error" not in result, result
    r = result["response"]
    assert r.status_code == 200, f"profile: HTTP {r.status_code}: {r.text[:500]}"
    assert 4.5 <= result["elapsed"] < 15, f"a 5 s profile took {result['elapsed']:.1f} s"
    assert len(r.content) > 0, "empty profile"
    prof = tmp_path / "profile.bin"
    prof.write_bytes(r.content)

    if pprof_tool is None:
        pytest.fail("google-pprof is not installed (Debian google-perftools; scripts/install-deps.sh)")
    p = subprocess.run([pprof_tool, "--text", str(e2e.SLUICE_BIN), str(prof)],
                       capture_output=True, text=True, timeout=120)
    out = p.stdout
    print(out[:3000])
    assert p.returncode == 0, f"{pprof_tool} failed ({p.returncode}):\n{p.stderr[-3000:]}"
    m = re.search(r"Total: (\d+) samples", out)
    assert m and int(m.group(1)) > 0, f"the profile has no samples:\n{out[:2000]}\n{p.stderr[-1000:]}"
    assert "sluice::" in out, f"no sluice:: function in the profile:\n{out[:4000]}"

    r = requests.get(lis.pprof + "/debug/pprof/goroutine", timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, r.text[:500]
    assert r.headers.get("Content-Type", "").startswith("text/plain"), r.headers
    body = r.text
    print(body[:1500])
    assert re.search(r"thread", body, re.I), body[:1000]
    # one row per OS thread: a numeric thread id first; more than one thread, and the
    # number of rows matches what /proc says
    rows = [ln for ln in body.splitlines() if re.match(r"^\s*\d+\s+\S", ln)]
    threads = len(os.listdir(f"/proc/{srv.pid}/task"))
    assert len(rows) >= 2 and abs(len(rows) - threads) <= 2, \
        f"{len(rows)} thread rows, /proc/{srv.pid}/task has {threads}:\n{body[:2000]}"
    srv.assert_alive()


# --------------------------------------------------------------------------------------
# 4. Hot reload


def test_hot_reload_keeps_viewer(server_factory, viewers):
    view_seconds = 15.0
    paths = {name: {"source": "demo"} for name in ("demo", "keep", "gone", "change")}
    srv, lis = start_server(server_factory, dict(paths))
    wait_until("demo, keep, gone and change ready",
               lambda: all(api_paths(lis).get(n, {}).get("ready") for n in paths), 10, srv=srv)

    v = viewers(whep_url(srv, "keep"), seconds=view_seconds)
    t_view = time.monotonic()
    sid = wait_sessions(lis, 1, srv=srv)[0]["id"]
    time.sleep(max(0.0, 3.0 - (time.monotonic() - t_view)))

    # rewrite the file: remove `gone`, add `added`, change `change` to a camera that is down
    new_paths = {"demo": {"source": "demo"}, "keep": {"source": "demo"},
                 "change": {"source": f"rtsp://{LO}:{e2e.closed_tcp_port()}/x"},
                 "added": {"source": "demo"}}
    srv.paths = new_paths
    good_text = e2e.to_yaml(srv.config()) + "\n"
    write_atomically(srv.config_path, good_text)
    t_write = time.monotonic()

    def reloaded():
        p = api_paths(lis)
        return ("gone" not in p and p.get("added", {}).get("ready") is True
                and "change" in p and p["change"]["ready"] is False)

    wait_until("after the rewrite: gone absent, added ready, change not ready", reloaded, 5, srv=srv)
    print(f"reload visible in the API {time.monotonic() - t_write:.2f} s after the write")
    p = api_paths(lis)
    assert p["keep"]["ready"] and p["demo"]["ready"], p
    assert p["change"]["source"] is not None, f"a configured RTSP source is listed while down: {p['change']}"
    assert srv.wait_log(r"configuration reloaded", 1), e2e.tail(srv.log_path, 3000)
    after = get_json(lis.api + "/v3/webrtcsessions/list")["items"]
    assert [s["id"] for s in after] == [sid], f"the viewer of 'keep' changed: {sid} -> {after}"

    # a broken file (unknown key) + SIGHUP: rejected, the running configuration stays
    broken = good_text + "thisKeyDoesNotExist: 1\n"
    write_atomically(srv.config_path, broken)
    time.sleep(1.0)  # let the file watcher see (and reject) it first
    rejected_before = len(re.findall(r"rejected", srv.log_text()))
    os.kill(srv.pid, signal.SIGHUP)
    wait_until("a new log line containing 'rejected' after SIGHUP",
               lambda: len(re.findall(r"rejected", srv.log_text())) > rejected_before, 5, srv=srv)
    line = [ln for ln in srv.log_text().splitlines() if "rejected" in ln][-1]
    print(f"SIGHUP with a broken file: {line}")
    assert "thisKeyDoesNotExist" in line, f"the rejection does not name the bad key: {line}"
    time.sleep(0.5)
    srv.assert_alive()
    p = api_paths(lis)
    assert sorted(p) == ["added", "change", "demo", "keep"], sorted(p)
    assert p["added"]["ready"] and p["keep"]["ready"] and not p["change"]["ready"], p
    assert "thisKeyDoesNotExist" not in get_json(lis.api + "/v3/config/global/get")

    status, rep = v.finish()
    sess = rep["per_session"][0]
    print(json.dumps({k: rep.get(k) for k in ("sessions_connected", "packets", "lost", "loss_pct",
                                             "discontinuities", "seconds")}),
          json.dumps({k: sess.get(k) for k in ("error", "delete_status", "duration_s", "keyframes")}))
    assert status == 0, f"sluice-load: {e2e.describe_status(status)}:\n{v.log()[-3000:]}"
    assert rep["sessions_connected"] == 1, rep
    assert sess.get("error") is None, f"the viewer of 'keep' was interrupted: {sess.get('error')}"
    assert sess.get("delete_status") == 200, \
        f"the session of 'keep' was gone before the viewer ended it (DELETE {sess.get('delete_status')})"
    assert rep["loss_pct"] <= 0.5 and rep.get("discontinuities", 0) == 0, rep
    want = int(DEMO_PPS * view_seconds * PACKETS_FRACTION)
    assert rep["packets"] >= want, f"{rep['packets']} packets in {view_seconds:.0f} s (want >= {want})"
    srv.assert_alive()


@pytest.mark.skipif(e2e.sanitizer_build() != "", reason="a sanitizer's allocator and shadow decide the RSS")
def test_removed_paths_give_their_memory_back(server_factory):
    """Thirty-two demo paths are added by a reload, then removed by another: the memory their
    histories held goes back to the system within the pools' 10 s idle time (+ their trim)."""
    srv, lis = start_server(server_factory, {"keep": {"source": "demo"}})
    wait_until("keep ready", lambda: api_paths(lis).get("keep", {}).get("ready"), 10, srv=srv)
    time.sleep(2.0)  # keep's history holds its keyframe interval
    base_kb = e2e.proc_stats(srv.pid)["rss_kb"]

    added = {f"d{i}": {"source": "demo"} for i in range(1, 33)}
    srv.paths = {"keep": {"source": "demo"}, **added}
    write_atomically(srv.config_path, e2e.to_yaml(srv.config()) + "\n")
    wait_until("the 32 added paths ready",
               lambda: all(api_paths(lis).get(n, {}).get("ready") for n in added), 10, srv=srv)
    time.sleep(3.0)  # their histories fill (the demo clip's keyframe interval and what precedes it)
    full_kb = e2e.proc_stats(srv.pid)["rss_kb"]
    grown = full_kb - base_kb
    print(f"RSS with 1 path {base_kb} KiB, with 33 {full_kb} KiB (+{grown})")
    assert grown >= 6000, f"32 demo paths' histories should take megabytes: +{grown} KiB"

    srv.paths = {"keep": {"source": "demo"}}
    write_atomically(srv.config_path, e2e.to_yaml(srv.config()) + "\n")
    t_removed = time.monotonic()
    wait_until("the 32 paths gone", lambda: sorted(api_paths(lis)) == ["keep"], 5, srv=srv)
    # Idle chunks go back whole; the heap and the allocator's arenas may keep a little.
    target_kb = base_kb + grown * 0.25
    rss = []
    for _ in e2e.deadline_loop(20, 1.0):
        rss.append(e2e.proc_stats(srv.pid, interval=0.2)["rss_kb"])
        if rss[-1] <= target_kb:
            break
    print(f"RSS after the removal, a sample a second: {rss}")
    assert rss[-1] <= target_kb, (
        f"removed paths' memory stayed resident {time.monotonic() - t_removed:.0f} s after the reload: "
        f"{rss[-1]} KiB (with 1 path {base_kb}, with 33 {full_kb}, wanted <= {target_kb:.0f})")
    assert api_paths(lis)["keep"]["ready"]
    srv.assert_alive()


# --------------------------------------------------------------------------------------
# 5. Access


def _check_listeners(lis: Listeners, session: requests.Session | None, expect: int, auth=None,
                     timeout: float = HTTP_TIMEOUT) -> list[str]:
    """GETs one route of each listener; returns the problems (empty if all gave `expect`)."""
    problems = []
    for what, url in (("api", lis.api + "/v3/paths/list"), ("metrics", lis.metrics + "/metrics"),
                      ("pprof", lis.pprof + "/debug/pprof/goroutine")):
        getter = session.get if session is not None else requests.get
        r = getter(url, auth=auth, timeout=timeout)
        if r.status_code != expect:
            problems.append(f"{what} {url}: HTTP {r.status_code} (wanted {expect}): {r.text[:200]}")
        elif expect == 401 and auth is None:
            wa = r.headers.get("WWW-Authenticate", "")
            if wa != 'Basic realm="mediamtx"':
                problems.append(f"{what}: 401 without WWW-Authenticate: Basic realm=\"mediamtx\" ({wa!r})")
    return problems


def test_access_default_loopback_only(server_factory):
    srv, lis = start_server(server_factory, {"demo": {"source": "demo"}})
    problems = _check_listeners(lis, None, 200)
    with session_from(OTHER_LOCAL_IP) as other:
        problems += _check_listeners(lis, other, 401)
        # curl's --interface too, as an operator would
        if shutil.which("curl"):
            out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-D", "-", "--interface", OTHER_LOCAL_IP,
                                  "--max-time", "5", lis.api + "/v3/info"],
                                 capture_output=True, text=True, timeout=20).stdout
            if not re.match(r"^HTTP/1\.[01] 401", out) or 'WWW-Authenticate: Basic realm="mediamtx"' not in out:
                problems.append(f"curl --interface {OTHER_LOCAL_IP} /v3/info:\n{out}")
    assert not problems, "\n".join(problems)
    srv.assert_alive()


AUTH_USERS = [
    {"user": "admin", "pass": "secret", "ips": [],
     "permissions": [{"action": "api"}, {"action": "metrics"}, {"action": "pprof"}]},
    {"user": "any", "pass": "", "ips": ["127.0.0.1", "::1"],
     "permissions": [{"action": "api"}, {"action": "metrics"}, {"action": "pprof"}]},
]


def test_access_internal_users_basic_auth(server_factory):
    srv, lis = start_server(server_factory, {"demo": {"source": "demo"}},
                            extra={"authInternalUsers": AUTH_USERS})
    # the config was understood (passwords redacted)
    users = get_json(lis.api + "/v3/config/global/get")["authInternalUsers"]
    assert [u["user"] for u in users] == ["admin", "any"], users
    assert "secret" not in json.dumps(users), f"internal-user passwords must be redacted: {users}"

    problems = []
    # anonymous from 127.0.0.1: the `any` user
    problems += _check_listeners(lis, None, 200)
    with session_from(OTHER_LOCAL_IP) as other:
        # anonymous from 127.0.0.2: asked for credentials
        problems += [f"anonymous from {OTHER_LOCAL_IP}: {p}" for p in _check_listeners(lis, other, 401)]
        # admin:secret from 127.0.0.2: allowed everywhere
        problems += [f"admin:secret from {OTHER_LOCAL_IP}: {p}"
                     for p in _check_listeners(lis, other, 200, auth=("admin", "secret"))]
        # wrong password: 401 (MediaMTX may pause up to a few seconds first)
        t0 = time.monotonic()
        problems += [f"admin:wrong from {OTHER_LOCAL_IP}: {p}"
                     for p in _check_listeners(lis, other, 401, auth=("admin", "wrong"), timeout=15)]
        print(f"three wrong-password requests took {time.monotonic() - t0:.1f} s")
    assert not problems, "\n".join(problems)
    srv.assert_alive()


def test_max_readers_refuses_the_extra_viewer(server_factory, viewers):
    srv, lis = start_server(server_factory, {"demo": {"source": "demo", "maxReaders": 1}})
    wait_until("demo ready", lambda: api_paths(lis)["demo"]["ready"], 10, srv=srv)
    first = viewers(whep_url(srv, "demo"), seconds=8)
    wait_sessions(lis, 1, srv=srv)
    second = viewers(whep_url(srv, "demo"), seconds=3)
    _, report = second.finish()
    assert report["sessions_connected"] == 0, report
    errors = " ".join(str(s.get("error", "")) for s in report.get("per_session", []))
    assert "maximum reader count reached" in errors or "400" in errors, report.get("per_session")
    _, report = first.finish()
    assert report["sessions_connected"] == 1 and report["packets"] > 0, report


def test_source_on_demand_and_regex_paths(server_factory, viewers):
    dead = e2e.closed_tcp_port()
    srv, lis = start_server(server_factory, {
        "od": {"source": "demo", "sourceOnDemand": True, "sourceOnDemandCloseAfter": "2s"},
        "~^live(\\d+)$": {"source": "demo", "sourceOnDemand": True, "sourceOnDemandCloseAfter": "2s"},
        "never": {"source": f"rtsp://127.0.0.1:{dead}/cam", "sourceOnDemand": True,
                  "sourceOnDemandStartTimeout": "2s"},
    })
    # Nobody reads yet: the on-demand source is not running.
    time.sleep(1.0)
    assert api_paths(lis)["od"]["ready"] is False

    # A viewer's POST waits for the source, then plays.
    _, report = viewers(whep_url(srv, "od"), seconds=4).finish()
    assert report["sessions_connected"] == 1 and report["packets"] > 0, report
    assert "[path od] starting source on demand" in srv.log_text()
    # Once nobody reads, the source stops after sourceOnDemandCloseAfter.
    wait_until("od stopped after its last reader left", lambda: not api_paths(lis)["od"]["ready"], 8, srv=srv)
    assert "[path od] is not needed by anyone" in srv.log_text()

    # A name matched by a regex path gets its own path, created on demand.
    live = viewers(whep_url(srv, "live7"), seconds=4)
    item = wait_until("live7 in /v3/paths/list", lambda: api_paths(lis).get("live7"), 8, srv=srv)
    assert item["confName"] == "~^live(\\d+)$", item
    _, report = live.finish()
    assert report["sessions_connected"] == 1 and report["packets"] > 0, report
    assert "[path live7] created from '~^live(\\d+)$'" in srv.log_text()
    r = requests.post(whep_url(srv, "nolive"), data="v=0\r\n", headers={"Content-Type": "application/sdp"},
                      timeout=HTTP_TIMEOUT)
    assert_error_json(r, 404, "not configured")

    # A source that never comes up: the POST is answered after the start timeout.
    t0 = time.monotonic()
    r = requests.post(whep_url(srv, "never"), data="v=0\r\n", headers={"Content-Type": "application/sdp"},
                      timeout=15)
    assert_error_json(r, 400, "source of path 'never' has timed out")
    assert 1.5 <= time.monotonic() - t0 <= 6, time.monotonic() - t0
