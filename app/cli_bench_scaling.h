#pragma once
// carilab-cli bench --nproc-per-node N: data-parallel scaling, measured on real trainings.
// The bench runs `carilab-cli train` (this same program) twice into temporary run folders,
// once with 1 rank and once with --nproc-per-node N: same backbone, strategy, precision and
// global batch, warm-up + measured steps, a metrics record every step and no evaluation,
// checkpoint or inspection on the way; then reads both folders (perf/scaling_bench.h) and
// reports the whole job's images/s of each and the scaling efficiency.
#include "cli_args.h"
#include "cli_commands.h"

namespace carilab::cli {

// Declares --nproc-per-node and --device on bench's options.
void declareScalingOptions(Args& a);
// True when the command line asks for the scaling bench (--nproc-per-node given).
bool wantsScalingBench(const Args& a);
// Runs it with bench's parsed options; argv is the command line (to refuse options that only
// the one-process bench measures). UsageError on bad options; std::runtime_error naming a
// failed training with its last output lines.
int runScalingBench(const Args& a, const Argv& argv);

}  // namespace carilab::cli
