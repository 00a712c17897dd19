#!/usr/bin/env bash
# Generates an H.265 clip for `sluice-camsim --clip` (H.265 cameras): the same picture as
# assets/demo.h264 (scripts/make-demo-clip.sh) — ffmpeg's testsrc2 with the stream time and
# frame number burnt in — as a raw Annex-B H.265 elementary stream.
#
# 4 s of 1920x1080 at 30 fps, Main profile, an IDR every 30 frames and no B-frames, VPS/SPS/PPS
# repeated before every IDR, about 2 Mbit/s. 120 frames = exactly 4 closed GOPs, so the
# simulator can loop the file: every loop starts on an IDR and no frame refers across the
# loop boundary. The file is generated, not committed (default: <repo>/build/demo.h265).
#
# usage: [SIZE=WxH] scripts/make-h265-clip.sh [OUTPUT]   (SIZE defaults to 1920x1080; tests use
#        a smaller one to stay fast)
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/build/demo.h265}"
size="${SIZE:-1920x1080}"
fps=30
seconds=4
frames=$((fps * seconds))

command -v ffmpeg >/dev/null || { echo "make-h265-clip: ffmpeg not found (apt-get install ffmpeg)" >&2; exit 1; }
case "$out" in
  *.h265|*.265|*.hevc) ;;
  *) echo "make-h265-clip: OUTPUT must end in .h265, .265 or .hevc (how sluice-camsim knows the codec)" >&2; exit 2 ;;
esac
mkdir -p "$(dirname "$out")"
tmp="$(mktemp "$(dirname "$out")/.h265.XXXXXX.h265")"
trap 'rm -f "$tmp"' EXIT

ffmpeg -hide_banner -nostdin -loglevel error -y \
  -f lavfi -i "testsrc2=size=${size}:rate=${fps},drawtext=text='%{pts\:hms} %{n}':fontsize=72:fontcolor=white:box=1:boxcolor=black@0.6:x=40:y=40" \
  -frames:v "$frames" -an \
  -c:v libx265 -profile:v main -pix_fmt yuv420p -preset veryfast -tune zerolatency \
  -x265-params "keyint=${fps}:min-keyint=${fps}:scenecut=0:bframes=0:open-gop=0:repeat-headers=1:bitrate=2000:vbv-maxrate=2000:vbv-bufsize=4000:log-level=error" \
  -f hevc "$tmp"

chmod 644 "$tmp"
mv -f "$tmp" "$out"
trap - EXIT
echo "make-h265-clip: wrote $out ($(stat -c %s "$out") bytes, $frames frames, $size, ${fps} fps)"
