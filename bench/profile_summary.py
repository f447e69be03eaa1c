#!/usr/bin/env python3
"""Totals a Chrome trace from `carilab-cli bench --profile` or `pytorch_reference.py --profile` per op.

    bench/profile_summary.py carilab.json [pytorch.json] [--top 25]

Self time per op name (an op's time minus the ops it called), summed over the profiled steps,
in ms per step; with two traces, side by side with the difference, so where one implementation
spends more than the other stands out. Standard library only.
"""
import argparse
import json
from collections import defaultdict


def self_times(path, steps):
    with open(path) as f:
        doc = json.load(f)
    events = doc["traceEvents"] if isinstance(doc, dict) else doc
    # Complete events ("X") carry ts and dur (microseconds); nested ones on the same thread
    # are calls made by the enclosing op.
    by_thread = defaultdict(list)
    for e in events:
        if e.get("ph") == "X" and "dur" in e:
            by_thread[(e.get("pid"), e.get("tid"))].append(e)
    totals = defaultdict(float)
    wall = 0.0
    for evs in by_thread.values():
        evs.sort(key=lambda e: (e["ts"], -e["dur"]))
        stack = []
        for e in evs:
            start, end = e["ts"], e["ts"] + e["dur"]
            while stack and stack[-1][1] <= start:
                stack.pop()
            if stack:
                totals[stack[-1][0]] -= e["dur"]   # the parent's self time excludes this call
            else:
                wall += e["dur"]
            totals[e["name"]] += e["dur"]
            stack.append((e["name"], end))
    return {k: v / 1000.0 / steps for k, v in totals.items()}, wall / 1000.0 / steps


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("traces", nargs="+")
    ap.add_argument("--steps", type=int, default=3, help="steps in each trace")
    ap.add_argument("--top", type=int, default=25)
    a = ap.parse_args()
    runs = [self_times(t, a.steps) for t in a.traces[:2]]
    names = sorted(set().union(*[r[0] for r in runs]), key=lambda n: -max(r[0].get(n, 0.0) for r in runs))
    head = "".join(f"{t[-28:]:>30}" for t in a.traces[:2])
    print(f"{'op (self ms per step)':44}{head}" + (f"{'difference':>12}" if len(runs) == 2 else ""))
    for n in names[: a.top]:
        vals = [r[0].get(n, 0.0) for r in runs]
        line = f"{n[:43]:44}" + "".join(f"{v:30.1f}" for v in vals)
        if len(runs) == 2:
            line += f"{vals[0] - vals[1]:12.1f}"
        print(line)
    print(f"{'profiled top-level time per step':44}" + "".join(f"{r[1]:30.1f}" for r in runs))


if __name__ == "__main__":
    main()
