#!/usr/bin/env bash
# Generates assets/demo.h264: the clip behind Sluice's built-in `demo` source.
#
# 4 s of 1920x1080 at 30 fps, H.264 Main profile as a raw Annex-B elementary stream
# (no container): ffmpeg's testsrc2 pattern with the stream time and the frame number
# burnt in, so a screenshot tells which frame is on screen. An IDR every 30 frames and
# no B-frames, one slice per frame, SPS/PPS repeated before every IDR, about 2.5 Mbit/s
# (≈ 1.3 MB). 120 frames = exactly 4 GOPs, so the server can loop the file: every loop
# starts on an IDR and no frame refers across the loop boundary.
#
# usage: scripts/make-demo-clip.sh [OUTPUT]      (default: <repo>/assets/demo.h264)
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/assets/demo.h264}"
fps=30
seconds=4
frames=$((fps * seconds))

command -v ffmpeg >/dev/null || { echo "make-demo-clip: ffmpeg not found (apt-get install ffmpeg)" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
tmp="$(mktemp "$(dirname "$out")/.demo.XXXXXX.h264")"
trap 'rm -f "$tmp"' EXIT

ffmpeg -hide_banner -nostdin -loglevel error -y \
  -f lavfi -i "testsrc2=size=1920x1080:rate=${fps},drawtext=text='%{pts\:hms} %{n}':fontsize=72:fontcolor=white:box=1:boxcolor=black@0.6:x=40:y=40" \
  -frames:v "$frames" -an \
  -c:v libx264 -profile:v main -level:v 4.0 -pix_fmt yuv420p -preset veryfast -tune zerolatency \
  -x264-params sliced-threads=0:slices=1:repeat-headers=1 \
  -g "$fps" -keyint_min "$fps" -sc_threshold 0 -bf 0 \
  -b:v 2500k -maxrate 2500k -bufsize 5000k \
  -f h264 "$tmp"

chmod 644 "$tmp"
mv -f "$tmp" "$out"
trap - EXIT
echo "make-demo-clip: wrote $out ($(stat -c %s "$out") bytes, $frames frames, ${fps} fps)"
