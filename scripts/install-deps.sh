#!/usr/bin/env bash
# Installs everything Sluice needs to build, run and test, from Debian packages only.
# Idempotent: packages already present are skipped; uses sudo when not root.
set -euo pipefail

BUILD_PKGS=(build-essential cmake ninja-build ccache pkg-config git
  libboost-dev libboost-system-dev libssl-dev libsrtp2-dev libyaml-cpp-dev nlohmann-json3-dev
  libspdlog-dev libfmt-dev libcli11-dev libgoogle-perftools-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libavcodec-dev libavutil-dev libswresample-dev libopus-dev
  dpkg-dev file)
RUN_PKGS=(ffmpeg libavcodec59 libavutil57 libswresample4 libopus0)
TEST_PKGS=(python3 python3-gi gir1.2-gstreamer-1.0 gir1.2-gst-rtsp-server-1.0 gir1.2-gst-plugins-bad-1.0
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-rtsp
  chromium chromium-driver python3-aiortc python3-selenium python3-pytest python3-requests
  iproute2 nftables curl procps google-perftools gnuplot-nox python3-yaml systemd prometheus strace
  nginx-light openssl coturn)

# `make test-sanitize`: g++'s ASan/UBSan/TSan runtimes (already pulled in by g++ through
# libgcc-12-dev; named so that the mode says what it needs).
SANITIZE_PKGS=(libasan8 libubsan1 liblsan0 libtsan2)
# `make fuzz`: clang and its runtime libraries (libclang_rt.fuzzer, .asan, .ubsan).
FUZZ_PKGS=(clang libclang-rt-14-dev)
# `make format` and `make tidy`.
LINT_PKGS=(clang-format clang-tidy)

want=("${BUILD_PKGS[@]}" "${RUN_PKGS[@]}")
case "${1:-all}" in
  build) ;;
  all|test) want+=("${TEST_PKGS[@]}") ;;
  sanitize) want+=("${TEST_PKGS[@]}" "${SANITIZE_PKGS[@]}") ;;
  fuzz) want+=("${FUZZ_PKGS[@]}") ;;
  lint) want+=("${LINT_PKGS[@]}") ;;
  *) echo "usage: $0 [build|test|all|sanitize|fuzz|lint]" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#want[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
