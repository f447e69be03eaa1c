#!/usr/bin/env python3
"""Prints Table I's rows (markdown) from the runs datasets/cavi/table1.sh made.

usage: datasets/cavi/table1_markdown.py RUNS_DIR [STEPS] [SEED] [TAG] [mirror]
(TAG: the run folder prefix table1.sh was given, e.g. trunk0.1- for an ablation's rows; mirror:
read RUN/testing_1--mirror.json, the same checkpoint evaluated with `eval --mirror`, instead)
Each row reads RUN/testing_1.json (eval --checkpoint best on testing_1), RUN/eval.json (the step
chosen on validation) and RUN/metrics.jsonl (training time: the last record's time_s; split: the held-out evaluations'). Rows without
RUN/testing_1.json print as "not measured yet".
"""
import json
import os
import sys

ROWS = ["dynamic", "naive", "equal", "static", "single-verification", "single-caricature",
        "single-visual", "uncertainty", "gradnorm", "dwa"]


def pct(x):
    return f"{100 * x:.1f}"


def row(runs, name, steps, seed, tag="", result="testing_1.json"):
    run = os.path.join(runs, f"cavi-{tag}{name}-{steps}" + ("" if seed == "1" else f"-seed{seed}"))
    try:
        with open(os.path.join(run, result)) as f:
            t = json.load(f)
    except FileNotFoundError:
        return f"| {tag}{name} | not measured yet |" + " |" * 9
    with open(os.path.join(run, "eval.json")) as f:
        # A refit run holds nothing out: its model is its last checkpoint.
        best = json.load(f).get("best", {}).get("step", "last")
    seconds, split = 0.0, "?"
    with open(os.path.join(run, "metrics.jsonl")) as f:
        for line in f:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            seconds = max(seconds, record.get("time_s", 0.0))
            split = record.get("split", split)
    if split == "?":  # no held-out evaluation recorded one (a refit run): the config's
        with open(os.path.join(run, "config.json")) as f:
            split = json.load(f).get("split", "?")
    v, c = t["verification"], t["classification"]
    # A single-task row's other identification heads were never trained: shown as "–".
    visual = pct(c["visual_acc"]) if name in ("single-visual",) or not name.startswith("single-") else "–"
    caricature = pct(c["caricature_acc"]) if name in ("single-caricature",) or not name.startswith("single-") else "–"
    c2p, p2c = t["identification"]["mean"], t["identification_p2c"]["mean"]
    return (f"| {tag}{name} | {pct(v['mean']['accuracy'])} ± {pct(v['std']['accuracy'])} | {v['mean']['auc']:.3f} | "
            f"{pct(v['mean']['val_far_1%'])} | {visual} | {caricature} | "
            f"{pct(c2p['rank1'])} / {pct(c2p['rank10'])} | {pct(p2c['rank1'])} / {pct(p2c['rank10'])} | "
            f"{seconds / 60:.0f} min | {best} | {split} |")


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    runs = sys.argv[1]
    steps = sys.argv[2] if len(sys.argv) > 2 else "700"
    seed = sys.argv[3] if len(sys.argv) > 3 else "1"
    tag = sys.argv[4] if len(sys.argv) > 4 else ""
    result = "testing_1--mirror.json" if len(sys.argv) > 5 and sys.argv[5] == "mirror" else "testing_1.json"
    print("| row | verification acc % | AUC | TAR@FAR 1 % | visual id % | caricature id % | C2P R1 / R10 % | "
          "P2C R1 / R10 % | training | best step | split |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name in ROWS:
        print(row(runs, name, steps, seed, tag, result))


if __name__ == "__main__":
    main()
