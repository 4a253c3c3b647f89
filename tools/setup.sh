#!/usr/bin/env bash
# squeal set-up for a fresh Debian 12 machine (run as root, or with sudo available).
#
#   bash tools/setup.sh demo   install what is missing, build, decode the bundled recording
#   bash tools/setup.sh test   install what is missing, build, run the whole test suite
#                              (release build, then again under ASan+UBSan)
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-demo}
case "$mode" in demo|test|build) ;; *) echo "usage: $0 demo|test|build" >&2; exit 2 ;; esac

# Build tools, libraries, and the test/benchmark peers (spandsp, JACK, sox).
packages=(
  meson ninja-build pkg-config g++
  libliquid-dev libfftw3-dev portaudio19-dev libsndfile1-dev libhwy-dev
  doctest-dev libcli11-dev libfmt-dev nlohmann-json3-dev libcairo2-dev
  libspandsp-dev jackd2 sox
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

configure() {  # configure DIR [meson options...]
  local dir=$1; shift
  if [ -f "$dir/build.ninja" ]; then
    meson setup --reconfigure "$dir" "$@" >/dev/null
  else
    meson setup "$dir" "$@"
  fi
}

configure build
ninja -C build

case "$mode" in
  demo)
    ./build/cli/squeal --version
    ./build/cli/squeal detect examples/dialup_termini_public_domain.wav
    echo
    ./build/cli/squeal loopback --snr 25 --delay-ms 30 --codec ulaw
    ;;
  test)
    meson test -C build --print-errorlogs --num-processes 2
    # The same suites under AddressSanitizer + UndefinedBehaviorSanitizer
    # (there 5 live calls instead of 20: the point is memory errors, not the count).
    configure build-asan -Dbuildtype=debugoptimized -Db_sanitize=address,undefined -Db_lundef=false
    ninja -C build-asan
    SQUEAL_LIVE_CALLS=5 ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
      meson test -C build-asan --print-errorlogs --num-processes 2 --timeout-multiplier 3
    ;;
esac
