#!/usr/bin/env bash
# Builds and runs CariLab's sanitizer presets, each in its own tree (build/asan, build/tsan):
#   asan: AddressSanitizer + UBSan over every core test and the Match/Datasets GUI tests (offscreen;
#         no benchmarks); tests/sanitizers/gui_drop_session.sh drives the ASan GUI on a real X server
#   tsan: ThreadSanitizer over the trainer test (trainer thread, event queue, pause/stop)
#   tests/sanitizers/run_sanitizers.sh [asan] [tsan]     # default: both, asan first
# Only the executables the preset's tests need are built. Exits non-zero on any finding.
set -euo pipefail
cd "$(dirname "$0")/../.."

presets=("$@")
[ ${#presets[@]} -gt 0 ] || presets=(asan tsan)
jobs=$(nproc)

for preset in "${presets[@]}"; do
  case "$preset" in asan | tsan) ;; *) echo "usage: $0 [asan] [tsan]" >&2; exit 2 ;; esac
  start=$(date +%s)
  # Always configure: a preset whose flags changed must reach an existing tree.
  cmake --preset "$preset" >/dev/null
  # The test preset's filter decides what runs; a test's executable has the test's name.
  mapfile -t targets < <(ctest --preset "$preset" -N 2>/dev/null | sed -n 's/^ *Test *#[0-9]*: *//p')
  if [ ${#targets[@]} -eq 0 ]; then
    echo "run_sanitizers: the $preset preset selects no tests" >&2
    exit 1
  fi
  cmake --build --preset "$preset" --target "${targets[@]}" -j "$jobs"
  built=$(date +%s)
  # Instrumented tests are slower and larger: two at a time at most, as in the release run.
  ctest --preset "$preset" -j "$(( jobs < 2 ? 1 : 2 ))"
  echo "run_sanitizers: $preset clean (${#targets[@]} test(s); build $((built - start)) s, tests $(( $(date +%s) - built )) s)"
done
