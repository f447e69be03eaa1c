#!/usr/bin/env python3
"""Prints one markdown table row per `carilab-cli eval --protocol cavi --json` result file.

usage: datasets/cavi/eval_row.py LABEL=FILE [LABEL=FILE ...]
Columns as Table I's (docs/results-cavi.md) without training time and split: verification
10-fold accuracy ± std, AUC, TAR@FAR 1 %, visual id, caricature id, C2P and P2C Rank-1 / Rank-10.
For results that belong to no single run (an ensemble of runs) or were saved by hand.
"""
import json
import sys


def pct(x):
    return f"{100 * x:.1f}"


def row(label, path):
    with open(path) as f:
        t = json.load(f)
    v, c = t["verification"], t["classification"]
    c2p, p2c = t["identification"]["mean"], t["identification_p2c"]["mean"]
    return (f"| {label} | {pct(v['mean']['accuracy'])} ± {pct(v['std']['accuracy'])} | {v['mean']['auc']:.3f} | "
            f"{pct(v['mean']['val_far_1%'])} | {pct(c['visual_acc'])} | {pct(c['caricature_acc'])} | "
            f"{pct(c2p['rank1'])} / {pct(c2p['rank10'])} | {pct(p2c['rank1'])} / {pct(p2c['rank10'])} |")


def main():
    if len(sys.argv) < 2 or any("=" not in a for a in sys.argv[1:]):
        sys.exit(__doc__)
    print("| model | verification acc % | AUC | TAR@FAR 1 % | visual id % | caricature id % | C2P R1 / R10 % | P2C R1 / R10 % |")
    print("|---|---|---|---|---|---|---|---|")
    for arg in sys.argv[1:]:
        label, path = arg.split("=", 1)
        print(row(label, path))


if __name__ == "__main__":
    main()
