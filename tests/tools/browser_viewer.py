#!/usr/bin/python3
"""Headless Chromium as a WebRTC viewer, with getStats() read once a second.

Drives Debian's /usr/bin/chromium through selenium + /usr/bin/chromedriver with the
launch flags of shared/design/TESTING.md and a fresh --user-data-dir. Before any page
script runs, it injects (CDP Page.addScriptToEvaluateOnNewDocument) a wrapper that
records every RTCPeerConnection the page creates in `window.__pcs`, and every fetch()
to a .../whep URL (status, Location, ID) in `window.__whep`. So it works with any player
page: Sluice's (which also exposes `window.sluiceReader.pc`) or MediaMTX's.

The stats of one sample (`stats()`), for the page's current peer connection
(`window.sluiceReader.pc` if present, else the newest one that receives video):
  framesDecoded, keyFramesDecoded, frameWidth, frameHeight, framesPerSecond,
  packetsLost, packetsReceived, bytesReceived, nackCount, pliCount, firCount,
  freezeCount, framesDropped, jitterBufferDelay, decoderImplementation,
  mimeType + sdpFmtpLine (inbound-rtp codecId -> codec stats), connectionState,
  iceConnectionState, pcId (1, 2, ... in creation order), pcCount, and
  framesDecodedTotal = framesDecoded summed over every connection the page has had
  (last known value of the closed ones), so a player that reconnects still shows
  progress.

Library:
    with BrowserViewer(workdir) as b:
        s = b.watch("http://127.0.0.1:8889/cam/", 15, until=lambda s: s["framesDecoded"] >= 90)
CLI (prints JSON):
    browser_viewer.py URL [--seconds 15] [--min-frames 90] [--screenshot out.png]
Exit status of the CLI: 0 if --min-frames was reached (or not asked for), 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

# Exactly TESTING.md's flags (plus a fresh --user-data-dir, added at launch).
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--allow-loopback-in-peer-connection",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
    "--autoplay-policy=no-user-gesture-required",
]

INJECT_JS = r"""
(() => {
  if (window.__sluiceViewerHooked) return;
  window.__sluiceViewerHooked = true;
  window.__pcs = [];
  window.__whep = [];
  window.__pcLast = {};
  const Orig = window.RTCPeerConnection;
  if (Orig) {
    let next = 1;
    const Wrapped = function (...args) {
      const pc = new Orig(...args);
      try {
        Object.defineProperty(pc, '__sluiceId', {value: next++, enumerable: false});
        pc.__createdAt = Date.now();
      } catch (e) {}
      window.__pcs.push(pc);
      return pc;
    };
    Wrapped.prototype = Orig.prototype;
    Object.setPrototypeOf(Wrapped, Orig);
    window.RTCPeerConnection = Wrapped;
    if (window.webkitRTCPeerConnection) window.webkitRTCPeerConnection = Wrapped;
  }
  const origFetch = window.fetch;
  if (origFetch) {
    window.fetch = function (input, init) {
      const url = (typeof input === 'string') ? input : (input && input.url) || String(input);
      const method = ((init && init.method) || (input && input.method) || 'GET').toUpperCase();
      const p = origFetch.apply(this, arguments);
      if (/\/whep(\/|\?|$)/.test(url)) {
        const rec = {url: String(url), method, t: Date.now(), status: null};
        window.__whep.push(rec);
        p.then(r => {
          rec.status = r.status;
          rec.location = r.headers.get('Location');
          rec.id = r.headers.get('ID');
          rec.etag = r.headers.get('ETag');
        }, e => { rec.error = String(e); });
      }
      return p;
    };
  }
})();
"""

STATS_JS = r"""
const done = arguments[arguments.length - 1];
(async () => {
  const pcs = (window.__pcs || []).slice();
  const rd = window.sluiceReader;
  if (rd && rd.pc && !pcs.includes(rd.pc)) pcs.push(rd.pc);
  const receivesVideo = pc => {
    try {
      return pc.getTransceivers().some(t => t.receiver && t.receiver.track &&
                                            t.receiver.track.kind === 'video');
    } catch (e) { return false; }
  };
  let pc = (rd && rd.pc) || null;
  if (!pc) {
    for (let i = pcs.length - 1; i >= 0; i--) {
      if (receivesVideo(pcs[i]) && pcs[i].connectionState !== 'closed') { pc = pcs[i]; break; }
    }
  }
  if (!pc) {
    for (let i = pcs.length - 1; i >= 0; i--) { if (receivesVideo(pcs[i])) { pc = pcs[i]; break; } }
  }
  const last = window.__pcLast || (window.__pcLast = {});
  const readOne = async (p) => {
    const out = {present: false};
    let rep;
    try { rep = await p.getStats(); } catch (e) { out.error = String(e); return out; }
    let inb = null;
    rep.forEach(s => {
      if (s.type === 'inbound-rtp' && (s.kind === 'video' || s.mediaType === 'video')) {
        if (!inb || (s.framesDecoded || 0) >= (inb.framesDecoded || 0)) inb = s;
      }
    });
    if (inb) {
      out.present = true;
      for (const k of ['framesDecoded', 'keyFramesDecoded', 'frameWidth', 'frameHeight',
                       'framesPerSecond', 'packetsLost', 'packetsReceived', 'bytesReceived',
                       'nackCount', 'pliCount', 'firCount', 'freezeCount', 'framesDropped',
                       'framesReceived', 'jitterBufferDelay', 'jitterBufferEmittedCount',
                       'totalDecodeTime', 'decoderImplementation', 'ssrc']) {
        if (inb[k] !== undefined) out[k] = inb[k];
      }
      if (inb.codecId) {
        const c = rep.get(inb.codecId);
        if (c) { out.mimeType = c.mimeType; out.sdpFmtpLine = c.sdpFmtpLine || ''; out.payloadType = c.payloadType; }
      }
    }
    let aud = null;
    rep.forEach(s => {
      if (s.type === 'inbound-rtp' && (s.kind === 'audio' || s.mediaType === 'audio')) {
        if (!aud || (s.packetsReceived || 0) >= (aud.packetsReceived || 0)) aud = s;
      }
    });
    if (aud) {
      out.audio = {};
      for (const k of ['packetsReceived', 'packetsLost', 'bytesReceived', 'totalSamplesReceived',
                       'concealedSamples', 'totalAudioEnergy', 'audioLevel', 'jitter', 'ssrc']) {
        if (aud[k] !== undefined) out.audio[k] = aud[k];
      }
      if (aud.codecId) {
        const c = rep.get(aud.codecId);
        if (c) { out.audio.mimeType = c.mimeType; out.audio.sdpFmtpLine = c.sdpFmtpLine || ''; }
      }
    }
    rep.forEach(s => {
      if (s.type === 'transport' && s.selectedCandidatePairId) {
        const pair = rep.get(s.selectedCandidatePairId);
        if (pair) {
          const l = rep.get(pair.localCandidateId), r = rep.get(pair.remoteCandidateId);
          out.candidatePair = {
            local: l ? `${l.candidateType}/${l.protocol}/${l.address || l.ip}/${l.port}` : null,
            remote: r ? `${r.candidateType}/${r.protocol}/${r.address || r.ip}/${r.port}` : null,
            state: pair.state, bytesReceived: pair.bytesReceived};
        }
      }
    });
    return out;
  };
  // refresh the last known frame count of every connection (closed ones keep theirs)
  for (const p of pcs) {
    if (p.connectionState === 'closed' && last[p.__sluiceId] !== undefined) continue;
    if (!receivesVideo(p)) continue;
    const s = await readOne(p);
    if (s.present) last[p.__sluiceId] = s.framesDecoded || 0;
  }
  let total = 0;
  for (const k in last) total += last[k];
  const res = {t: Date.now() / 1000, url: location.href, pcCount: pcs.length,
               pcId: null, hasReader: !!rd, framesDecoded: 0, framesDecodedTotal: total,
               whep: window.__whep || []};
  if (pc) {
    const s = await readOne(pc);
    Object.assign(res, s);
    res.framesDecoded = s.framesDecoded || 0;
    res.pcId = pc.__sluiceId || null;
    res.connectionState = pc.connectionState;
    res.iceConnectionState = pc.iceConnectionState;
    res.signalingState = pc.signalingState;
  }
  const v = document.querySelector('video');
  if (v) res.video = {width: v.videoWidth, height: v.videoHeight, currentTime: v.currentTime,
                      paused: v.paused, readyState: v.readyState};
  return res;
})().then(done, e => done({error: String(e), framesDecoded: 0, framesDecodedTotal: 0}));
"""


def _descendants(pid: int) -> list[int]:
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


class BrowserViewer:
    """One headless Chromium (one tab) driven by selenium."""

    def __init__(self, workdir: str | Path | None = None, extra_flags: list[str] | None = None,
                 page_load_timeout: float = 20.0):
        self._own_dir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="sluice-browser-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.profile_dir = Path(tempfile.mkdtemp(prefix="profile-", dir=self.workdir))
        self.driver_log = self.workdir / "chromedriver.log"
        self.console_log = self.workdir / "browser-console.log"
        self.extra_flags = list(extra_flags or [])
        self.page_load_timeout = page_load_timeout
        self.driver = None
        self.service = None
        self.samples: list[dict] = []

    # -- lifecycle
    def start(self) -> "BrowserViewer":
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        opts = webdriver.ChromeOptions()
        opts.binary_location = CHROMIUM
        for f in CHROMIUM_FLAGS + [f"--user-data-dir={self.profile_dir}"] + self.extra_flags:
            opts.add_argument(f)
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.service = Service(executable_path=CHROMEDRIVER, log_path=str(self.driver_log))
        self.driver = webdriver.Chrome(service=self.service, options=opts)
        self.driver.set_page_load_timeout(self.page_load_timeout)
        self.driver.set_script_timeout(10)
        self.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": INJECT_JS})
        return self

    def __enter__(self):
        return self.start() if self.driver is None else self

    def __exit__(self, *exc):
        self.close()

    @property
    def driver_pid(self) -> int | None:
        try:
            return self.service.process.pid
        except AttributeError:
            return None

    def browser_pids(self) -> list[int]:
        """Chromium's processes: the descendants of our chromedriver."""
        pid = self.driver_pid
        return _descendants(pid) if pid else []

    def open(self, url: str):
        self.driver.get(url)

    def kill_browser(self):
        """Kills Chromium abruptly (SIGKILL to each of its PIDs): the page can neither
        DELETE its session nor close its peer connection. chromedriver stays."""
        for pid in self.browser_pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def close(self):
        if self.driver is not None:
            try:
                self.save_console_log()
            except Exception:
                pass
            pids = self.browser_pids()
            dpid = self.driver_pid
            try:
                self.driver.quit()  # chromedriver ends Chromium and exits
            except Exception:
                pass
            for pid in pids + ([dpid] if dpid else []):  # leftovers, by PID
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            try:
                if self.service and self.service.process:
                    self.service.process.wait(timeout=5)
            except Exception:
                pass
            self.driver = None
        shutil.rmtree(self.profile_dir, ignore_errors=True)
        if self._own_dir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    # -- observation
    def stats(self) -> dict:
        s = self.driver.execute_async_script(STATS_JS)
        s.setdefault("framesDecoded", 0)
        s.setdefault("framesDecodedTotal", 0)
        return s

    def whep_requests(self) -> list[dict]:
        return self.driver.execute_script("return window.__whep || [];")

    def save_console_log(self) -> Path:
        entries = self.driver.get_log("browser")
        with open(self.console_log, "a") as f:
            for e in entries:
                f.write(f"{e.get('timestamp')} {e.get('level')} {e.get('message')}\n")
        return self.console_log

    def screenshot(self, path: str | Path) -> Path:
        self.driver.save_screenshot(str(path))
        return Path(path)

    def poll(self, seconds: float, until=None, interval: float = 1.0, on_sample=None) -> dict:
        """Samples stats() every `interval` s for at most `seconds` s, or until
        `until(sample)` is true. Returns the last sample (sample['until'] tells whether
        the condition was met); every sample is appended to self.samples."""
        end = time.monotonic() + seconds
        s: dict = {}
        while True:
            try:
                s = self.stats()
            except Exception as e:  # page reloading, script timeout
                s = {"error": repr(e), "framesDecoded": 0, "framesDecodedTotal": 0}
            s["until"] = bool(until and until(s))
            self.samples.append(s)
            if on_sample:
                on_sample(s)
            if s["until"]:
                return s
            left = end - time.monotonic()
            if left <= 0:
                return s
            time.sleep(min(interval, left))

    def watch(self, url: str, seconds: float, until=None, interval: float = 1.0, on_sample=None) -> dict:
        """Opens `url` and polls like poll()."""
        self.open(url)
        return self.poll(seconds, until, interval, on_sample)


def watch(url: str, seconds: float, until=None, workdir=None, screenshot=None) -> dict:
    """One-shot: launch Chromium, open url, poll stats, optionally screenshot, close."""
    with BrowserViewer(workdir) as b:
        s = b.watch(url, seconds, until)
        if screenshot:
            b.screenshot(screenshot)
        return s


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("url")
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--min-frames", type=int, default=0, help="stop early once this many frames are decoded")
    ap.add_argument("--screenshot", help="PNG written at the end")
    ap.add_argument("--workdir", help="where the profile and logs go (default: a temp dir, removed)")
    ap.add_argument("--all", action="store_true", help="print every sample, not only the last")
    a = ap.parse_args(argv)
    until = (lambda s: s.get("framesDecoded", 0) >= a.min_frames) if a.min_frames else None
    with BrowserViewer(a.workdir) as b:
        last = b.watch(a.url, a.seconds, until)
        if a.screenshot:
            b.screenshot(a.screenshot)
        out = {"last": last, "samples": b.samples} if a.all else last
        print(json.dumps(out, indent=1, default=str))
    return 0 if (not a.min_frames or last.get("framesDecoded", 0) >= a.min_frames) else 1


if __name__ == "__main__":
    sys.exit(main())
