#!/usr/bin/env bash
# CariLab's one-step setup. Idempotent: installs only missing Debian packages, configures once,
# builds incrementally, then runs the main job (`run`) or the whole test suite (`test`).
#   packaging/quickstart.sh run     # set up, build, and run CariLab on the built-in demo dataset
#   packaging/quickstart.sh test    # set up, build, run every test through ctest, then the fuzzers
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-run}
case "$mode" in run|test) ;; *) echo "usage: $0 run|test" >&2; exit 2 ;; esac

packages=(
  cmake ninja-build g++ pkg-config
  libtorch-dev libgloo-dev libopenblas0-pthread
  libopencv-dev opencv-data nlohmann-json3-dev
  qt6-base-dev qt6-svg-dev libqcustomplot-dev libqcustomplot2.1-qt6
  xvfb xauth imagemagick
  clang libclang-rt-14-dev llvm
  # test_package: what cpack -G DEB runs (dpkg-shlibdeps, file) and the .deb's validators
  dpkg-dev file lintian desktop-file-utils appstream man-db x11-utils
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm fetches the pretrained face networks below; any npm will do (Debian's, or one that came with Node.js).
command -v npm >/dev/null 2>&1 || missing+=(npm)
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "quickstart: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# LibTorch runs its matmuls through the system BLAS: the reference BLAS is ~30x slower than
# OpenBLAS here (6 vs ~190 GFLOP/s for a 2048^2 matmul). Installing libopenblas0-pthread makes it
# the libblas.so.3 alternative; say so if someone pinned another one.
if command -v update-alternatives >/dev/null; then
  blas=$(update-alternatives --query libblas.so.3-x86_64-linux-gnu 2>/dev/null | awk '/^Value:/ {print $2}')
  case "$blas" in *openblas*|"") ;; *) echo "quickstart: warning: libblas.so.3 points to $blas, not OpenBLAS (training will be slow)" >&2 ;; esac
fi

jobs=$(nproc)
[ -f build/release/build.ninja ] || cmake --preset release
cmake --build --preset release -j "$jobs"
echo "quickstart: release build done at ${SECONDS} s"

# The pretrained face networks (@vladmandic/face-api 1.7.15, MIT) from the npm registry into
# CariLab's cache ($CARILAB_HOME/pretrained, default ~/.local/share/carilab/pretrained), pinned by
# version and SHA-256. A verified copy is kept, so after the first time this only re-checks it.
# CI must have them (test_pretrained compares the descriptor with committed fixtures); elsewhere
# an offline machine only gets a warning, and whatever needs the files says how to fetch them.
if ! build/release/app/carilab-cli pretrained fetch; then
  if [ "${CI:-}" = true ]; then
    echo "quickstart: fetching the pretrained face networks failed" >&2
    exit 1
  fi
  echo "quickstart: warning: no pretrained face networks (run 'build/release/app/carilab-cli pretrained fetch' when online)" >&2
fi

if [ "$mode" = test ]; then
  # Tests use 2 LibTorch threads each; running them two at a time fills 2 cores without thrashing.
  ctest --preset release -j "$(( jobs < 2 ? 1 : 2 ))"
  echo "quickstart: test suite done at ${SECONDS} s"
  # Robustness (docs/testing.md, "Fuzzing and sanitizers"): each parser's libFuzzer target for 30 s
  # (~3 min with its clang build), then every core test under ASan + UBSan and the trainer's
  # thread tests under TSan, each in a tree of its own. CARILAB_SANITIZERS=0 skips the two
  # sanitizer trees for a quicker local run; CI runs them.
  tests/fuzz/run_fuzzers.sh 30
  echo "quickstart: fuzzers done at ${SECONDS} s"
  if [ "${CARILAB_SANITIZERS:-1}" != 0 ]; then
    tests/sanitizers/run_sanitizers.sh asan tsan
    echo "quickstart: sanitizers done at ${SECONDS} s"
  fi
  exit 0
fi
# The main job is the GUI on the demo dataset (Figure 3 demo training starts at once). Without a
# display there is nothing to open: run the same demo headless.
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  exec build/release/app/carilab --demo
fi
echo "quickstart: no display found; running the headless demo (carilab-cli demo) instead of the GUI"
exec build/release/app/carilab-cli demo
