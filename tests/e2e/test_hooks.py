"""Hooks, as MediaMTX runs them (runOnInit, runOnDemand, runOnReady/runOnOnline, runOnRead,
runOnConnect and their "un" counterparts), with real commands: ffmpeg publishing into Sluice's
RTSP server from runOnInit and runOnDemand, and shell one-liners that record the variables
they get. Readers are ffmpeg decoding over RTSP/TCP.

Every process is started here (or by Sluice, and checked gone after it stops); every wait is
bounded; loopback only.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

import sluice_e2e as e2e
from test_camsim import ffmpeg_decode


def publish_command(clip: Path) -> str:
    return (f"ffmpeg -hide_banner -nostdin -loglevel error -re -stream_loop -1 -f h264 -framerate 30 -i {clip}"
            " -c copy -f rtsp -rtsp_transport tcp rtsp://127.0.0.1:$RTSP_PORT/$MTX_PATH")


def record(out: Path, text: str, stay: bool = False) -> str:
    """A command appending `text` (with its $VARIABLES) as a line to `out`; `stay` keeps it running."""
    return f"sh -c 'echo \"{text}\" >> {out}{'; exec sleep 600' if stay else ''}'"


def wait_lines(path: Path, count: int, timeout: float) -> list[str]:
    for _ in e2e.deadline_loop(timeout, 0.1):
        lines = path.read_text().splitlines() if path.exists() else []
        if len(lines) >= count:
            return lines
    return path.read_text().splitlines() if path.exists() else []


def frames(progress: str) -> int:
    found = re.findall(r"^frame=(\d+)", progress, re.M)
    return int(found[-1]) if found else 0


def pids(log: str, hook: str) -> list[int]:
    return [int(p) for p in re.findall(rf"{hook} command started \(pid (\d+)\)", log)]


def gone(pid: int, timeout: float) -> bool:
    for _ in e2e.deadline_loop(timeout, 0.1):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        # A zombie child of Sluice is gone too: only its exit status is left.
        try:
            if Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z":
                return True
        except OSError:
            return True
    return False


def test_run_on_init_publishes_and_ready_read_connect_hooks_follow(media, server_factory, tmp_path):
    ready, read, conn = tmp_path / "ready.txt", tmp_path / "read.txt", tmp_path / "conn.txt"
    srv = server_factory({"cam": {
        "runOnInit": publish_command(media["baseline"]),
        "runOnInitRestart": True,
        "runOnReady": record(ready, "ready $MTX_PATH $MTX_SOURCE_TYPE $RTSP_PORT", stay=True),
        "runOnNotReady": record(ready, "notready $MTX_PATH"),
        "runOnRead": record(read, "read $MTX_PATH $MTX_READER_TYPE $MTX_READER_ID", stay=True),
        "runOnUnread": record(read, "unread $MTX_PATH $MTX_READER_TYPE $MTX_READER_ID"),
    }}, log_level="info", extra={
        "runOnConnect": record(conn, "connect $MTX_CONN_TYPE $MTX_CONN_ID"),
        "runOnDisconnect": record(conn, "disconnect $MTX_CONN_TYPE $MTX_CONN_ID"),
    })
    # runOnInit's ffmpeg publishes into the path: it becomes ready, and runOnReady says so.
    srv.wait_path("cam", ready=True, timeout=20)
    assert wait_lines(ready, 1, 5) == [f"ready cam rtspSession {srv.rtsp_port}"], srv.log_text()[-3000:]

    # A reader decodes the stream; runOnRead ran while it read, runOnUnread after.
    out = ffmpeg_decode(srv.rtsp_url("cam"), "tcp", 2)
    print(f"decoded {frames(out)} frames of the stream runOnInit publishes")
    assert frames(out) >= 45, out
    lines = wait_lines(read, 2, 5)
    assert len(lines) == 2, lines
    kind, path, reader_type, reader_id = lines[0].split()
    assert (kind, path, reader_type) == ("read", "cam", "rtspSession") and reader_id, lines
    assert lines[1] == f"unread cam rtspSession {reader_id}", lines
    read_pid = pids(srv.log_text(), r"\[path cam\] runOnRead")[0]
    assert gone(read_pid, 3), "runOnRead's command was not stopped when its reader left"

    # Connections: the publisher's and the reader's (connect, then disconnect for the reader).
    conn_lines = wait_lines(conn, 3, 5)
    connects = [line.split() for line in conn_lines if line.startswith("connect")]
    assert len(connects) >= 2 and all(c[1] == "rtspConn" for c in connects), conn_lines
    assert any(line.startswith("disconnect rtspConn") for line in conn_lines), conn_lines

    # The server stops: runOnInit's ffmpeg and runOnReady's command get SIGINT and end.
    init_pid = pids(srv.log_text(), r"\[path cam\] runOnInit")[0]
    ready_pid = pids(srv.log_text(), r"\[path cam\] runOnOnline")[0]
    srv.stop()
    assert gone(init_pid, 5), "runOnInit's ffmpeg outlived the server"
    assert gone(ready_pid, 5), "runOnReady's command outlived the server"


def test_run_on_demand_starts_with_the_first_reader_and_stops_after_the_last(media, server_factory, tmp_path):
    undemand = tmp_path / "undemand.txt"
    srv = server_factory({"ondemand": {
        "runOnDemand": publish_command(media["baseline"]),
        "runOnDemandCloseAfter": "2s",
        "runOnUnDemand": record(undemand, "undemand $MTX_PATH"),
    }}, log_level="info")
    time.sleep(1)
    assert not pids(srv.log_text(), "runOnDemand"), "runOnDemand ran before anyone asked"
    # The reader's request waits for the publisher runOnDemand starts, then decodes frames.
    t0 = time.monotonic()
    out = ffmpeg_decode(srv.rtsp_url("ondemand"), "tcp", 2)
    print(f"on-demand stream: {frames(out)} frames decoded, {time.monotonic() - t0:.1f} s from the request")
    assert frames(out) >= 45, out
    [demand_pid] = pids(srv.log_text(), r"\[path ondemand\] runOnDemand")
    # No reader for runOnDemandCloseAfter: the publisher gets SIGINT, runOnUnDemand runs.
    assert wait_lines(undemand, 1, 8) == ["undemand ondemand"], srv.log_text()[-3000:]
    assert srv.wait_log(r"runOnDemand command stopped: no reader for runOnDemandCloseAfter", 2)
    assert gone(demand_pid, 5), "runOnDemand's ffmpeg was not stopped"
    srv.wait_path("ondemand", ready=False, timeout=5)
