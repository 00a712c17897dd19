#!/usr/bin/env bash
# The steps of the container image (deploy/container/Dockerfile). CI runs the same script
# (tests/e2e/test_package.py), so the image's recipe is proven where no container engine runs.
#
#   container-build-steps.sh build BUILD_DIR OUT_DIR
#       Debian build dependencies (scripts/install-deps.sh build), CMake configure (only if
#       BUILD_DIR is not configured yet; extra options in $SLUICE_CMAKE_ARGS), build, and the
#       .deb (CPack, dependencies from dpkg-shlibdeps) in OUT_DIR as sluice_VERSION_ARCH.deb.
#   container-build-steps.sh install DEB [--simulate]
#       Installs the .deb and its runtime dependencies with apt, then checks the installed
#       binary and configuration. --simulate only resolves the dependencies (no root needed).
set -euo pipefail

SRC="$(cd "$(dirname "$0")/.." && pwd)"

build() {
  local build_dir out_dir
  build_dir="$(realpath -m "$1")"
  out_dir="$(realpath -m "$2")"
  "$SRC/scripts/install-deps.sh" build
  if [ ! -f "$build_dir/build.ninja" ]; then
    # shellcheck disable=SC2086  # word splitting of the extra options is intended
    cmake -S "$SRC" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo ${SLUICE_CMAKE_ARGS:-}
  fi
  cmake --build "$build_dir" --target sluice -j "$(nproc)"
  mkdir -p "$out_dir"
  local stage
  stage="$(mktemp -d "$out_dir/.cpack.XXXXXX")"
  (cd "$build_dir" && cpack -G DEB -B "$stage" >"$stage.log" 2>&1) || { cat "$stage.log" >&2; exit 1; }
  local debs=("$stage"/sluice_*.deb)
  if [ ${#debs[@]} -ne 1 ] || [ ! -f "${debs[0]}" ]; then
    echo "container-build-steps: cpack made no single sluice_*.deb in $stage" >&2
    exit 1
  fi
  local deb
  deb="$out_dir/$(basename "${debs[0]}")"
  mv "${debs[0]}" "$deb"
  rm -rf "$stage" "$stage.log"
  echo "container-build-steps: built $deb"
}

install_deb() {
  local deb="$1" mode="${2:-}"
  deb="$(cd "$(dirname "$deb")" && pwd)/$(basename "$deb")"  # apt wants a path, not a name
  export DEBIAN_FRONTEND=noninteractive
  if [ "$mode" = "--simulate" ]; then
    apt-get install --simulate --no-install-recommends "$deb"
    return
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "$deb"
  rm -rf /var/lib/apt/lists/*
  sluice --version
  sluice --check-config /etc/sluice/sluice.yml
}

case "${1:-}" in
  build) [ $# -eq 3 ] || { echo "usage: $0 build BUILD_DIR OUT_DIR" >&2; exit 2; }; build "$2" "$3" ;;
  install) [ $# -ge 2 ] || { echo "usage: $0 install DEB [--simulate]" >&2; exit 2; }; install_deb "$2" "${3:-}" ;;
  *) echo "usage: $0 build BUILD_DIR OUT_DIR | install DEB [--simulate]" >&2; exit 2 ;;
esac
