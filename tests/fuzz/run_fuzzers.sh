#!/usr/bin/env bash
# Builds CariLab's libFuzzer targets with clang (in build/fuzz) and runs each for a bounded time.
#   tests/fuzz/run_fuzzers.sh [SECONDS] [TARGET...]    # default: 30 s each, every target
# Exits non-zero when a target crashes, leaks, trips ASan/UBSan or breaks its parser's contract;
# the input that did it is kept under build/fuzz/crashes/<target>/ and the command that replays
# it is printed. The corpus grows in build/fuzz/corpus/<target>/ from the committed seeds in
# tests/fuzz/corpus/<target>/, which are only read.
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds=${1:-30}
[ $# -gt 0 ] && shift
case "$seconds" in '' | *[!0-9]*) echo "usage: $0 [SECONDS] [TARGET...]" >&2; exit 2 ;; esac
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_protocol fuzz_landmarks fuzz_config fuzz_metrics)

build=build/fuzz
if ! command -v clang++ >/dev/null; then
  echo "run_fuzzers: clang++ not found (Debian: apt install clang libclang-rt-14-dev)" >&2
  exit 2
fi
[ -f "$build/build.ninja" ] || cmake -S tests/fuzz -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++
cmake --build "$build" --target "${targets[@]}" -j "$(nproc)"

# Every input is written to a scratch file; on tmpfs that is ~50x faster than on ext4.
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then export TMPDIR=/dev/shm; fi

# Each fuzzer is single-threaded: run as many at once as there are cores.
parallel=$(nproc)
pids=()
names=()
for t in "${targets[@]}"; do
  mkdir -p "$build/corpus/$t" "$build/crashes/$t" "$build/logs"
  # -timeout: one input taking 10 s is a hang worth a report; -rss_limit_mb: a parser that
  # swallows gigabytes on a few kB of input is a bug too.
  "$build/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$build/crashes/$t/" "$build/corpus/$t" "tests/fuzz/corpus/$t" >"$build/logs/$t.log" 2>&1 &
  pids+=($!)
  names+=("$t")
  while [ "$(jobs -rp | wc -l)" -ge "$parallel" ]; do wait -n || true; done
done

failed=0
for i in "${!pids[@]}"; do
  t=${names[$i]}
  log="$build/logs/$t.log"
  if wait "${pids[$i]}"; then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)
    echo "run_fuzzers: $t: ok, $runs inputs in ${seconds} s, ${cov:-cov: ?}"
  else
    failed=1
    echo "run_fuzzers: $t: FAILED (log: $log)" >&2
    grep -E 'ERROR: |runtime error|contract broken|terminate called|what\(\)' "$log" | head -5 >&2 || true
    reproducer=$(grep -o 'Test unit written to .*' "$log" | tail -1 | sed 's/^Test unit written to //')
    if [ -n "$reproducer" ]; then
      echo "run_fuzzers: reproducer: $reproducer" >&2
      echo "run_fuzzers: replay with: $build/$t $reproducer" >&2
    fi
  fi
done
exit $failed
