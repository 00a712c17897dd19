#!/usr/bin/env bash
# Generates the A/V sync clip for `sluice-camsim --clip X --audio pcmu|aac` (cameras with
# audio, issue 8): a video elementary stream and the matching audio elementary streams.
#
# Video: 4 s of ffmpeg's testsrc2 at 30 fps (1920x1080 unless SIZE is given) with the stream
# time and frame number burnt in, where frames 30 and 90 (t = 1.000 s and 3.000 s) are
# entirely white. H.264 (Main, like scripts/make-demo-clip.sh) or, with CODEC=h265, H.265
# (Main); an IDR every 30 frames, no B-frames, parameter sets before every IDR: 4 closed
# GOPs, so the simulator can loop the file.
# Audio: silence with a 1 kHz beep of 100 ms starting exactly at 1.000 s and at 3.000 s,
# the instants the white frames are shown, as
#   OUT.pcmu  G.711 mu-law, 8 kHz mono, raw (160 bytes = one 20 ms RTP packet)
#   OUT.aac   AAC LC in ADTS, mono, RATE Hz (48000 default, or 44100), 96 kbit/s
# ffmpeg's AAC encoder puts 1024 samples of encoder delay (priming) in front; ADTS cannot
# say so, so the source is shifted 1024 samples earlier: decoded AU k then plays the
# source's samples from k x 1024 and the beep still starts at 1.000 s of RTP time.
#
# usage: [SIZE=WxH] [CODEC=h264|h265] [RATE=48000|44100] scripts/make-av-clip.sh [OUT]
#   OUT is a path without extension (default <repo>/build/av): writes OUT.h264 (or
#   OUT.h265), OUT.pcmu and OUT.aac. sluice-camsim finds the audio next to the clip.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/build/av}"
size="${SIZE:-1920x1080}"
codec="${CODEC:-h264}"
rate="${RATE:-48000}"
fps=30
seconds=4
frames=$((fps * seconds))

command -v ffmpeg >/dev/null || { echo "make-av-clip: ffmpeg not found (apt-get install ffmpeg)" >&2; exit 1; }
case "$codec" in h264|h265) ;; *) echo "make-av-clip: CODEC must be h264 or h265" >&2; exit 2 ;; esac
case "$rate" in 48000|44100) ;; *) echo "make-av-clip: RATE must be 48000 or 44100" >&2; exit 2 ;; esac
mkdir -p "$(dirname "$out")"
tmpdir="$(mktemp -d "$(dirname "$out")/.av.XXXXXX")"
trap 'rm -rf "$tmpdir"' EXIT

picture="testsrc2=size=${size}:rate=${fps},drawtext=text='%{pts\:hms} %{n}':fontsize=72:fontcolor=white:box=1:boxcolor=black@0.6:x=40:y=40,drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:enable='eq(n\,30)+eq(n\,90)'"
if [ "$codec" = h264 ]; then
  ffmpeg -hide_banner -nostdin -loglevel error -y -f lavfi -i "$picture" -frames:v "$frames" -an \
    -c:v libx264 -profile:v main -level:v 4.0 -pix_fmt yuv420p -preset veryfast -tune zerolatency \
    -x264-params sliced-threads=0:slices=1:repeat-headers=1 \
    -g "$fps" -keyint_min "$fps" -sc_threshold 0 -bf 0 \
    -b:v 2500k -maxrate 2500k -bufsize 5000k -f h264 "$tmpdir/v.h264"
else
  ffmpeg -hide_banner -nostdin -loglevel error -y -f lavfi -i "$picture" -frames:v "$frames" -an \
    -c:v libx265 -profile:v main -pix_fmt yuv420p -preset veryfast -tune zerolatency \
    -x265-params "keyint=${fps}:min-keyint=${fps}:scenecut=0:bframes=0:open-gop=0:repeat-headers=1:bitrate=2000:vbv-maxrate=2000:vbv-bufsize=4000:log-level=error" \
    -f hevc "$tmpdir/v.h265"
fi

# The beep: 100 ms of 1 kHz from 1.000 s and from 3.000 s (t shifted by `shift` samples).
beep() {
  local sr="$1" shift="$2"
  echo "aevalsrc=exprs='if(between(t+${shift}/${sr}\,1\,1.1)+between(t+${shift}/${sr}\,3\,3.1)\,0.7*sin(2*PI*1000*t)\,0)':s=${sr}:d=${seconds}"
}
ffmpeg -hide_banner -nostdin -loglevel error -y -f lavfi -i "$(beep 8000 0)" -ac 1 -c:a pcm_mulaw -f mulaw "$tmpdir/a.pcmu"
ffmpeg -hide_banner -nostdin -loglevel error -y -f lavfi -i "$(beep "$rate" 1024)" -ac 1 -c:a aac -b:a 96k -f adts "$tmpdir/a.aac"

chmod 644 "$tmpdir"/*
mv -f "$tmpdir/v.$codec" "$out.$codec"
mv -f "$tmpdir/a.pcmu" "$out.pcmu"
mv -f "$tmpdir/a.aac" "$out.aac"
echo "make-av-clip: wrote $out.$codec ($frames frames, $size, $fps fps, white at frames 30 and 90), $out.pcmu, $out.aac (${rate} Hz); beeps at 1.000 s and 3.000 s"
