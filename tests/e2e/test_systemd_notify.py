"""Type=notify and the watchdog, with systemd's socket protocol played by the test.

The test binds the unix datagram socket systemd would pass in $NOTIFY_SOCKET, starts the
built server with it (and $WATCHDOG_USEC) and reads what the server says:

  * test_ready_watchdog_reload_stopping: READY=1 comes first, and when it does every
    listener already answers (GET / on the WebRTC listener, the metrics listener); then
    WATCHDOG=1 about every WATCHDOG_USEC/2; SIGHUP gives RELOADING=1 (with
    MONOTONIC_USEC) and READY=1 again; SIGTERM gives STOPPING=1 and a clean exit.
  * test_abstract_socket_and_watchdog_for_another_pid: an abstract "@name" socket works,
    and a WATCHDOG_PID naming another process means no pings (systemd's rule).

What a stuck worker does to the pings is tested in tests/core/ServiceWatchdog_test.cpp.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import statistics
import sys
import time
from pathlib import Path

import pytest
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sluice_e2e as e2e  # noqa: E402

WATCHDOG_USEC = 1_000_000  # pings expected every 0.5 s


class NotifySocket:
    """systemd's side: a bound datagram socket; messages are (arrival time, text)."""

    def __init__(self, name: str):
        self.name = name
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind("\0" + name[1:] if name.startswith("@") else name)

    def receive(self, timeout: float) -> tuple[float, str] | None:
        self.sock.settimeout(max(timeout, 0.001))
        try:
            data = self.sock.recv(4096)
        except (socket.timeout, BlockingIOError):
            return None
        return time.monotonic(), data.decode()

    def until(self, predicate, timeout: float, what: str, srv) -> list[tuple[float, str]]:
        """Messages received until one satisfies `predicate` (included)."""
        got = []
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            m = self.receive(end - time.monotonic())
            if m is None:
                continue
            got.append(m)
            if predicate(m[1]):
                return got
        raise AssertionError(f"{what}: not within {timeout} s; received {[t for _, t in got]}"
                             f"\n--- log:\n{e2e.tail(srv.log_path, 20000)}")

    def close(self):
        self.sock.close()
        if not self.name.startswith("@"):
            Path(self.name).unlink(missing_ok=True)


def start(tmp_path, env_extra: dict, metrics: bool = False):
    srv = e2e.Server(tmp_path, {"demo": {"source": "demo"}}, log_level="info")
    if metrics:
        srv.metrics_port = e2e.free_port()
        srv.extra.update({"metrics": True, "metricsAddress": f"{e2e.LOOPBACK}:{srv.metrics_port}"})
    srv.write_config()
    env = {k: v for k, v in os.environ.items() if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID")}
    env.update(env_extra)
    srv.proc = e2e.Proc("sluice", [str(e2e.SLUICE_BIN), str(srv.config_path)], srv.log_path,
                        cwd=tmp_path, env=env).start()
    return srv


def stop_clean(srv, timeout: float = 10.0) -> int | None:
    try:
        srv.proc.proc.wait(timeout=timeout)
    except Exception:
        pass
    return srv.proc.stop(grace=1)


def test_ready_watchdog_reload_stopping(tmp_path, attach_log):
    ns = NotifySocket(str(tmp_path / "notify.sock"))
    srv = start(tmp_path, {"NOTIFY_SOCKET": ns.name, "WATCHDOG_USEC": str(WATCHDOG_USEC)}, metrics=True)
    attach_log("sluice log", srv.log_path)
    try:
        first = ns.until(lambda t: True, 20, "a first notification", srv)
        assert first[0][1].split("\n")[0] == "READY=1", f"first message {first[0][1]!r}, want READY=1 first"
        assert re.search(r"^STATUS=serving 1 path\(s\)$", first[0][1], re.M), first[0][1]
        # READY means every listener is open: no retry needed now.
        r = requests.get(srv.url("/"), timeout=2)
        assert r.status_code == 200, r.status_code
        r = requests.get(f"http://{e2e.LOOPBACK}:{srv.metrics_port}/metrics", timeout=2)
        assert r.status_code == 200 and "paths" in r.text, r.status_code

        # Watchdog pings, about every WATCHDOG_USEC / 2.
        pings = []
        end = time.monotonic() + 3.2
        while time.monotonic() < end:
            m = ns.receive(end - time.monotonic())
            if m:
                assert m[1] == "WATCHDOG=1", f"unexpected message {m[1]!r}"
                pings.append(m[0])
        assert len(pings) >= 4, f"{len(pings)} WATCHDOG=1 in 3.2 s with WATCHDOG_USEC={WATCHDOG_USEC}"
        gaps = [b - a for a, b in zip(pings, pings[1:])]
        assert 0.3 <= statistics.median(gaps) <= 0.8, f"ping intervals {gaps}"
        assert max(gaps) < WATCHDOG_USEC / 1e6, f"a gap reached the watchdog timeout: {gaps}"

        # Reload: RELOADING=1 with the monotonic clock, then READY=1.
        os.kill(srv.pid, signal.SIGHUP)
        got = [t for _, t in ns.until(lambda t: t.startswith("READY=1"), 10, "READY=1 after SIGHUP", srv)]
        got = [t for t in got if t != "WATCHDOG=1"]
        assert len(got) == 2 and re.fullmatch(r"RELOADING=1\nMONOTONIC_USEC=\d+", got[0]), got
        usec = int(got[0].split("=")[-1])
        assert abs(usec / 1e6 - time.clock_gettime(time.CLOCK_MONOTONIC)) < 30, usec
        assert srv.wait_log(r"configuration reloaded \(SIGHUP\)", 5), e2e.tail(srv.log_path)

        # Stop: STOPPING=1, clean exit.
        os.kill(srv.pid, signal.SIGTERM)
        ns.until(lambda t: t == "STOPPING=1", 10, "STOPPING=1 after SIGTERM", srv)
        status = stop_clean(srv)
        assert status == 0 and not srv.proc.killed, f"exit {e2e.describe_status(status)}"
    finally:
        srv.proc.stop(grace=2)
        ns.close()


def test_abstract_socket_and_watchdog_for_another_pid(tmp_path, attach_log):
    ns = NotifySocket(f"@sluice-e2e-notify-{os.getpid()}")
    srv = start(tmp_path, {"NOTIFY_SOCKET": ns.name, "WATCHDOG_USEC": "400000", "WATCHDOG_PID": "1"})
    attach_log("sluice log", srv.log_path)
    try:
        first = ns.until(lambda t: True, 20, "READY=1 over an abstract socket", srv)
        assert first[0][1].startswith("READY=1\n"), first
        extra = []
        end = time.monotonic() + 1.5
        while time.monotonic() < end:
            m = ns.receive(end - time.monotonic())
            if m:
                extra.append(m[1])
        assert extra == [], f"WATCHDOG_PID names another process, yet the server sent {extra}"
        os.kill(srv.pid, signal.SIGTERM)
        ns.until(lambda t: t == "STOPPING=1", 10, "STOPPING=1", srv)
        assert stop_clean(srv) == 0
    finally:
        srv.proc.stop(grace=2)
        ns.close()
