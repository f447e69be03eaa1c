#!/bin/sh
# Runs `carilab-cli bench` and bench/pytorch_reference.py alternately, N times each, on synthetic
# input, and prints every run's training images/s and the medians. Alternating in one sitting
# spreads whatever else the machine does over both sides.
#   bench/compare.sh [N] [extra args for both, e.g. --batch 32 --steps 10 --threads 2]
#   PYTORCH_ARGS="--channels-last --set-to-none" bench/compare.sh ...   (reference-only options)
set -eu
n=${1:-3}
[ $# -gt 0 ] && shift
here=$(cd "$(dirname "$0")" && pwd)
cli=${CARILAB_CLI:-$here/../build/release/app/carilab-cli}
py=${PYTHON:-/usr/bin/python3}   # Debian's python3-torch: the same 1.13 build the CLI links
[ -x "$cli" ] || { echo "compare.sh: $cli not built (cmake --build --preset release --target carilab-cli)" >&2; exit 1; }
"$py" -c 'import torch' 2>/dev/null || { echo "compare.sh: $py has no torch (apt-get install python3-torch)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
figure() { "$py" -c 'import json,sys; j=json.load(open(sys.argv[1])); t=j["train_synthetic"]; print("%.2f %.1f %.3f %.2f" % (t["images_per_s"], t["gflops"], t.get("utilisation_of_matmul_peak", -1), j["machine"]["load_before"]))' "$1"; }
i=1
while [ "$i" -le "$n" ]; do
    "$cli" bench --json "$@" 2>/dev/null >"$tmp/cli-$i.json"
    echo "run $i carilab-cli : images/s GFLOP/s util load = $(figure "$tmp/cli-$i.json")"
    # shellcheck disable=SC2086
    "$py" "$here/pytorch_reference.py" --json "$@" ${PYTORCH_ARGS:-} >"$tmp/py-$i.json"
    echo "run $i pytorch     : images/s GFLOP/s util load = $(figure "$tmp/py-$i.json")"
    i=$((i + 1))
done
"$py" - "$tmp" "$n" <<'PY'
import json, statistics, sys
tmp, n = sys.argv[1], int(sys.argv[2])
for side in ("cli", "py"):
    runs = [json.load(open(f"{tmp}/{side}-{i}.json"))["train_synthetic"] for i in range(1, n + 1)]
    ips = [r["images_per_s"] for r in runs]
    util = [r["utilisation_of_matmul_peak"] for r in runs if r.get("utilisation_of_matmul_peak", -1) > 0]
    util_text = f"{100 * statistics.median(util):.1f}%" if util else "n/a (--no-peak)"
    print(f"median {'carilab-cli' if side == 'cli' else 'pytorch    '}: {statistics.median(ips):.2f} images/s "
          f"(runs {min(ips):.2f}-{max(ips):.2f}), utilisation of matmul peak {util_text}")
PY
