"""The hardened unit does not break the server: the server, traced while it does
everything an operator and viewers make it do, stays within the sandbox the unit sets.

There is no systemd running here to start the unit for real, so the test checks the
server's behaviour against the unit's settings instead:

  * test_server_stays_within_the_units_sandbox: the built server runs under `strace -f`
    with a notify socket and a watchdog (as systemd starts it), serves two WHEP viewers
    (sluice-load), answers the API, /metrics, a 1 s pprof CPU profile and the thread dump,
    reloads on SIGHUP and stops on SIGTERM. Then, from the trace:
      - every system call is in the unit's SystemCallFilter (allow list minus deny list,
        expanded by `systemd-analyze syscall-filter`);
      - every socket family is in RestrictAddressFamilies;
      - no mapping is made writable and executable (MemoryDenyWriteExecute);
      - files are written only where the unit lets it write (ProtectSystem=strict:
        /tmp is private and writable, /var/log/sluice is its LogsDirectory);
      - /proc is read only below the process' own PID (ProcSubset=pid).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sluice_e2e as e2e  # noqa: E402

UNIT = e2e.SOURCE_DIR / "deploy" / "systemd" / "sluice.service"
LOAD_BIN = Path(os.environ.get("SLUICE_LOAD") or e2e.BUILD_DIR / "bench" / "sluice-load")
LO = e2e.LOOPBACK
WRITABLE = ("/tmp/", "/var/tmp/", "/var/log/sluice/", "/dev/null", "/dev/shm/")


def unit_values(key: str) -> list[str]:
    return [ln.split("=", 1)[1].strip() for ln in UNIT.read_text().splitlines() if ln.startswith(key + "=")]


def expand_syscalls(items: list[str], cache: dict) -> set[str]:
    """System call names for names and @groups (nested groups included)."""
    out: set[str] = set()
    for item in items:
        if not item.startswith("@"):
            out.add(item)
            continue
        if item not in cache:
            p = subprocess.run(["systemd-analyze", "syscall-filter", item], capture_output=True, text=True, timeout=30)
            assert p.returncode == 0, p.stderr
            body = [ln.strip() for ln in p.stdout.splitlines()[1:] if ln.strip() and not ln.strip().startswith("#")]
            cache[item] = expand_syscalls(body, cache)
        out |= cache[item]
    return out


def allowed_syscalls() -> set[str]:
    lines = unit_values("SystemCallFilter")
    assert lines and not lines[0].startswith("~"), f"the unit's first SystemCallFilter must be an allow list: {lines}"
    cache: dict = {}
    allowed: set[str] = set()
    for ln in lines:
        if ln.startswith("~"):
            allowed -= expand_syscalls(ln[1:].split(), cache)
        else:
            allowed |= expand_syscalls(ln.split(), cache)
    return allowed


@pytest.mark.skipif(not LOAD_BIN.exists(), reason=f"{LOAD_BIN} is not built (target sluice-load)")
def test_server_stays_within_the_units_sandbox(tmp_path, attach_log):
    for tool in ("strace", "systemd-analyze"):
        if not shutil.which(tool):
            pytest.fail(f"{tool} is missing: scripts/install-deps.sh test installs it")
    api, metrics, pprof = e2e.free_ports(3)
    srv = e2e.Server(tmp_path, {"demo": {"source": "demo"}}, log_level="info", extra={
        "api": True, "apiAddress": f"{LO}:{api}", "metrics": True, "metricsAddress": f"{LO}:{metrics}",
        "pprof": True, "pprofAddress": f"{LO}:{pprof}"})
    srv.write_config()
    notify_path = tmp_path / "notify.sock"
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(notify_path))
    notify.settimeout(20)
    trace = tmp_path / "strace.txt"
    env = dict(os.environ, NOTIFY_SOCKET=str(notify_path), WATCHDOG_USEC="2000000")
    tracer = e2e.Proc("strace", ["strace", "-f", "-qq", "-o", trace, e2e.SLUICE_BIN, srv.config_path],
                      srv.log_path, cwd=tmp_path, env=env).start()
    attach_log("sluice log", srv.log_path)
    try:
        msg = notify.recv(4096).decode()
        assert msg.startswith("READY=1"), msg
        kids = e2e.descendants(tracer.pid)
        assert len(kids) == 1, f"strace should have one child, the server: {kids}"
        server_pid = kids[0]

        viewer = e2e.Proc("viewer", [LOAD_BIN, "--url", srv.url("/demo/whep"), "--sessions", "2", "--seconds", "4",
                                     "--json", tmp_path / "viewer.json"], tmp_path / "viewer.log").start()
        attach_log("viewer log", viewer.log_path)
        try:
            viewer.proc.wait(timeout=40)
        finally:
            viewer.stop(grace=3)
        assert viewer.proc.returncode == 0, e2e.tail(viewer.log_path)
        for url in (f"http://{LO}:{api}/v3/paths/list", f"http://{LO}:{metrics}/metrics",
                    f"http://{LO}:{pprof}/debug/pprof/profile?seconds=1", f"http://{LO}:{pprof}/debug/pprof/threads"):
            r = requests.get(url, timeout=20)
            assert r.status_code == 200, f"{url}: HTTP {r.status_code} {r.text[:300]}"
        os.kill(server_pid, signal.SIGHUP)
        for _ in range(20):
            if notify.recv(4096).decode().startswith("READY=1"):
                break
        for _ in e2e.deadline_loop(5, 0.1):
            if "configuration reloaded (SIGHUP)" in tracer.log_text():
                break
        assert "configuration reloaded (SIGHUP)" in tracer.log_text(), e2e.tail(srv.log_path)
        os.kill(server_pid, signal.SIGTERM)
        tracer.proc.wait(timeout=20)
    finally:
        tracer.stop(grace=3)
        notify.close()
    assert "shutdown complete" in tracer.log_text(), e2e.tail(srv.log_path)

    text = trace.read_text()
    used = set(re.findall(r"^\d+\s+([a-z0-9_]+)\(", text, re.M))
    assert {"sendmmsg", "epoll_wait", "accept", "sendto"} <= used, sorted(used)

    outside = sorted(used - allowed_syscalls())
    assert not outside, f"system calls outside the unit's SystemCallFilter: {outside}"

    families = set(re.findall(r"^\d+\s+socket\((AF_[A-Z0-9]+)", text, re.M))
    allowed_families = set(" ".join(unit_values("RestrictAddressFamilies")).split())
    assert families and families <= allowed_families, (families, allowed_families)

    wx = [ln for ln in text.splitlines()
          if re.search(r"\b(mmap|mprotect|pkey_mprotect)\(", ln) and "PROT_EXEC" in ln
          and ("PROT_WRITE" in ln or ln.split()[1].startswith("mprotect"))]
    assert not wx, "writable+executable memory (MemoryDenyWriteExecute):\n" + "\n".join(wx[:10])

    problems = []
    for m in re.finditer(r'^\d+\s+open(?:at)?\((?:AT_FDCWD, )?"([^"]+)", ([A-Z_|]+)', text, re.M):
        path, flags = m.group(1), m.group(2)
        absolute = path if path.startswith("/") else str(tmp_path / path)
        if re.search(r"O_WRONLY|O_RDWR|O_CREAT", flags) and not absolute.startswith(WRITABLE):
            problems.append(f"writes {path} ({flags}): read-only under ProtectSystem=strict")
        if path.startswith("/proc/") and not re.match(r"/proc/(self|thread-self|\d+)(/|$)", path):
            problems.append(f"reads {path}: hidden by ProcSubset=pid")
    assert not problems, "\n".join(problems)
