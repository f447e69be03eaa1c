#!/bin/sh
# Table I on CaVI (docs/results-cavi.md): every row is the preset "CaVI fine-tune" with its own
# weighting strategy, cut to the same number of steps, its checkpoint selected on validation.txt
# and then evaluated once on testing_1. Rows already finished are skipped, interrupted ones resumed.
#
#   datasets/cavi/table1.sh CAVI_DIR RUNS_DIR [ROW...]
#   env: CARILAB_CLI (default carilab-cli), STEPS (700), SEED (1), THREADS (all cores),
#        CONFIG (default the preset; an ablation's config file), TAG (run folder prefix, e.g. trunk0.1-)
# rows: dynamic naive equal static single-verification single-caricature single-visual
#       uncertainty gradnorm dwa
set -eu
[ $# -ge 2 ] || { sed -n '2,10p' "$0"; exit 2; }
cavi=$1; runs=$2; shift 2
cli=${CARILAB_CLI:-carilab-cli}
steps=${STEPS:-700}; seed=${SEED:-1}
preset=${CONFIG:-"$(cd "$(dirname "$0")/../.." && pwd)/resources/presets/cavi-finetune.json"}
tag=${TAG:-}
rows=${*:-dynamic naive equal static single-verification single-caricature single-visual uncertainty gradnorm dwa}
threads=${THREADS:+--threads $THREADS}

strategy_of() {
    case $1 in
        single-*) echo "single:${1#single-}" ;;
        # The official code's commented-out fixed weights 0.55 / 0.30 / 0.15 (verification /
        # visual / caricature), given in CariLab's task order (verification, caricature, visual).
        static) echo "static:0.55,0.15,0.30" ;;
        *) echo "$1" ;;
    esac
}

mkdir -p "$runs"
for row in $rows; do
    dir="$runs/cavi-$tag$row-$steps"; [ "$seed" = 1 ] || dir="$dir-seed$seed"
    result="$dir/testing_1.json"
    [ -s "$result" ] && { echo "$row: done ($result)"; continue; }
    resume=""; [ -f "$dir/config.json" ] && resume="--resume"
    if ! grep -q '"finished"' "$dir/status.json" 2>/dev/null; then
        echo "$row: training $(strategy_of "$row") for $steps steps in $dir"
        "$cli" train --config "$preset" --dataset "$cavi" --run-dir "$dir" $resume \
            --strategy "$(strategy_of "$row")" --steps "$steps" --eval-every $((steps / 2)) \
            --seed "$seed" --plain $threads
    fi
    echo "$row: evaluating the best-on-validation checkpoint on testing_1"
    "$cli" eval --run "$dir" --checkpoint best --protocol cavi --pairs testing_1 --json $threads \
        > "$result.tmp"
    mv "$result.tmp" "$result"
done
