"""Pieces of bench/run (Sluice's benchmark harness), importable on their own.

Process handling (Proc, free ports, deadlines, log tails, the YAML emitter) is reused from
tests/e2e/sluice_e2e.py. What lives here:

  * SCENARIOS: the fixed workload names of BENCHMARKS.md and their defaults
  * server_config(): the MediaMTX-style YAML (MediaMTX keys only) for N pulled RTSP paths
  * ProcSampler: per-second /proc samples (CPU, RSS, threads, fds) of a process tree
  * wait_paths_ready(): WHEP POST probes until no path answers 404
  * merge_load(): one figure set from one or more sluice-load JSON documents
  * limit_for_machine(): sluice-limit --json, cached per machine in the output dir
  * median_doc(), markdown_row(), plot(): the reports
  * soak_figures(): RSS drift after warm-up, fd and thread counts over a long run
  * sanitizer_findings(): ASan/LSan/UBSan/TSan reports in a server log

Standard library only (Debian's python3), plus gnuplot for the plot.
"""

from __future__ import annotations

import json
import math
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE_DIR = HERE.parent.parent
E2E_DIR = SOURCE_DIR / "tests" / "e2e"

import sys  # noqa: E402

if str(E2E_DIR) not in sys.path:
    sys.path.insert(0, str(E2E_DIR))
import sluice_e2e as e2e  # noqa: E402

LOOPBACK = e2e.LOOPBACK
CLK_TCK = os.sysconf("SC_CLK_TCK")

# --------------------------------------------------------------------------------------
# Scenarios (names are fixed so results compare over time: BENCHMARKS.md)

SCENARIOS = {
    "seed64": {"streams": 64, "viewers_per_stream": 1,
               "what": "64 camera streams, 1 WebRTC viewer each"},
    "seed64x4": {"streams": 64, "viewers_per_stream": 4,
                 "what": "64 camera streams, 4 WebRTC viewers each (256 sessions)"},
    "fan": {"streams": 1, "viewers_per_stream": 200,
            "what": "1 camera stream, N viewers (default 200)"},
    # The same fan-out to RTSP readers (interleaved TCP) of the server's own RTSP server.
    "rtsp-fan": {"streams": 1, "viewers_per_stream": 200, "readers": "rtsp",
                 "what": "1 camera stream, N RTSP/TCP readers (default 200)"},
    # The same over RTSP/UDP: the server sends to each reader's RTP port from its one RTP socket.
    "rtsp-fan-udp": {"streams": 1, "viewers_per_stream": 200, "readers": "rtsp", "rtsp_transport": "udp",
                     "what": "1 camera stream, N RTSP/UDP readers (default 200)"},
    "churn": {"streams": 64, "viewers_per_stream": 1, "churn_rate": 20.0, "churn_lifetime": 3.0,
              "what": "seed64 plus viewers joining and leaving (~20/s)"},
    # 35 viewers at a time, each leaving after 60 s and replaced at once: over 30 min
    # 35 x 1800 / 60 + 35 = 1085 WHEP sessions. The report is about what stays behind.
    "soak": {"streams": 64, "viewers_per_stream": 0, "churn_rate": 0.58, "churn_lifetime": 60.0,
             "seconds": 1800.0,
             "what": "64 camera streams, ~1,000 viewers joining and leaving over 30 min: RSS drift, fds, threads"},
}

# The figures of a run (top level of SCENARIO.json); the median of each is reported
# when a scenario is repeated. Order = order in the Markdown row where shown.
FIGURES = [
    "sessions", "sessions_connected", "egress_mbps", "egress_pps", "packets",
    "server_cpu_pct", "server_cpu_pct_ingest", "cpu_us_per_packet",
    "limit_us_per_packet", "limit_ratio",
    "server_rss_mb_start", "server_rss_mb_ingest_peak", "server_rss_mb_peak", "server_rss_mb_end", "server_rss_kb_per_session",
    "server_threads_max", "viewer_loss_pct", "nacks_sent", "retransmissions",
    "ttff_ms_p50", "ttff_ms_p95", "latency_ms_p50", "latency_ms_p99",
    "load_cpu_pct", "camsim_cpu_pct", "seconds_measured",
]

# The top-level fields the load client's JSON must carry (bench/README.md).
LOAD_FIELDS = ["sessions", "sessions_connected", "packets", "bytes", "egress_mbps", "egress_pps",
               "loss_pct", "nacks_sent", "retransmissions", "ttff_ms_p50", "ttff_ms_p95",
               "latency_ms_p50", "latency_ms_p99"]


class BenchError(RuntimeError):
    pass


# --------------------------------------------------------------------------------------
# Machine and source


def machine() -> dict:
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        load1 = float(Path("/proc/loadavg").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        load1 = None
    return {"cpu_model": model, "nproc": os.cpu_count() or 0, "kernel": platform.release(),
            "hostname": platform.node(), "loadavg_1m_at_start": load1}


def git_commit(source: Path = SOURCE_DIR) -> str:
    try:
        rev = subprocess.run(["git", "-C", str(source), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(source), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return rev + ("-dirty" if dirty else "") if rev else "unknown"
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"


# --------------------------------------------------------------------------------------
# Server configuration: MediaMTX keys only, so `mediamtx {config}` runs the same file


def path_names(streams: int, fmt: str = "cam{k}") -> list[str]:
    return [fmt.format(k=k) for k in range(1, streams + 1)]


def server_config(camera_base: str, names: list[str], http_port: int, udp_port: int,
                  log_level: str = "info", rtsp_port: int | None = None, rtp_port: int | None = None,
                  camera_transport: str = "tcp") -> dict:
    """camera_base: rtsp://127.0.0.1:PORT/ (the camera simulator's READY URL), pulled over
    camera_transport (tcp or udp). rtsp_port:
    also serve RTSP readers there, over TCP only (no fixed UDP ports are taken), or with
    rtp_port over UDP only, from rtp_port and rtp_port + 1."""
    base = camera_base if camera_base.endswith("/") else camera_base + "/"
    rtsp = {"rtsp": True, "rtspAddress": f"{LOOPBACK}:{rtsp_port}", "rtspTransports": ["tcp"]} if rtsp_port else {}
    if rtsp_port and rtp_port:
        rtsp |= {"rtspTransports": ["udp"], "rtpAddress": f"{LOOPBACK}:{rtp_port}",
                 "rtcpAddress": f"{LOOPBACK}:{rtp_port + 1}"}
    return {
        "logLevel": log_level,
        # Only WebRTC: the other servers of MediaMTX would take fixed ports (8554, 1935,
        # 8888, 8890; MoQ 8892/8893 on every interface) and CPU; Sluice accepts these keys
        # with a warning.
        "rtsp": False,
        "rtmp": False,
        "hls": False,
        "srt": False,
        "moq": False,
        "webrtc": True,
        "webrtcAddress": f"{LOOPBACK}:{http_port}",
        "webrtcLocalUDPAddress": f"{LOOPBACK}:{udp_port}",
        "webrtcLocalTCPAddress": "",
        "webrtcIPsFromInterfaces": False,
        "webrtcAdditionalHosts": [LOOPBACK],
        "webrtcICEServers2": [],
        "paths": {n: {"source": base + n, "rtspTransport": camera_transport} for n in names},
    } | rtsp


def write_config(cfg: dict, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("# generated by bench/run\n" + e2e.to_yaml(cfg) + "\n")
    return path


def whep_url(http_port: int, name: str) -> str:
    return f"http://{LOOPBACK}:{http_port}/{name}/whep"


def rtsp_url(rtsp_port: int, name: str) -> str:
    """A path's RTSP URL, the same form on Sluice and MediaMTX."""
    return f"rtsp://{LOOPBACK}:{rtsp_port}/{name}"


# --------------------------------------------------------------------------------------
# /proc sampling of a process tree


def _stat_fields(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            s = f.read()
    except OSError:
        return None
    return s[s.rindex(")") + 2:].split()  # fields[0] is the state (field 3 of stat)


def _status(pid: int) -> dict:
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                out[k] = v.strip()
    except OSError:
        pass
    return out


def _fd_count(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


def tree_usage(pid: int) -> dict | None:
    """CPU ticks (utime+stime of the process and of its live descendants, plus the
    cutime+cstime of reaped children), RSS kB, threads and open fds summed over the tree."""
    f = _stat_fields(pid)
    if f is None:
        return None
    ticks = int(f[11]) + int(f[12]) + int(f[13]) + int(f[14])
    st = _status(pid)
    rss = int(st.get("VmRSS", "0 kB").split()[0]) if st.get("VmRSS") else 0
    threads = int(st.get("Threads", "0") or 0)
    fds = _fd_count(pid)
    kids = []
    for c in e2e.descendants(pid):
        cf = _stat_fields(c)
        if cf is None:
            continue
        kids.append((c, cf[19]))  # (pid, starttime) identifies the process
        ticks += int(cf[11]) + int(cf[12])
        cst = _status(c)
        if cst.get("VmRSS"):
            rss += int(cst["VmRSS"].split()[0])
        threads += int(cst.get("Threads", "0") or 0)
        fds += _fd_count(c)
    return {"ticks": ticks, "rss_kb": rss, "threads": threads, "fds": fds, "children": kids}


class ProcSampler:
    """Samples named process trees every `interval` s in a thread, from start() until
    stop(). Each sample: t (s since start), phase, and per process cpu_pct over the last
    interval (of one core), rss_mb, threads, fds. Also keeps every descendant PID seen, so
    that leftovers of a wrapper command can be stopped by PID."""

    def __init__(self, interval: float = 1.0):
        self.interval = interval
        self.pids: dict[str, int] = {}
        self.samples: list[dict] = []
        self.phase = "startup"
        self.phase_times: dict[str, float] = {}  # phase -> seconds since start() when it began
        self.children_seen: dict[str, set] = {}
        self._last: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.t0 = time.monotonic()

    def watch(self, name: str, pid: int):
        with self._lock:
            self.pids[name] = pid
            u = tree_usage(pid)
            if u:
                self._last[name] = (time.monotonic(), u["ticks"])

    def start(self):
        self.t0 = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="sampler", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)

    def set_phase(self, phase: str):
        with self._lock:
            self.phase = phase
            self.phase_times[phase] = round(time.monotonic() - self.t0, 2)

    def ticks(self, name: str) -> int | None:
        u = tree_usage(self.pids[name])
        return u["ticks"] if u else None

    def sample_now(self) -> dict:
        now = time.monotonic()
        with self._lock:
            s = {"t": round(now - self.t0, 2), "phase": self.phase}
            for name, pid in self.pids.items():
                u = tree_usage(pid)
                if u is None:
                    continue
                self.children_seen.setdefault(name, set()).update(u["children"])
                last = self._last.get(name)
                cpu = None
                if last and now > last[0]:
                    cpu = round(100.0 * (u["ticks"] - last[1]) / CLK_TCK / (now - last[0]), 1)
                self._last[name] = (now, u["ticks"])
                s[name] = {"cpu_pct": cpu, "rss_mb": round(u["rss_kb"] / 1024.0, 1),
                           "threads": u["threads"], "fds": u["fds"]}
            self.samples.append(s)
        return s

    def _run(self):
        while not self._stop.wait(self.interval):
            try:
                self.sample_now()
            except Exception:  # a vanished process must not end sampling
                pass


def stop_leftovers(seen: set, grace: float = 3.0):
    """SIGTERM (then SIGKILL) the processes in `seen` ((pid, starttime) pairs) that are
    still the same processes: a wrapper's children that outlived it."""
    alive = []
    for pid, start in seen:
        f = _stat_fields(pid)
        if f is not None and f[19] == start and f[0] != "Z":
            alive.append((pid, start))
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    end = time.monotonic() + grace
    while alive and time.monotonic() < end:
        time.sleep(0.1)
        alive = [(p, s) for p, s in alive if (f := _stat_fields(p)) is not None and f[19] == s and f[0] != "Z"]
    for pid, _ in alive:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


# --------------------------------------------------------------------------------------
# Readiness: WHEP POST answers 404 while a path has no stream (Sluice and MediaMTX alike)

PROBE_OFFER = b"v=0\r\n"


def whep_probe(url: str, timeout: float = 3.0) -> int | None:
    """Status of a WHEP POST with a bogus offer (None: no HTTP answer). A 201 (a server
    that accepted it anyway) is answered with a DELETE of the session."""
    req = urllib.request.Request(url, data=PROBE_OFFER, method="POST",
                                 headers={"Content-Type": "application/sdp"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            status, location = r.status, r.headers.get("Location")
    except urllib.error.HTTPError as e:
        return e.code
    except (urllib.error.URLError, OSError):
        return None
    if status == 201 and location:
        try:
            loc = urllib.parse.urljoin(url, location)
            urllib.request.urlopen(urllib.request.Request(loc, method="DELETE"), timeout=timeout).close()
        except Exception:
            pass
    return status


def wait_paths_ready(urls: dict[str, str], timeout: float, alive=lambda: True,
                     interval: float = 0.5) -> float:
    """Until no WHEP URL answers 404 (or fails to answer). Returns seconds taken;
    raises BenchError naming the paths still not ready."""
    t0 = time.monotonic()
    pending = dict(urls)
    last: dict[str, int | None] = {}
    for _ in e2e.deadline_loop(timeout, interval):
        if not alive():
            raise BenchError("the server exited while its paths were starting")
        for name, url in list(pending.items()):
            st = whep_probe(url)
            last[name] = st
            if st is not None and st != 404 and st < 500:
                del pending[name]
        if not pending:
            return time.monotonic() - t0
    shown = ", ".join(f"{n} ({last.get(n)})" for n in list(pending)[:10])
    raise BenchError(f"{len(pending)} of {len(urls)} paths not ready after {timeout:.0f} s "
                     f"(WHEP POST status): {shown}{' ...' if len(pending) > 10 else ''}")


# --------------------------------------------------------------------------------------
# Load client results


def _num(v):
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) else None


def percentile(values: list[float], p: float) -> float | None:
    vals = sorted(v for v in values if _num(v) is not None)
    if not vals:
        return None
    k = (len(vals) - 1) * p / 100.0
    lo, hi = math.floor(k), math.ceil(k)
    return vals[lo] + (vals[hi] - vals[lo]) * (k - lo)


def merge_load(docs: list[dict]) -> dict:
    """One set of load figures from the JSON documents of one or more sluice-load
    processes that ran side by side (churn runs a steady and a churning one)."""
    if len(docs) == 1:
        d = docs[0]
        return {k: d.get(k) for k in LOAD_FIELDS} | {"seconds": d.get("seconds")}
    out: dict = {}
    for k in ("sessions", "sessions_connected", "packets", "bytes", "egress_mbps", "egress_pps",
              "nacks_sent", "retransmissions"):
        vals = [_num(d.get(k)) for d in docs]
        out[k] = sum(v for v in vals if v is not None) if any(v is not None for v in vals) else None
    # loss: lost / expected, each client's expected = received / (1 - loss)
    lost = expected = 0.0
    for d in docs:
        pk, lp = _num(d.get("packets")), _num(d.get("loss_pct"))
        if pk is None or lp is None or lp >= 100:
            continue
        e = pk / (1 - lp / 100.0)
        expected += e
        lost += e - pk
    out["loss_pct"] = round(100.0 * lost / expected, 4) if expected else None
    # percentiles: exact from per-session values when every client gives them
    per = [d.get("per_session") for d in docs]
    for field, src, p in (("ttff_ms_p50", "ttff_ms", 50), ("ttff_ms_p95", "ttff_ms", 95)):
        if all(isinstance(x, list) for x in per):
            out[field] = percentile([s.get(src) for x in per for s in x if isinstance(s, dict)], p)
        else:
            out[field] = None
    for field in ("ttff_ms_p50", "ttff_ms_p95", "latency_ms_p50", "latency_ms_p99"):
        if out.get(field) is not None:
            continue
        vals = [(_num(d.get(field)), _num(d.get("sessions_connected")) or 1) for d in docs]
        vals = [(v, w) for v, w in vals if v is not None]
        if not vals:
            out[field] = None
        elif field.endswith("p50"):
            out[field] = sum(v * w for v, w in vals) / sum(w for _, w in vals)  # weighted mean
        else:
            out[field] = max(v for v, _ in vals)  # conservative: the worse tail
    secs = [_num(d.get("seconds")) for d in docs]
    out["seconds"] = max((s for s in secs if s is not None), default=None)
    return out


def read_load_json(path: Path) -> dict:
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise BenchError(f"load client wrote no readable JSON at {path}: {e}")
    if not isinstance(doc, dict):
        raise BenchError(f"load client JSON {path} is not an object")
    missing = [k for k in LOAD_FIELDS if k not in doc]
    if missing:
        raise BenchError(f"load client JSON {path} lacks fields {missing} (bench/README.md has the contract)")
    return doc


# --------------------------------------------------------------------------------------
# Physical limit (sluice-limit), cached per machine in the output directory


def limit_for_machine(limit_bin: Path, out_dir: Path, log, timeout: float = 240) -> dict:
    cache = out_dir / "limit.json"
    here = machine()
    if cache.exists():
        try:
            doc = json.loads(cache.read_text())
            m = doc.get("machine", {})
            if (m.get("cpu_model") == here["cpu_model"] and m.get("nproc") == here["nproc"]
                    and m.get("kernel") == here["kernel"] and _num(doc.get("limit_us_per_packet"))):
                log(f"limit: cached {cache} ({doc['limit_us_per_packet']:.3f} us/packet)")
                return doc
        except (OSError, ValueError):
            pass
    if not limit_bin.exists():
        raise BenchError(f"sluice-limit not found at {limit_bin}: build it "
                         f"(cmake --build BUILD --target sluice-limit) or pass --limit / --limit-json")
    log(f"limit: running {limit_bin} (about 20 s, nothing else running)")
    tmp = out_dir / "limit.json.tmp"
    status, text = e2e.run_bounded([str(limit_bin), "--json", str(tmp)], timeout, out_dir / "limit.log")
    if status != 0 or not tmp.exists():
        raise BenchError(f"sluice-limit failed ({e2e.describe_status(status)}):\n{e2e.tail(out_dir / 'limit.log', 4000)}")
    doc = json.loads(tmp.read_text())
    os.replace(tmp, cache)
    if not _num(doc.get("limit_us_per_packet")):
        raise BenchError(f"sluice-limit gave no limit: see {out_dir / 'limit.log'}")
    log(f"limit: {doc['limit_us_per_packet']:.3f} us/packet "
        f"({doc['best_srtp']['label']} + {doc['best_send']['label']})")
    return doc


# --------------------------------------------------------------------------------------
# Reports


def median_doc(runs: list[dict]) -> dict:
    """Median of each figure over the runs (None only when no run has a number)."""
    out = {}
    for k in FIGURES:
        vals = [_num(r.get(k)) for r in runs]
        vals = [v for v in vals if v is not None]
        out[k] = statistics.median(vals) if vals else None
    return out


def _fmt(v, digits=1):
    if v is None:
        return "–"
    if isinstance(v, int) or digits == 0:
        return f"{round(v)}"
    return f"{v:.{digits}f}"


MD_HEADER = ("| scenario | server | sessions (conn.) | egress Mbit/s | egress pkt/s | server CPU % "
             "| µs/pkt | limit µs/pkt | × limit | RSS MB start/peak/end | threads | loss % "
             "| NACKs/rtx | TTFF ms p50/p95 | latency ms p50/p99 | runs | commit | date |")
MD_SEP = "|" + "---|" * 18


def markdown_row(scenario: str, server: str, doc: dict, runs: int, commit: str, date: str) -> str:
    d = doc
    return (f"| {scenario} | {server} | {_fmt(d['sessions'], 0)} ({_fmt(d['sessions_connected'], 0)}) "
            f"| {_fmt(d['egress_mbps'])} | {_fmt(d['egress_pps'], 0)} | {_fmt(d['server_cpu_pct'])} "
            f"| {_fmt(d['cpu_us_per_packet'], 2)} | {_fmt(d['limit_us_per_packet'], 2)} "
            f"| {_fmt(d['limit_ratio'], 1)} "
            f"| {_fmt(d['server_rss_mb_start'])}/{_fmt(d['server_rss_mb_peak'])}/{_fmt(d['server_rss_mb_end'])} "
            f"| {_fmt(d['server_threads_max'], 0)} | {_fmt(d['viewer_loss_pct'], 2)} "
            f"| {_fmt(d['nacks_sent'], 0)}/{_fmt(d['retransmissions'], 0)} "
            f"| {_fmt(d['ttff_ms_p50'], 0)}/{_fmt(d['ttff_ms_p95'], 0)} "
            f"| {_fmt(d['latency_ms_p50'], 1)}/{_fmt(d['latency_ms_p99'], 1)} "
            f"| {runs} | {commit[:12]} | {date} |")


def plot(samples_by_run: list[list[dict]], png: Path, title: str, log,
         marks: dict[str, float] | None = None) -> bool:
    """Server CPU % (left axis) and RSS MB (right axis) over time, one pair of lines per
    run, with gnuplot; `marks` (name -> t) are drawn as vertical lines (the load window).
    Returns False (and says why) when gnuplot is missing or fails."""
    gp = shutil.which("gnuplot")
    if not gp:
        log("plot: gnuplot not found (scripts/install-deps.sh test installs gnuplot-nox); no PNG")
        return False
    dat = png.with_suffix(".dat")
    with open(dat, "w") as f:
        for i, samples in enumerate(samples_by_run):
            f.write(f"# run {i + 1}: t_s cpu_pct rss_mb threads phase\n")
            for s in samples:
                srv = s.get("server")
                if not srv:
                    continue
                cpu = srv["cpu_pct"] if srv["cpu_pct"] is not None else "NaN"
                f.write(f"{s['t']} {cpu} {srv['rss_mb']} {srv['threads']} {s['phase']}\n")
            f.write("\n\n")
    plots = []
    for i in range(len(samples_by_run)):
        suffix = f" (run {i + 1})" if len(samples_by_run) > 1 else ""
        plots.append(f"'{dat}' index {i} using 1:2 with lines lw 2 title 'CPU %{suffix}' axes x1y1")
        plots.append(f"'{dat}' index {i} using 1:3 with lines lw 2 dt 2 title 'RSS MB{suffix}' axes x1y2")
    script = "\n".join([
        "set terminal pngcairo size 1000,500 font 'sans,10'",
        f"set output '{png}'",
        f"set title {json.dumps(title)} noenhanced",
        "set xlabel 'time since server start (s)'",
        "set ylabel 'server CPU (% of one core)'",
        "set y2label 'server RSS (MB)'",
        "set ytics nomirror", "set y2tics", "set yrange [0:*]", "set y2range [0:*]",
        "set grid", "set key outside bottom center horizontal",
        *[f"set arrow from {t},graph 0 to {t},graph 1 nohead dt 3 lc rgb 'gray40'\n"
          f"set label {json.dumps(name)} at {t},graph 0.97 offset 0.5,0 tc rgb 'gray30'"
          for name, t in (marks or {}).items() if t is not None],
        "plot " + ", ".join(plots),
    ])
    try:
        r = subprocess.run([gp], input=script, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        log(f"plot: gnuplot failed: {e}")
        return False
    if r.returncode != 0 or not png.exists():
        # pngcairo is not in every build: retry with the libgd terminal
        script = script.replace("set terminal pngcairo size 1000,500 font 'sans,10'", "set terminal png size 1000,500")
        r = subprocess.run([gp], input=script, capture_output=True, text=True, timeout=60)
        if r.returncode != 0 or not png.exists():
            log(f"plot: gnuplot failed: {r.stderr.strip()[:500]}")
            return False
    return True


# --------------------------------------------------------------------------------------
# Soak: what a long run leaves behind


def soak_figures(samples: list[dict], load_start: float, load_end: float, warmup: float,
                 window: float = 60.0) -> dict:
    """From the server's per-second samples: RSS drift between the first `window` s after
    warm-up and the last `window` s of the load (medians of each window, in % of the
    first), the RSS slope over the same span (least squares, MB per hour), and the fd and
    thread counts: min/max while the load ran after warm-up, before the viewers came
    (ingest) and after they left."""
    srv = [(s["t"], s["phase"], s["server"]) for s in samples if s.get("server")]
    steady = [(t, x) for t, ph, x in srv if ph == "load" and load_start + warmup <= t <= load_end]
    before = [x for _, ph, x in srv if ph == "ingest"]
    after = [x for _, ph, x in srv if ph == "after"]
    out: dict = {"warmup_s": warmup, "window_s": window, "steady_samples": len(steady)}
    if len(steady) < 3:
        out["error"] = "too few samples after warm-up"
        return out
    t_first, t_last = steady[0][0], steady[-1][0]
    first = [x["rss_mb"] for t, x in steady if t <= t_first + window]
    last = [x["rss_mb"] for t, x in steady if t >= t_last - window]
    r0, r1 = statistics.median(first), statistics.median(last)
    out["rss_mb_after_warmup"] = round(r0, 2)
    out["rss_mb_end_of_load"] = round(r1, 2)
    out["rss_drift_pct"] = round(100.0 * (r1 - r0) / r0, 3) if r0 else None
    ts = [t for t, _ in steady]
    rs = [x["rss_mb"] for _, x in steady]
    tm, rm = statistics.fmean(ts), statistics.fmean(rs)
    den = sum((t - tm) ** 2 for t in ts)
    out["rss_slope_mb_per_hour"] = round(3600.0 * sum((t - tm) * (r - rm) for t, r in zip(ts, rs)) / den, 3) if den else None
    out["rss_mb_min_max"] = [min(rs), max(rs)]
    for key in ("fds", "threads"):
        vals = [x.get(key) for _, x in steady if x.get(key) is not None]
        out[f"{key}_min_max"] = [min(vals), max(vals)] if vals else None
        b = [x.get(key) for x in before if x.get(key) is not None]
        a = [x.get(key) for x in after if x.get(key) is not None]
        out[f"{key}_before_load"] = b[-1] if b else None
        out[f"{key}_after_load"] = a[-1] if a else None
    # one sample per tenth of the load window (time since the load started), for the report
    load = [(t, x) for t, ph, x in srv if ph == "load"]
    step = max(1.0, (load_end - load_start) / 10) if math.isfinite(load_end) else 60.0
    timeline, next_t = [], load_start
    for t, x in load:
        if t >= next_t:
            timeline.append({"t_load_s": round(t - load_start), "rss_mb": x["rss_mb"],
                             "fds": x.get("fds"), "threads": x.get("threads")})
            next_t = t + step
    if load and timeline[-1]["t_load_s"] != round(load[-1][0] - load_start):
        t, x = load[-1]
        timeline.append({"t_load_s": round(t - load_start), "rss_mb": x["rss_mb"],
                         "fds": x.get("fds"), "threads": x.get("threads")})
    out["timeline"] = timeline
    return out


SANITIZER_REPORT = re.compile(r"ERROR: (AddressSanitizer|LeakSanitizer)|WARNING: ThreadSanitizer|"
                              r"runtime error: |SUMMARY: (Address|Leak|Thread|UndefinedBehavior)Sanitizer")


def sanitizer_findings(log_path: Path, limit: int = 8000) -> str | None:
    """The sanitizer reports in a process log (from the first report on), or None."""
    try:
        text = log_path.read_text(errors="replace")
    except OSError:
        return None
    m = SANITIZER_REPORT.search(text)
    return text[m.start():m.start() + limit] if m else None
