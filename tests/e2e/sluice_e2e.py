"""Helpers for Sluice's end-to-end tests (no pytest dependency: the network-namespace
scenario script imports this module too).

What lives here:
  * locations (SLUICE_BIN, SLUICE_SOURCE_DIR, SLUICE_BUILD_DIR, the tools under tests/tools)
  * test clips: 10 s 1080p30 H.264 Annex-B in baseline / main / high, made once into
    $SLUICE_BUILD_DIR/e2e-media (TESTING.md's ffmpeg command, 1 slice, keyint 30, no B-frames)
  * Proc: a child process with its output in a log file, stopped by PID
    (SIGTERM, then SIGKILL after a grace period), killed by the kernel if we die (PDEATHSIG)
  * Camera: tests/tools/rtsp_camera.py started through its CLI, waiting for its READY line
  * Server: `$SLUICE_BIN CONFIG.yml` with a generated MediaMTX-style config on free
    loopback ports; waits for HTTP, reads the index (GET /) for path readiness,
    checks on stop that it exited cleanly
  * proc_stats(): CPU %, RSS and thread count of a process from /proc
  * netns_command(): argv that runs a command in a private network namespace
    (lo up + veth whose end carries 127.0.0.2/32), as TESTING.md describes

Every wait in here has a deadline; every process is stopped by its own PID.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
from html.parser import HTMLParser
from pathlib import Path

# --------------------------------------------------------------------------------------
# Locations

HERE = Path(__file__).resolve().parent
SOURCE_DIR = Path(os.environ.get("SLUICE_SOURCE_DIR") or HERE.parent.parent).resolve()
BUILD_DIR = Path(os.environ.get("SLUICE_BUILD_DIR") or SOURCE_DIR / "build").resolve()
SLUICE_BIN = Path(os.environ.get("SLUICE_BIN") or BUILD_DIR / "sluice")
PYTHON = "/usr/bin/python3"  # Debian's interpreter: gi, aiortc, selenium live there


def sanitizer_build() -> str:
    """The sanitizers BUILD_DIR was configured with (SLUICE_SANITIZE, e.g. "address,undefined"),
    or "" for a plain build. A sanitizer's allocator keeps freed memory in quarantine and adds
    its shadow, so a sanitized server's RSS says nothing about its own memory."""
    try:
        for line in (BUILD_DIR / "CMakeCache.txt").read_text().splitlines():
            if line.startswith("SLUICE_SANITIZE:"):
                return line.partition("=")[2].strip()
    except OSError:
        pass
    return ""
TOOLS_DIR = SOURCE_DIR / "tests" / "tools"
CAMERA_TOOL = Path(os.environ.get("SLUICE_E2E_CAMERA") or TOOLS_DIR / "rtsp_camera.py")
BROWSER_TOOL = TOOLS_DIR / "browser_viewer.py"
AIORTC_TOOL = TOOLS_DIR / "aiortc_whep_client.py"
MEDIA_DIR = BUILD_DIR / "e2e-media"

LOOPBACK = "127.0.0.1"
NETNS_HOST = "127.0.0.2"  # the address on the veth end inside a test namespace


# --------------------------------------------------------------------------------------
# Small utilities


def deadline_loop(timeout: float, interval: float = 0.25):
    """Yields until `timeout` seconds have passed (at least once), sleeping `interval`
    between iterations."""
    end = time.monotonic() + timeout
    first = True
    while first or time.monotonic() < end:
        first = False
        yield
        remaining = end - time.monotonic()
        if remaining <= 0:
            return
        time.sleep(min(interval, remaining))


def free_port(kind: str = "tcp", host: str = LOOPBACK) -> int:
    """A port that is free right now on `host` (the kernel picks it by binding port 0)."""
    typ = socket.SOCK_STREAM if kind == "tcp" else socket.SOCK_DGRAM
    with socket.socket(socket.AF_INET, typ) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def free_udp_pair() -> tuple[int, int]:
    """An even UDP port and the next one, both free on loopback now (rtpAddress/rtcpAddress)."""
    for _ in range(500):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as a:
            a.bind((LOOPBACK, 0))
            port = a.getsockname()[1]
            if port % 2 or port >= 65535:
                continue
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as b:
                try:
                    b.bind((LOOPBACK, port + 1))
                except OSError:
                    continue
            return port, port + 1
    raise RuntimeError("no free even/odd UDP port pair on loopback")


def free_ports(n: int, kind: str = "tcp") -> list[int]:
    """n distinct free ports (all held while choosing, so they differ)."""
    typ = socket.SOCK_STREAM if kind == "tcp" else socket.SOCK_DGRAM
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, typ)
            s.bind((LOOPBACK, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def closed_tcp_port() -> int:
    """A loopback TCP port on which nothing listens (connections are refused)."""
    for _ in range(20):
        p = free_port("tcp")
        with socket.socket() as s:
            s.settimeout(1)
            if s.connect_ex((LOOPBACK, p)) != 0:
                return p
    raise RuntimeError("could not find a closed TCP port")


def metric_lines(text: str) -> dict[str, float]:
    """Prometheus text: 'name{labels}' -> value for every sample line."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r"^([A-Za-z_:][A-Za-z0-9_:]*(?:\{[^}]*\})?) (\S+)$", line)
        assert m, f"malformed metrics line: {line!r}"
        out[m.group(1)] = float(m.group(2))
    return out


def metric_family(samples: dict[str, float], name: str) -> dict[str, float]:
    """The samples of metric `name` (exact name, any labels), from metric_lines()."""
    return {k: v for k, v in samples.items() if k == name or k.startswith(name + "{")}


def tail(path: Path | str, max_bytes: int = 60_000) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - max_bytes))
            data = f.read()
        text = data.decode("utf-8", "replace")
        return ("[... %d bytes before]\n" % (size - max_bytes) if size > max_bytes else "") + text
    except OSError as e:
        return f"<cannot read {path}: {e}>"


_PR_SET_PDEATHSIG = 1


def _child_setup(sig=signal.SIGTERM):
    """preexec_fn: the child gets `sig` when the parent dies, so nothing outlives a test run."""

    def fn():
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
        except Exception:
            pass

    return fn


# --------------------------------------------------------------------------------------
# Test clips

CLIP_SECONDS = 10
CLIP_FPS = 30
CLIP_PROFILES = ("baseline", "main", "high")


def clip_command(profile: str, out: Path, seconds: int = CLIP_SECONDS, fps: int = CLIP_FPS,
                 size: str = "1920x1080", bitrate: str = "4M") -> list[str]:
    """TESTING.md's ffmpeg command, writing a raw Annex-B elementary stream."""
    level = "4.0"
    return [
        "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i",
        f"testsrc2=size={size}:rate={fps},"
        "drawtext=text='%{pts\\:hms} %{n}':fontsize=72:fontcolor=white:x=40:y=40",
        "-frames:v", str(seconds * fps), "-an",
        "-c:v", "libx264", "-profile:v", profile, "-level:v", level, "-pix_fmt", "yuv420p",
        "-preset", "veryfast", "-tune", "zerolatency",
        "-x264-params", "sliced-threads=0:slices=1:repeat-headers=1",
        "-g", str(fps), "-keyint_min", str(fps), "-sc_threshold", "0", "-bf", "0",
        "-b:v", bitrate, "-maxrate", bitrate, "-bufsize", "8M",
        "-f", "h264", str(out),
    ]


def make_clip(profile: str, out_dir: Path = MEDIA_DIR, timeout: float = 120) -> Path:
    """Makes (once; cached by a stamp of the command) a 10 s 1080p30 clip of `profile`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"clip-1080p30-{profile}.h264"
    stamp = out.with_suffix(".cmd")
    cmd = clip_command(profile, out)
    want = json.dumps(cmd[:-1])
    if out.exists() and out.stat().st_size > 100_000 and stamp.exists() and stamp.read_text() == want:
        return out
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp.h264")
    cmd = clip_command(profile, tmp)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0 or not tmp.exists():
        tmp.unlink(missing_ok=True)
        raise RuntimeError(f"ffmpeg failed ({r.returncode}) making {out}:\n{r.stderr}")
    os.replace(tmp, out)
    stamp.write_text(want)
    return out


def make_clips(out_dir: Path = MEDIA_DIR) -> dict[str, Path]:
    return {p: make_clip(p, out_dir) for p in CLIP_PROFILES}


# --------------------------------------------------------------------------------------
# Processes


class Proc:
    """A child process whose stdout+stderr go to `log_path`. Stopped by PID only."""

    def __init__(self, name: str, argv: list[str], log_path: Path, cwd: Path | None = None,
                 env: dict | None = None, watch_stdout: bool = False):
        self.name = name
        self.argv = [str(a) for a in argv]
        self.log_path = Path(log_path)
        self.cwd = cwd
        self.env = env
        self.proc: subprocess.Popen | None = None
        self.returncode: int | None = None
        self.killed = False  # True if SIGTERM was not enough
        self._watch = watch_stdout
        self._lines: list[str] = []
        self._line_cv = threading.Condition()
        self._reader: threading.Thread | None = None
        self._log = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self):
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab", buffering=0)
        self._log.write(f"=== {time.strftime('%H:%M:%S')} start: {' '.join(self.argv)}\n".encode())
        self.proc = subprocess.Popen(
            self.argv, cwd=self.cwd, env=self.env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if self._watch else self._log,
            stderr=subprocess.STDOUT, preexec_fn=_child_setup())
        if self._watch:
            self._reader = threading.Thread(target=self._pump, name=f"{self.name}-out", daemon=True)
            self._reader.start()
        return self

    def _pump(self):
        assert self.proc and self.proc.stdout
        for raw in iter(self.proc.stdout.readline, b""):
            try:
                self._log.write(raw)
            except Exception:
                pass
            with self._line_cv:
                self._lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
                self._line_cv.notify_all()
        with self._line_cv:
            self._line_cv.notify_all()

    def wait_line(self, pattern: str, timeout: float) -> re.Match | None:
        """First stdout line matching `pattern` (only with watch_stdout), or None."""
        rx = re.compile(pattern)
        end = time.monotonic() + timeout
        seen = 0
        with self._line_cv:
            while True:
                while seen < len(self._lines):
                    m = rx.search(self._lines[seen])
                    seen += 1
                    if m:
                        return m
                left = end - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and seen >= len(self._lines)
                                 and not (self._reader and self._reader.is_alive())):
                    return None
                self._line_cv.wait(min(left, 0.2))

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, grace: float = 5.0, sig=signal.SIGTERM) -> int | None:
        """`sig` (SIGTERM) to our PID, SIGKILL after `grace` s. Returns the exit status
        (negative = killed by that signal, as in subprocess)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.killed = True
                try:
                    os.kill(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=10)
        self.returncode = self.proc.returncode
        if self._reader:
            self._reader.join(timeout=5)
        if self._log:
            try:
                self._log.write(f"=== {time.strftime('%H:%M:%S')} exit status {self.returncode}"
                                f"{' (needed SIGKILL)' if self.killed else ''}\n".encode())
                self._log.close()
            except Exception:
                pass
            self._log = None
        return self.returncode

    def log_text(self) -> str:
        try:
            return self.log_path.read_text("utf-8", "replace")
        except OSError:
            return ""


def describe_status(rc: int | None) -> str:
    if rc is None:
        return "still running"
    if rc < 0:
        try:
            return f"killed by {signal.Signals(-rc).name}"
        except ValueError:
            return f"killed by signal {-rc}"
    return f"exit code {rc}"


# --------------------------------------------------------------------------------------
# Camera (tests/tools/rtsp_camera.py through its CLI)


class Camera:
    READY_RX = r"^READY (rtsps?://\S+)"

    def __init__(self, clip: Path, log_path: Path, path: str = "cam", fps: int = 30,
                 port: int = 0, protocols: str = "tcp+udp", user: str | None = None,
                 password: str | None = None, digest: bool = False, tls: tuple[Path, Path] | None = None):
        self.clip, self.log_path, self.path, self.fps = Path(clip), Path(log_path), path, fps
        self.port, self.protocols = port, protocols
        self.user, self.password, self.digest = user, password, digest
        self.tls = tls  # (certificate, key): RTSPS
        self.url: str | None = None
        self.proc: Proc | None = None

    def argv(self) -> list[str]:
        a = [PYTHON, str(CAMERA_TOOL), "--clip", str(self.clip), "--fps", str(self.fps),
             "--port", str(self.port), "--path", self.path, "--protocols", self.protocols]
        if self.user is not None:
            a += ["--user", self.user, "--password", self.password or ""]
        if self.digest:
            a += ["--digest"]
        if self.tls:
            a += ["--tls-cert", str(self.tls[0]), "--tls-key", str(self.tls[1])]
        return a

    def start(self, timeout: float = 20.0) -> "Camera":
        if not CAMERA_TOOL.exists():
            raise RuntimeError(f"camera tool {CAMERA_TOOL} does not exist (yet)")
        self.proc = Proc(f"camera-{self.path}", self.argv(), self.log_path, watch_stdout=True).start()
        m = self.proc.wait_line(self.READY_RX, timeout)
        if not m:
            status = describe_status(self.proc.proc.poll())
            self.proc.stop()
            raise RuntimeError(f"camera did not print READY within {timeout:.0f} s ({status}):\n"
                               + tail(self.log_path, 8000))
        self.url = m.group(1)
        mp = re.match(r"rtsps?://[^/]*:(\d+)/", self.url)
        if mp:
            self.port = int(mp.group(1))  # keep the port: a restart reuses it
        return self

    def stop(self) -> int | None:
        return self.proc.stop() if self.proc else None

    def restart(self, timeout: float = 20.0) -> "Camera":
        """Starts again on the same port (after stop())."""
        if self.proc and self.proc.alive():
            self.stop()
        return self.start(timeout)

    def url_with_credentials(self) -> str:
        assert self.url
        if self.user is None:
            return self.url
        return self.url.replace("rtsp://", f"rtsp://{self.user}:{self.password}@", 1)

    def alive(self) -> bool:
        return bool(self.proc and self.proc.alive())


# --------------------------------------------------------------------------------------
# Config YAML (our own tiny emitter: dicts, lists, scalars; strings JSON-quoted)


def _yaml_scalar(v) -> str:
    if v is True:
        return "true"
    if v is False:
        return "false"
    if v is None:
        return "null"
    if isinstance(v, (int, float)):
        return str(v)
    return json.dumps(str(v))


def to_yaml(obj, indent: int = 0) -> str:
    pad = "  " * indent
    out = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            key = k if re.match(r"^[A-Za-z0-9_./-]+$", str(k)) else json.dumps(str(k))
            if isinstance(v, dict) and v:
                out.append(f"{pad}{key}:\n{to_yaml(v, indent + 1)}")
            elif isinstance(v, list):
                if v and all(not isinstance(x, (dict, list)) for x in v):
                    out.append(f"{pad}{key}: [{', '.join(_yaml_scalar(x) for x in v)}]")
                elif not v:
                    out.append(f"{pad}{key}: []")
                else:
                    out.append(f"{pad}{key}:")
                    for x in v:
                        body = to_yaml(x, indent + 2).lstrip()
                        out.append(f"{pad}  - {body}")
            elif isinstance(v, dict):
                out.append(f"{pad}{key}: {{}}")
            else:
                out.append(f"{pad}{key}: {_yaml_scalar(v)}")
        return "\n".join(out)
    return pad + _yaml_scalar(obj)


# --------------------------------------------------------------------------------------
# Index page (GET /) parsing: which paths are listed, and are they ready?
#
# Accepted forms of the index (first that applies):
#  1. JSON: {"items": [{"name": .., "ready": bool}, ..]} (the /v3/paths/list shape),
#     a bare list of such items, {"paths": [...]}, or {"paths": {name: {"ready": bool}}} /
#     {name: bool}. The readiness key is "ready", else "available", else "online".
#  2. HTML with data attributes: an element with data-path="cam" (or data-name) and
#     data-ready="true|false" (also data-state="ready|not-ready|...").
#  3. HTML/text: the text line (block elements and <br> break lines) that names the
#     path (as a word or as the link /cam/) says "not ready"/"offline"/"unavailable"/
#     "waiting"/"error"/"no stream" → not ready; else "ready"/"online"/"available"/"live" → ready.

_NOT_READY_WORDS = re.compile(
    r"not[\s_-]*ready|unready|not[\s_-]*available|unavailable|offline|waiting|"
    r"connecting|no[\s_-]*stream|\berror\b|\bfailed\b|\bdown\b|\bfalse\b|\u2717|\u274c", re.I)
_READY_WORDS = re.compile(r"\bready\b|\bonline\b|\bavailable\b|\blive\b|\bplaying\b|\btrue\b|\u2713|\u2714", re.I)


def _ready_from_json_item(item) -> bool | None:
    if isinstance(item, bool):
        return item
    if isinstance(item, dict):
        for k in ("ready", "available", "online"):
            if k in item:
                return bool(item[k])
        st = item.get("state") or item.get("status")
        if isinstance(st, str):
            if _NOT_READY_WORDS.search(st):
                return False
            if _READY_WORDS.search(st):
                return True
    return None


def _parse_index_json(doc) -> dict[str, bool | None]:
    res: dict[str, bool | None] = {}
    items = doc
    if isinstance(doc, dict):
        items = doc.get("items", doc.get("paths", doc))
    if isinstance(items, list):
        for it in items:
            if isinstance(it, dict) and "name" in it:
                res[str(it["name"])] = _ready_from_json_item(it)
    elif isinstance(items, dict):
        for name, it in items.items():
            if name in ("status", "version", "itemCount", "pageCount"):
                continue
            res[str(name)] = _ready_from_json_item(it)
    return res


class _IndexHTML(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = [""]
        self.attr_paths: dict[str, bool | None] = {}
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag in ("script", "style"):
            self._skip += 1
        if tag in ("tr", "li", "p", "div", "br", "h1", "h2", "h3", "h4", "section", "article", "pre", "dt"):
            self.lines.append("")
        else:
            self.lines[-1] += " "  # table cells and inline elements: keep words apart
        name = a.get("data-path") or a.get("data-name")
        if name:
            st = a.get("data-ready", a.get("data-state", a.get("data-status", "")))
            val = None
            if st:
                if _NOT_READY_WORDS.search(st) or st.lower() in ("0", "no"):
                    val = False
                elif _READY_WORDS.search(st) or st.lower() in ("1", "yes"):
                    val = True
            if name not in self.attr_paths or self.attr_paths[name] is None:
                self.attr_paths[name] = val
        href = a.get("href")
        if href:
            self.lines[-1] += f" [href={href}] "

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1
        if tag in ("tr", "li", "p", "div", "h1", "h2", "h3", "h4", "section", "article", "dd"):
            self.lines.append("")
        else:
            self.lines[-1] += " "

    def handle_data(self, data):
        if self._skip:
            return
        parts = data.split("\n")
        self.lines[-1] += parts[0]
        for p in parts[1:]:
            self.lines.append(p)


def parse_index(body: str, content_type: str = "", names: list[str] | None = None) -> dict[str, bool | None]:
    """Path name → ready (True/False) or None (listed, state not understood).
    `names`: the path names to look for in an HTML/text index."""
    text = body.strip()
    if "json" in content_type or text[:1] in ("{", "["):
        try:
            return _parse_index_json(json.loads(text))
        except ValueError:
            pass
    p = _IndexHTML()
    try:
        p.feed(body)
        p.close()
    except Exception:
        p.lines = body.splitlines()
    res: dict[str, bool | None] = {k: v for k, v in p.attr_paths.items()}
    for name in names or []:
        if res.get(name) is not None:
            continue
        word = re.compile(r"(?<![\w./-])" + re.escape(name) + r"(?![\w-])|/" + re.escape(name) + r"/")
        for line in p.lines:
            if not word.search(line):
                continue
            rest = word.sub(" ", line)
            if _NOT_READY_WORDS.search(rest):
                res[name] = False
                break
            if _READY_WORDS.search(rest):
                res[name] = True
                break
            res.setdefault(name, None)
    return res


# --------------------------------------------------------------------------------------
# Server


class ServerError(AssertionError):
    pass


class Server:
    """`$SLUICE_BIN config.yml`, config generated from `paths` and keyword overrides."""

    def __init__(self, workdir: Path, paths: dict, name: str = "sluice", http_port: int | None = None,
                 udp_port: int | None = None, hosts: list[str] | None = None,
                 udp_bind: str | None = None, log_level: str = "debug", extra: dict | None = None,
                 config_text: str | None = None, http_host: str = LOOPBACK, env: dict | None = None):
        self.workdir = Path(workdir)
        self.env = env  # added to the test's environment
        self.name = name
        self.http_host = http_host
        self.http_port = http_port or free_port("tcp")
        self.udp_port = udp_port or free_port("udp")
        self.rtsp_port = free_port("tcp")  # Sluice's RTSP server (rtspAddress)
        self.hosts = hosts if hosts is not None else [LOOPBACK]
        self.udp_bind = udp_bind if udp_bind is not None else f"{LOOPBACK}:{self.udp_port}"
        self.paths = paths
        self.log_level = log_level
        self.extra = extra or {}
        self.config_path = self.workdir / f"{name}.yml"
        self.log_path = self.workdir / f"{name}.log"
        self._config_text = config_text
        self.proc: Proc | None = None
        self.stopped_status: int | None = None
        self.start_failed = False

    # -- config
    def config(self) -> dict:
        rtsp_port = self.rtsp_port
        cfg = {
            "logLevel": self.log_level,
            # our own RTSP server on a free loopback port, TCP only (no fixed UDP 8000/8001)
            "rtspAddress": f"{LOOPBACK}:{rtsp_port}",
            "rtspTransports": ["tcp"],
            "webrtcAddress": f"{self.http_host}:{self.http_port}",
            "webrtcLocalUDPAddress": self.udp_bind,
            "webrtcIPsFromInterfaces": False,
            "webrtcAdditionalHosts": list(self.hosts),
        }
        cfg.update(self.extra)
        cfg["paths"] = self.paths
        return cfg

    def write_config(self) -> Path:
        self.workdir.mkdir(parents=True, exist_ok=True)
        text = self._config_text if self._config_text is not None else to_yaml(self.config()) + "\n"
        self.config_path.write_text(text)
        return self.config_path

    # -- lifecycle
    @property
    def base(self) -> str:
        return f"http://{LOOPBACK if self.http_host in ('', '0.0.0.0') else self.http_host}:{self.http_port}"

    def url(self, path: str = "/") -> str:
        return self.base + (path if path.startswith("/") else "/" + path)

    def rtsp_url(self, path: str) -> str:
        """rtsp://127.0.0.1:PORT/path on Sluice's own RTSP server."""
        return f"rtsp://{LOOPBACK}:{self.rtsp_port}/{path}"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def start(self, timeout: float = 20.0) -> "Server":
        if not SLUICE_BIN.exists():
            raise ServerError(f"server binary {SLUICE_BIN} does not exist (set SLUICE_BIN or build it)")
        self.write_config()
        self.proc = Proc(self.name, [str(SLUICE_BIN), str(self.config_path)], self.log_path,
                         cwd=self.workdir, env={**os.environ, **self.env} if self.env else None).start()
        try:
            self.wait_http(timeout)
        except ServerError:
            self.start_failed = True  # already reported: teardown need not repeat it
            raise
        return self

    def wait_http(self, timeout: float = 20.0):
        """Until GET / answers (any HTTP status)."""
        import requests
        last = None
        for _ in deadline_loop(timeout, 0.1):
            if not self.proc.alive():
                raise ServerError(f"sluice exited during start-up ({describe_status(self.proc.proc.poll())})"
                                  f"\n--- config:\n{self.config_path.read_text()}\n--- log:\n{tail(self.log_path)}")
            try:
                requests.get(self.url("/"), timeout=1)
                return
            except requests.RequestException as e:
                last = e
        raise ServerError(f"sluice did not answer GET / within {timeout:.0f} s ({last})\n--- log:\n{tail(self.log_path)}")

    def alive(self) -> bool:
        return bool(self.proc and self.proc.alive())

    def assert_alive(self):
        if not self.alive():
            raise ServerError(f"sluice is not running any more ({describe_status(self.proc.proc.poll())})"
                              f"\n--- log:\n{tail(self.log_path)}")

    def stop(self, grace: float = 5.0) -> int | None:
        if self.proc is None:
            return None
        self.stopped_status = self.proc.stop(grace)
        return self.stopped_status

    def exit_problem(self, status: int | None, died_early: bool = False) -> str | None:
        """None if `status` is what a clean SIGTERM shutdown gives; else a description."""
        if self.proc is None:
            return None
        if died_early:
            return f"sluice died during the test ({describe_status(status)})"
        if self.proc.killed:
            return "sluice did not exit within 5 s of SIGTERM (needed SIGKILL)"
        if status in (0, -signal.SIGTERM, 128 + signal.SIGTERM):
            return None
        return f"sluice did not exit cleanly on SIGTERM ({describe_status(status)})"

    def stop_and_check(self) -> str | None:
        if self.stopped_status is not None and not self.start_failed:
            return self.exit_problem(self.stopped_status)  # the test stopped it: judge that exit
        died_early = not self.alive() if self.proc else False
        status = self.stop()
        if self.start_failed:
            return None
        return self.exit_problem(status, died_early)

    # -- log
    def log_text(self) -> str:
        return self.proc.log_text() if self.proc else ""

    def wait_log(self, pattern: str, timeout: float, flags=re.M) -> re.Match | None:
        rx = re.compile(pattern, flags)
        for _ in deadline_loop(timeout, 0.25):
            m = rx.search(self.log_text())
            if m:
                return m
        return None

    # -- HTTP views
    def index(self, timeout: float = 3.0):
        import requests
        return requests.get(self.url("/"), timeout=timeout)

    def path_states(self, names: list[str] | None = None) -> dict[str, bool | None]:
        r = self.index()
        return parse_index(r.text, r.headers.get("Content-Type", ""), names or list(self.paths))

    def path_ready(self, name: str) -> bool | None:
        try:
            return self.path_states([name]).get(name)
        except Exception:
            return None

    def wait_path(self, name: str, ready: bool = True, timeout: float = 20.0) -> float:
        """Polls GET / until path `name` is listed as ready (or not ready). Returns the
        seconds it took; raises ServerError with the last index body on timeout."""
        import requests
        t0 = time.monotonic()
        last = ""
        for _ in deadline_loop(timeout, 0.25):
            self.assert_alive()
            try:
                r = self.index()
                last = f"HTTP {r.status_code} {r.headers.get('Content-Type', '')}\n{r.text[:4000]}"
                if parse_index(r.text, r.headers.get("Content-Type", ""), [name]).get(name) is ready:
                    return time.monotonic() - t0
            except requests.RequestException as e:
                last = repr(e)
        raise ServerError(f"path '{name}' not listed as {'ready' if ready else 'not ready'} by GET / "
                          f"within {timeout:.0f} s; last index:\n{last}\n--- log:\n{tail(self.log_path, 20000)}")

    def stats(self, interval: float = 1.0) -> dict:
        return proc_stats(self.pid, interval)


# --------------------------------------------------------------------------------------
# /proc statistics


_CLK_TCK = os.sysconf("SC_CLK_TCK")


def _cpu_ticks(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as f:
        s = f.read()
    fields = s[s.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def proc_stats(pid: int, interval: float = 1.0) -> dict:
    """CPU % of one core averaged over `interval` s, RSS (KiB), threads, open fds."""
    t0, c0 = time.monotonic(), _cpu_ticks(pid)
    time.sleep(interval)
    t1, c1 = time.monotonic(), _cpu_ticks(pid)
    st = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            st[k] = v.strip()
    try:
        fds = len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        fds = -1
    return {
        "pid": pid,
        "cpu_percent": round(100.0 * (c1 - c0) / _CLK_TCK / (t1 - t0), 1),
        "rss_kb": int(st.get("VmRSS", "0 kB").split()[0]),
        "threads": int(st.get("Threads", "0")),
        "fds": fds,
    }


def descendants(pid: int) -> list[int]:
    """All descendant PIDs of `pid` (children first-level first)."""
    children: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                s = f.read()
            ppid = int(s[s.rindex(")") + 2:].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(d))
    out, todo = [], [pid]
    while todo:
        p = todo.pop(0)
        for c in children.get(p, []):
            out.append(c)
            todo.append(c)
    return out


# --------------------------------------------------------------------------------------
# Network namespaces

NETNS_SETUP = ("set -e; ip link set lo up; ip link add v0 type veth peer name v1; "
               f"ip addr add {NETNS_HOST}/32 dev v0; ip link set v1 up; ip link set v0 up; ")


def netns_command(argv: list[str]) -> list[str]:
    """argv that runs `argv` in a new private network namespace with lo up and a veth
    pair whose end v0 carries 127.0.0.2/32 (TESTING.md). The command is exec'ed, so
    the PID of the returned command line is the PID of `argv`."""
    return ["unshare", "-n", "bash", "-c", NETNS_SETUP + 'exec "$@"', "netns"] + [str(a) for a in argv]


def netns_available() -> tuple[bool, str]:
    try:
        r = subprocess.run(netns_command(["true"]), capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as e:
        return False, repr(e)
    return r.returncode == 0, r.stderr.strip()


def run_bounded(argv: list[str], timeout: float, log_path: Path, cwd: Path | None = None,
                env: dict | None = None) -> tuple[int | None, str]:
    """Runs argv with its output in log_path; SIGTERM (then SIGKILL) by PID at `timeout`.
    Returns (exit status or None if it had to be stopped, stdout+stderr text)."""
    p = Proc(Path(argv[0]).name, argv, log_path, cwd=cwd, env=env).start()
    try:
        p.proc.wait(timeout=timeout)
        status = p.proc.returncode
    except subprocess.TimeoutExpired:
        status = None
    p.stop(grace=10)
    return status, p.log_text()
