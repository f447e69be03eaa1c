#include "cli_train_rank.h"

#include "dist/process_group_replicas.h"

#include <iostream>
#include <stdexcept>

namespace carilab::cli {

void declareRankOptions(Args& a)
{
    a.option("dist-timeout", "S",
             "data-parallel jobs: seconds a collective may wait for the other ranks (a dead or hung rank ends the job within it); "
             "default CARILAB_DIST_TIMEOUT, else 120")
        .flag("sync-bn", "data-parallel jobs: batch norm over the global batch (every rank's images) instead of each rank's share")
        .option("check-replicas", "K",
                "data-parallel jobs: every K steps each rank logs a fingerprint of its model and the job fails if any differs from "
                "rank 0's (a debugging aid; costs a pass over the weights)");
}

std::chrono::milliseconds distTimeout(const Args& a)
{
    if (a.has("dist-timeout")) return std::chrono::seconds(a.getIntIn("dist-timeout", 1, 24 * 3600));
    try {
        return dist::timeoutFrom(dist::processEnvironment());
    } catch (const std::invalid_argument& e) {
        throw UsageError(e.what());
    }
}

std::optional<dist::LaunchEnv> thisRank()
{
    try {
        return dist::launchEnvFrom(dist::processEnvironment());
    } catch (const std::invalid_argument& e) {
        throw UsageError(std::string("the data-parallel launch variables: ") + e.what());
    }
}

void placeOnRankDevice(run::DeviceChoice& d, const dist::LaunchEnv& env)
{
    if (d.kind == run::DeviceKind::Cuda && d.index < 0) d.index = env.localRank;
}

std::shared_ptr<nn::Replicas> joinJob(const dist::LaunchEnv& env, bool cuda, std::chrono::milliseconds timeout)
{
    return dist::ProcessGroupReplicas::connect(env, dist::ProcessGroupReplicas::backendFor(cuda), timeout);
}

std::string fromRank(const std::string& message, int rank)
{
    return message.rfind("rank ", 0) == 0 ? message : "rank " + std::to_string(rank) + ": " + message;
}

bool showOtherRankEvent(const run::TrainerEvent& e, int rank)
{
    using K = run::TrainerEvent::Kind;
    if (e.kind == K::Warning) std::cerr << "warning: " << e.message << std::endl;
    if (e.kind != K::Error) return false;
    std::cerr << "carilab-cli train: error: " << fromRank(e.message, rank) << std::endl;
    return true;
}

}  // namespace carilab::cli
