#pragma once
// carilab-cli train --nproc-per-node N [--nnodes M --node-rank R --master-addr A --master-port P]:
// with more than one process in all, the command trains nothing itself. It starts this node's N
// ranks as child processes of the same program, with the same arguments less these options and
// torchrun's variables (RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR,
// MASTER_PORT), so a rank reads its place in the job exactly as under torchrun or Slurm
// (dist/launch_env.h), and it supervises them (rank_supervisor.h).
#include "cli_args.h"
#include "cli_commands.h"

#include <chrono>
#include <string>

namespace carilab::cli {

struct LaunchOptions {
    int nprocPerNode = 1;
    int nnodes = 1;
    int nodeRank = 0;
    std::string masterAddr = "127.0.0.1";
    int masterPort = 0;  // 0: picked free at launch (one node only)
    bool launches() const { return nprocPerNode > 1 || nnodes > 1; }
    int worldSize() const { return nprocPerNode * nnodes; }
};

// Declares --nproc-per-node, --nnodes, --node-rank, --master-addr, --master-port.
void declareLaunchOptions(Args& a);
// The launcher options given; UsageError for a combination that cannot run.
LaunchOptions launchOptionsFrom(const Args& a);
// argv less the launcher's own options: what every rank is started with.
Argv withoutLaunchOptions(const Argv& argv);
// LibTorch threads for each of n ranks on this machine when none were asked for: the cores
// shared out, at least one each (more would only make the ranks wait on each other).
int threadsPerRank(int n);

// Starts this node's ranks with rankArgs (the train command's arguments), supervises them and
// returns the launcher's exit status: 0 only when every rank exited 0. timeout: the ranks'
// collective timeout, within which a survivor notices a dead peer and ends on its own.
int launchRanks(const LaunchOptions& o, const Argv& rankArgs, std::chrono::milliseconds timeout);

}  // namespace carilab::cli
