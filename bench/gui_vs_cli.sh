#!/bin/sh
# Training throughput with the GUI open and plotting against the same run from the CLI
# (README, Performance). Runs the "Figure 3 demo" (tiny backbone, dynamic, RMSProp lr 0.1,
# batch 64, 400 steps on CariSynth) N times in each of three arms:
#   cli      carilab-cli train
#   visible  carilab --demo, the Train tab shown and plotting live
#   hidden   carilab --demo --tab Evaluation: the same GUI process with nothing to draw, which
#            separates the cost of drawing from the cost of being a GUI process at all
# The order rotates each round (cli visible hidden, visible hidden cli, hidden cli visible):
# this VM's speed wanders by tens of percent within minutes, and rotation keeps a drift from
# always favouring one arm. For each run it takes the median images_per_s over metrics.jsonl
# (the first fifth left out: start-up and the first epoch's decoding), prints each round, then
# the mean of each round's ratio and its standard error.
#   bench/gui_vs_cli.sh [N]        (needs xvfb-run unless DISPLAY is set)
set -eu
n=${1:-3}
here=$(cd "$(dirname "$0")" && pwd)
bin=${CARILAB_BIN:-$here/../build/release/app}
[ -x "$bin/carilab" ] && [ -x "$bin/carilab-cli" ] || { echo "gui_vs_cli.sh: build carilab and carilab-cli first" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin/carilab-cli" synth --out "$tmp/cs" >/dev/null
gui() {
    # $1 run folder, $2 extra arguments. The demo run ends with status "finished"; then close
    # the GUI itself (its command line starts with its path): xvfb-run exits by itself and takes
    # its X server along, where killing xvfb-run instead left Xvfb running.
    ( if [ -n "${DISPLAY:-}" ]; then "$bin/carilab" --demo --demo-data "$tmp/cs" --runs "$1" $2
      else xvfb-run -a -s "-screen 0 1600x1000x24" "$bin/carilab" --demo --demo-data "$tmp/cs" --runs "$1" $2; fi ) >/dev/null 2>&1 &
    pid=$!
    while ! grep -qs '"finished"' "$1"/*/status.json 2>/dev/null; do sleep 1; done
    pkill -f "^$bin/carilab --demo --demo-data $tmp/cs" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    sleep 1
}
cli() {
    mkdir -p "$1"
    "$bin/carilab-cli" train --dataset "$tmp/cs" --run-dir "$1/run" --backbone tiny --strategy dynamic --optimizer rmsprop \
        --lr 0.1 --batch 64 --steps 400 --plain >/dev/null 2>&1
}
arm() {
    case $1 in
        cli) cli "$tmp/cli-$2" ;;
        visible) gui "$tmp/visible-$2" "" ;;
        hidden) gui "$tmp/hidden-$2" "--tab Evaluation" ;;
    esac
}
i=1
while [ "$i" -le "$n" ]; do
    case $((i % 3)) in
        1) order="cli visible hidden" ;;
        2) order="visible hidden cli" ;;
        0) order="hidden cli visible" ;;
    esac
    for a in $order; do arm "$a" "$i"; done
    i=$((i + 1))
done
python3 - "$tmp" "$n" <<'PY'
import glob, json, statistics, sys
tmp, n = sys.argv[1], int(sys.argv[2])
def median(arm, i):
    f = glob.glob(f"{tmp}/{arm}-{i}/*/metrics.jsonl")
    xs = [json.loads(l)["images_per_s"] for l in open(f[0]) if '"images_per_s"' in l] if f else []
    xs = xs[len(xs) // 5:]
    return statistics.median(xs) if xs else float("nan")
ratios = {"visible/cli": [], "hidden/cli": [], "visible/hidden": []}
for i in range(1, n + 1):
    c, v, h = median("cli", i), median("visible", i), median("hidden", i)
    r = {"visible/cli": v / c, "hidden/cli": h / c, "visible/hidden": v / h}
    for k in ratios: ratios[k].append(r[k])
    print(f"round {i}: CLI {c:.1f}, GUI visible {v:.1f}, GUI hidden {h:.1f} images/s; "
          + ", ".join(f"{k} {x:.3f}" for k, x in r.items()))
for k, xs in ratios.items():
    se = statistics.stdev(xs) / len(xs) ** 0.5 if len(xs) > 1 else float("nan")
    print(f"{k}: {statistics.mean(xs):.3f} ± {se:.3f} (mean ± standard error, {len(xs)} rounds)")
PY
