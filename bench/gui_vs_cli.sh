#!/bin/sh
# Training throughput with the GUI open and plotting against the same run from the CLI
# (docs/performance.md). Each round starts the "Figure 3 demo" (tiny backbone, dynamic, RMSProp
# lr 0.1, batch 64, 400 steps on CariSynth) in three arms at once:
#   cli      carilab-cli train
#   visible  carilab --demo, the Train tab shown and plotting live
#   hidden   carilab --demo --tab Evaluation: the same GUI process with nothing to draw, which
#            separates the cost of drawing from the cost of being a GUI process at all
# and lets only one run at a time: each gets the machine for a 2 s slice in turn (SIGSTOP /
# SIGCONT) until all have finished. This VM's speed wanders by tens of percent within minutes;
# run one after another, a drift lands on one arm, while slices spread it over all three (two CLI
# arms measured this way agreed within 1-3%). A step cut by a pause is one slow outlier; each
# run's figure is the median images_per_s over metrics.jsonl (the first fifth left out: start-up
# and the first epoch's decoding). Prints each round with every process's page faults and CPU
# time, then the mean of each round's ratio and its standard error.
#   bench/gui_vs_cli.sh [ROUNDS]      (needs xvfb-run)
set -eu
n=${1:-6}
here=$(cd "$(dirname "$0")" && pwd)
bin=$(cd "${CARILAB_BIN:-$here/../build/release/app}" && pwd)
[ -x "$bin/carilab" ] && [ -x "$bin/carilab-cli" ] || { echo "gui_vs_cli.sh: build carilab and carilab-cli first" >&2; exit 1; }
command -v xvfb-run >/dev/null || { echo "gui_vs_cli.sh: needs xvfb-run (apt install xvfb)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin/carilab-cli" synth --out "$tmp/cs" >/dev/null
python3 - "$bin" "$tmp" "$n" <<'PY'
import glob, json, os, signal, statistics, subprocess, sys, time
bin_, tmp, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
data, kinds, slice_s = f"{tmp}/cs", ["cli", "visible", "hidden"], 2.0

def finished(d):
    return any('"finished"' in open(f).read() for f in glob.glob(f"{d}/*/status.json"))

def gui_pid(d):
    # xvfb-run starts the GUI as a grandchild; its command line starts with its path.
    out = subprocess.run(["pgrep", "-f", f"^{bin_}/carilab --demo --demo-data {data} --runs {d}"], capture_output=True, text=True).stdout.split()
    return int(out[0]) if out else None

def median_rate(d):
    f = glob.glob(f"{d}/*/metrics.jsonl")
    xs = [json.loads(l)["images_per_s"] for l in open(f[0]) if '"images_per_s"' in l] if f else []
    xs = xs[len(xs) // 5:]
    return statistics.median(xs) if xs else float("nan")

def start(kind, d):
    os.makedirs(d)
    if kind == "cli":
        p = subprocess.Popen([f"{bin_}/carilab-cli", "train", "--dataset", data, "--run-dir", f"{d}/run", "--backbone", "tiny",
                              "--strategy", "dynamic", "--optimizer", "rmsprop", "--lr", "0.1", "--batch", "64", "--steps", "400", "--plain"],
                             stdout=subprocess.DEVNULL, stderr=open(f"{d}/log", "w"))
        pid = p.pid
    else:
        extra = ["--tab", "Evaluation"] if kind == "hidden" else []
        p = subprocess.Popen(["xvfb-run", "-a", "-e", f"{d}/xvfb.log", "-s", "-screen 0 1600x1000x24", f"{bin_}/carilab", "--demo", "--demo-data", data,
                              "--runs", d] + extra, stdout=subprocess.DEVNULL, stderr=open(f"{d}/log", "w"))
        deadline = time.time() + 60
        while (pid := gui_pid(d)) is None:
            if time.time() > deadline: sys.exit(f"gui_vs_cli.sh: the GUI for {d} did not start")
            time.sleep(0.01)
    os.kill(pid, signal.SIGSTOP)
    return {"kind": kind, "pid": pid, "dir": d, "popen": p}

def usage(a):
    # (minor faults, user s, system s) of a finished process: wait4 for our own child (the CLI),
    # /proc for the GUI (xvfb-run's child) before it is closed.
    if a["kind"] == "cli":
        pid, _, ru = os.wait4(a["pid"], os.WNOHANG)
        return (ru.ru_minflt, ru.ru_utime, ru.ru_stime) if pid == a["pid"] else None
    if not finished(a["dir"]): return None
    st = open(f"/proc/{a['pid']}/stat").read()
    f = st[st.rindex(")") + 2:].split()
    tick = os.sysconf("SC_CLK_TCK")
    return (int(f[7]), int(f[11]) / tick, int(f[12]) / tick)

ratios = {"visible/cli": [], "hidden/cli": [], "visible/hidden": []}
for r in range(1, rounds + 1):
    arms = [start(k, f"{tmp}/r{r}-{k}") for k in kinds]
    live = arms[r % 3:] + arms[:r % 3]   # who goes first rotates
    k = 0
    while live:
        a = live[k % len(live)]
        try:
            os.kill(a["pid"], signal.SIGCONT)
        except ProcessLookupError:
            sys.exit(f"gui_vs_cli.sh: the {a['kind']} run ended before finishing; its output:\n" + open(f"{a['dir']}/log").read()[-3000:])
        time.sleep(slice_s)
        a["usage"] = usage(a)
        if a["usage"] is None:
            os.kill(a["pid"], signal.SIGSTOP)
            k += 1
            continue
        if a["kind"] != "cli":
            os.kill(a["pid"], signal.SIGTERM)   # the run has finished; xvfb-run then exits with its server
            a["popen"].wait()
        live.remove(a)
    rate = {a["kind"]: median_rate(a["dir"]) for a in arms}
    c, v, h = rate["cli"], rate["visible"], rate["hidden"]
    rr = {"visible/cli": v / c, "hidden/cli": h / c, "visible/hidden": v / h}
    for key in ratios: ratios[key].append(rr[key])
    print(f"round {r}: " + ", ".join(f"{a['kind']} {rate[a['kind']]:.1f} images/s (faults {a['usage'][0]}, user {a['usage'][1]:.1f} s, "
                                     f"sys {a['usage'][2]:.1f} s)" for a in arms) + "; " + ", ".join(f"{k} {x:.3f}" for k, x in rr.items()), flush=True)
for key, xs in ratios.items():
    se = statistics.stdev(xs) / len(xs) ** 0.5 if len(xs) > 1 else float("nan")
    print(f"{key}: {statistics.mean(xs):.3f} ± {se:.3f} (mean ± standard error, {len(xs)} rounds)")
PY
