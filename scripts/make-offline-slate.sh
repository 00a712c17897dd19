#!/usr/bin/env bash
# Generates assets/offline.h264: the offline slate that `alwaysAvailable` paths play while
# their source is away (MediaMTX shows "STREAM IS OFFLINE" the same way).
#
# 2 s of 1280x720 at 10 fps, H.264 Constrained Baseline as a raw Annex-B elementary stream: a
# dark grey card with "STREAM IS OFFLINE". An IDR every 10 frames (a viewer joining during
# the outage waits at most 1 s) and no B-frames, one slice per frame, SPS/PPS before every
# IDR. The picture is still, so P-frames are a few bytes and the whole loop is a few tens of
# KB. 20 frames = exactly 2 GOPs, so the server loops the file: every loop starts on an IDR.
# Sluice never re-encodes it: it is sent as it is, in the stream's own codec, and a viewer's
# decoder takes its SPS (another size than the camera's) at its first IDR.
#
# usage: scripts/make-offline-slate.sh [OUTPUT]      (default: <repo>/assets/offline.h264)
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/assets/offline.h264}"
fps=10
seconds=2
frames=$((fps * seconds))

command -v ffmpeg >/dev/null || { echo "make-offline-slate: ffmpeg not found (apt-get install ffmpeg)" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
tmp="$(mktemp "$(dirname "$out")/.offline.XXXXXX.h264")"
trap 'rm -f "$tmp"' EXIT

ffmpeg -hide_banner -nostdin -loglevel error -y \
  -f lavfi -i "color=c=0x202020:size=1280x720:rate=${fps},drawtext=text='STREAM IS OFFLINE':fontsize=72:fontcolor=white:x=(w-text_w)/2:y=(h-text_h)/2" \
  -frames:v "$frames" -an \
  -c:v libx264 -profile:v baseline -level:v 3.1 -pix_fmt yuv420p -preset veryfast -tune zerolatency \
  -x264-params sliced-threads=0:slices=1:repeat-headers=1 \
  -g "$fps" -keyint_min "$fps" -sc_threshold 0 -bf 0 \
  -b:v 300k -maxrate 600k -bufsize 600k \
  -f h264 "$tmp"

chmod 644 "$tmp"
mv -f "$tmp" "$out"
trap - EXIT
echo "make-offline-slate: wrote $out ($(stat -c %s "$out") bytes, $frames frames, ${fps} fps)"
