#pragma once
// carilab-cli train as one rank of a data-parallel job, however it was launched: by carilab-cli's
// own launcher (rank_launcher.h), torchrun, or Slurm (dist/launch_env.h). The rank joins the job
// (c10d rendezvous, then a Gloo or NCCL process group) before the trainer starts; rank 0 shows
// the progress, the others only their warnings and errors.
#include "cli_args.h"

#include "dist/launch_env.h"
#include "run/event_queue.h"
#include "run/train_config.h"

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace carilab::nn {
class Replicas;
}

namespace carilab::cli {

// Declares --dist-timeout.
void declareRankOptions(Args& a);
// The collectives' timeout: --dist-timeout, else CARILAB_DIST_TIMEOUT, else 120 s.
std::chrono::milliseconds distTimeout(const Args& a);
// Who this process is in a job, from the launch variables; nullopt when it trains alone. A
// malformed variable is a UsageError naming it.
std::optional<dist::LaunchEnv> thisRank();
// One GPU per rank: "cuda" becomes cuda:LOCAL_RANK; an explicit cuda:N is kept (a cluster that
// gives each rank its own CUDA_VISIBLE_DEVICES).
void placeOnRankDevice(run::DeviceChoice& d, const dist::LaunchEnv& env);
// Joins the job: blocks until every rank is there; std::runtime_error naming the rank otherwise.
std::shared_ptr<nn::Replicas> joinJob(const dist::LaunchEnv& env, bool cuda, std::chrono::milliseconds timeout);
// The message as it names the rank it comes from ("rank 1: ..."), unless it already does.
std::string fromRank(const std::string& message, int rank);
// An event of a rank other than 0: warnings and errors only, on stderr (the launcher prefixes
// them with the rank). True for an error.
bool showOtherRankEvent(const run::TrainerEvent& e, int rank);

}  // namespace carilab::cli
