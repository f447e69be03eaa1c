#!/bin/sh
# Training throughput with the GUI open and plotting against the same run from the CLI
# (README, Performance). Runs the "Figure 3 demo" (tiny backbone, dynamic, RMSProp lr 0.1,
# batch 64, 400 steps on CariSynth) N times from each, alternately, and prints each run's median
# images_per_s over its metrics.jsonl (the first fifth left out: start-up and the first epoch's
# decoding) and the GUI/CLI ratio of each pair.
#   bench/gui_vs_cli.sh [N]        (needs xvfb-run unless DISPLAY is set)
set -eu
n=${1:-3}
here=$(cd "$(dirname "$0")" && pwd)
bin=${CARILAB_BIN:-$here/../build/release/app}
[ -x "$bin/carilab" ] && [ -x "$bin/carilab-cli" ] || { echo "gui_vs_cli.sh: build carilab and carilab-cli first" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin/carilab-cli" synth --out "$tmp/cs" >/dev/null
median() {
    python3 - "$1" <<'PY'
import json, statistics, sys
xs = [json.loads(l)["images_per_s"] for l in open(sys.argv[1]) if '"images_per_s"' in l]
xs = xs[len(xs) // 5:]
print(f"{statistics.median(xs):.1f}" if xs else "nan")
PY
}
gui() {
    # The GUI quits by itself once the demo run finishes: wait for status "finished".
    ( if [ -n "${DISPLAY:-}" ]; then "$bin/carilab" --demo --demo-data "$tmp/cs" --runs "$1"
      else xvfb-run -a -s "-screen 0 1600x1000x24" "$bin/carilab" --demo --demo-data "$tmp/cs" --runs "$1"; fi ) >/dev/null 2>&1 &
    pid=$!
    while ! grep -qs '"finished"' "$1"/*/status.json 2>/dev/null; do sleep 2; done
    # Only the GUI itself (its command line starts with its path): xvfb-run then exits by
    # itself and takes its X server along; killing xvfb-run instead left Xvfb running.
    pkill -f "^$bin/carilab --demo --demo-data $tmp/cs" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
cli() {
    "$bin/carilab-cli" train --dataset "$tmp/cs" --run-dir "$1" --backbone tiny --strategy dynamic --optimizer rmsprop \
        --lr 0.1 --batch 64 --steps 400 --plain >/dev/null 2>&1
}
i=1
while [ "$i" -le "$n" ]; do
    # Odd pairs run the GUI first, even pairs the CLI first: a drift in the machine's speed
    # (it wanders here) then cancels instead of always favouring one side.
    if [ $((i % 2)) -eq 1 ]; then gui "$tmp/gui-$i"; cli "$tmp/cli-$i"; else cli "$tmp/cli-$i"; gui "$tmp/gui-$i"; fi
    g=$(median "$(ls -d "$tmp/gui-$i"/*/ | head -1)metrics.jsonl")
    c=$(median "$tmp/cli-$i/metrics.jsonl")
    echo "pair $i: GUI $g images/s, CLI $c images/s, ratio $(python3 -c "print(f'{$g / $c:.3f}')") (load $(cut -d' ' -f1 /proc/loadavg))"
    i=$((i + 1))
done
