"""The camera wall (GET / on the WebRTC listener) in headless Chromium.

Nine paths pull one small GStreamer camera (640x360, so nine software decodes stay cheap
on a shared machine). The wall must show nine tiles that decode frames (read from the
page's own getStats()-based tile data), save a screenshot (build/test-artifacts/
camera-wall.png), enlarge a tile on click and go back on Esc, show a removed path as
offline and play it again on its own when the path comes back (control API delete /
add), reconnect a tile whose session the server kicked, and stop the streams of tiles
that are not on the current page. GET /?list stays the path list for scripts.
"""

import json
import os
import subprocess
import time

import pytest
import requests

import sluice_e2e as e2e

LO = e2e.LOOPBACK
NAMES = ["dock", "entrance", "garage", "hall", "lobby", "office", "parking", "roof", "yard"]
MIN_FRAMES = 30
CLIP_SIZE = "640x360"
ARTIFACT = e2e.BUILD_DIR / "test-artifacts" / "camera-wall.png"
HTTP_TIMEOUT = 5


def small_clip() -> "e2e.Path":
    """A 10 s 640x360 30 fps clip made once (cached like e2e.make_clip) with TESTING.md's
    ffmpeg command, its time stamp smaller and lower so that the tile bars leave it visible."""
    out = e2e.MEDIA_DIR / "clip-360p30-baseline.h264"
    stamp = out.with_suffix(".cmd")
    cmd = [a.replace("fontsize=72", "fontsize=28").replace("x=40:y=40", "x=(w-tw)/2:y=h-th-90")
           for a in e2e.clip_command("baseline", out, size=CLIP_SIZE, bitrate="600k")]
    want = json.dumps(cmd[:-1])
    if out.exists() and out.stat().st_size > 20_000 and stamp.exists() and stamp.read_text() == want:
        return out
    e2e.MEDIA_DIR.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp.h264")
    r = subprocess.run(cmd[:-1] + [str(tmp)], capture_output=True, text=True, timeout=120)
    if r.returncode != 0 or not tmp.exists():
        tmp.unlink(missing_ok=True)
        raise RuntimeError(f"ffmpeg failed ({r.returncode}):\n{r.stderr}")
    os.replace(tmp, out)
    stamp.write_text(want)
    return out


def wall_tiles(b) -> list[dict]:
    return b.driver.execute_script("return window.sluiceWall ? window.sluiceWall.tiles() : [];")


def wait_tiles(b, what: str, cond, timeout: float, srv) -> list[dict]:
    tiles: list[dict] = []
    for _ in e2e.deadline_loop(timeout, 0.5):
        srv.assert_alive()
        tiles = wall_tiles(b)
        if cond(tiles):
            return tiles
    raise AssertionError(f"camera wall: {what} not seen within {timeout:.0f} s; tiles:\n"
                         + "\n".join(json.dumps(t) for t in tiles))


def by_name(tiles: list[dict]) -> dict[str, dict]:
    return {t["name"]: t for t in tiles}


def browser_cpu_percent(b, seconds: float = 3.0) -> float:
    """CPU of all of Chromium's processes, % of one core, over `seconds` (for the log)."""
    def ticks():
        total = 0
        for pid in b.browser_pids():
            try:
                total += e2e._cpu_ticks(pid)
            except (OSError, ValueError, IndexError):
                pass
        return total
    t0, c0 = time.monotonic(), ticks()
    time.sleep(seconds)
    return round(100.0 * (ticks() - c0) / os.sysconf("SC_CLK_TCK") / (time.monotonic() - t0), 1)


def session_count(api: str) -> int:
    r = requests.get(api + "/v3/webrtcsessions/list", timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, r.text[:500]
    return len(r.json()["items"])


def test_camera_wall_plays_nine_tiles_and_follows_paths(camera_factory, server_factory, browser_factory,
                                                        attach_log):
    clip = small_clip()
    cam = camera_factory(clip, path="cam", protocols="tcp")
    api_port, rtsp_port = e2e.free_ports(2)
    api = f"http://{LO}:{api_port}"
    conf = {"source": cam.url, "rtspTransport": "tcp"}
    srv = server_factory({name: dict(conf) for name in NAMES},
                         extra={"api": True, "apiAddress": f"{LO}:{api_port}", "rtspAddress": f"{LO}:{rtsp_port}"})
    for name in NAMES:
        srv.wait_path(name, ready=True, timeout=20)

    # The list for scripts: JSON, sorted, every path ready.
    r = requests.get(srv.url("/?list"), timeout=HTTP_TIMEOUT)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/json"), r.text[:500]
    assert [(it["name"], it["ready"]) for it in r.json()["items"]] == [(n, True) for n in NAMES], r.text

    b = browser_factory(extra_flags=["--window-size=1280,760"])
    b.open(srv.url("/"))
    tiles = wait_tiles(b, f"9 tiles playing with >= {MIN_FRAMES} frames each",
                       lambda ts: len(ts) == 9 and all(t["state"] == "playing" and t["frames"] >= MIN_FRAMES
                                                       and t["kbps"] > 0 for t in ts), 60, srv)
    print("tiles:\n" + "\n".join(json.dumps(t) for t in tiles))
    assert [t["name"] for t in tiles] == NAMES
    for t in tiles:
        assert (t["width"], t["height"]) == (640, 360), t
        assert t["fps"] > 0, t
    # The grid fits the nine tiles as 3 x 3 in a 16:9-ish window.
    cols = b.driver.execute_script(
        "return getComputedStyle(document.getElementById('wall')).gridTemplateColumns.split(' ').length;")
    assert cols == 3, cols
    time.sleep(1.5)  # one more stats tick, so the screenshot shows fps and bit rate everywhere
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    b.screenshot(ARTIFACT)
    attach_log("screenshot", lambda: str(ARTIFACT))
    assert ARTIFACT.stat().st_size > 10_000, ARTIFACT
    assert session_count(api) == 9
    print(f"9 tiles of {CLIP_SIZE}: chromium {browser_cpu_percent(b)} % of one core, server {srv.stats()}")

    # Click a tile: it fills the wall; Esc goes back to the grid.
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    wall_w = b.driver.execute_script("return document.getElementById('wall').clientWidth;")
    tile = b.driver.find_element(By.CSS_SELECTOR, '.tile[data-path="lobby"]')
    tile.click()
    assert "zoomed" in tile.get_attribute("class")
    assert tile.size["width"] > 0.9 * wall_w, (tile.size, wall_w)
    assert not b.driver.find_element(By.CSS_SELECTOR, '.tile[data-path="dock"]').is_displayed()
    b.driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
    assert "zoomed" not in tile.get_attribute("class")
    assert tile.size["width"] < 0.5 * wall_w, tile.size

    # A path that goes away shows as offline; the others keep playing; it comes back on its own.
    gone = "garage"
    r = requests.delete(f"{api}/v3/config/paths/delete/{gone}", timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, r.text[:500]
    tiles = wait_tiles(b, f"tile '{gone}' offline", lambda ts: by_name(ts).get(gone, {}).get("state") == "offline",
                       15, srv)
    assert by_name(tiles)[gone]["text"] == "offline: path removed", by_name(tiles)[gone]
    before = {t["name"]: t["frames"] for t in tiles}
    time.sleep(2)
    after = by_name(wall_tiles(b))
    for name in NAMES:
        if name != gone:
            assert after[name]["state"] == "playing" and after[name]["frames"] > before[name], after[name]
    r = requests.post(f"{api}/v3/config/paths/add/{gone}", json=conf, timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, r.text[:500]
    wait_tiles(b, f"tile '{gone}' playing again",
               lambda ts: (t := by_name(ts).get(gone)) is not None and t["state"] == "playing"
               and t["frames"] >= MIN_FRAMES, 30, srv)

    # A session the server ends (kicked through the API): the tile reconnects by itself.
    kicked = "yard"
    sessions = requests.get(api + "/v3/webrtcsessions/list", timeout=HTTP_TIMEOUT).json()["items"]
    sid = next(x["id"] for x in sessions if x["path"] == kicked)
    frames_before = by_name(wall_tiles(b))[kicked]["frames"]
    r = requests.post(f"{api}/v3/webrtcsessions/kick/{sid}", timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, r.text[:500]
    t_kick = time.monotonic()
    wait_tiles(b, f"tile '{kicked}' dropping its kicked connection",
               lambda ts: by_name(ts)[kicked]["state"] != "playing" or by_name(ts)[kicked]["frames"] < frames_before,
               40, srv)
    wait_tiles(b, f"tile '{kicked}' playing again after the kick",
               lambda ts: by_name(ts)[kicked]["state"] == "playing" and by_name(ts)[kicked]["frames"] >= MIN_FRAMES,
               30, srv)
    print(f"kicked tile playing again after {time.monotonic() - t_kick:.1f} s")
    assert sid not in {x["id"] for x in requests.get(api + "/v3/webrtcsessions/list",
                                                     timeout=HTTP_TIMEOUT).json()["items"]}

    # Layout 4: one page of four tiles; the tiles off the page close their sessions.
    b.driver.execute_script("window.sluiceWall.setLayout('4');")
    tiles = wait_tiles(b, "4 tiles on the page, 5 paused",
                       lambda ts: sum(t["onPage"] for t in ts) == 4
                       and sum(t["state"] == "paused" for t in ts) == 5, 10, srv)
    for _ in e2e.deadline_loop(10, 0.5):
        if session_count(api) == 4:
            break
    assert session_count(api) == 4, "off-page tiles still hold WebRTC sessions"
    assert b.driver.find_element(By.ID, "pager").is_displayed()
    b.driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_RIGHT)
    wait_tiles(b, "page 2 playing", lambda ts: [t["name"] for t in ts if t["onPage"]] == NAMES[4:8]
               and all(t["state"] == "playing" for t in ts if t["onPage"]), 30, srv)
    srv.assert_alive()


def test_index_html_keeps_path_rows_for_scripts(server_factory):
    srv = server_factory({"demo": {"source": "demo"}, "idle": {"source": "publisher"}})
    srv.wait_path("demo", ready=True, timeout=15)
    states = srv.path_states(["demo", "idle"])
    assert states == {"demo": True, "idle": False}, states
    doc = requests.get(srv.url("/?list"), timeout=HTTP_TIMEOUT).json()
    assert doc == {"items": [{"name": "demo", "ready": True, "sourceOnDemand": False},
                             {"name": "idle", "ready": False, "sourceOnDemand": False}]}, doc
    assert e2e.parse_index(json.dumps(doc), "application/json") == {"demo": True, "idle": False}


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__, "-v"]))
