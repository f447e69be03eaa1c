#include "run/training_restore.h"

#include "run/metrics_log.h"

#include <stdexcept>

namespace carilab::run {

ResumePoint restoreTraining(const RunDirectory& dir, const TrainingState& state, const nlohmann::json& meta, const WarningSink& warn)
{
    // A process killed mid-write leaves temp files; they are never checkpoints.
    removeStaleCheckpointTemps(dir.checkpointsDir());
    dir.removeStaleTempFiles();
    const auto ckpts = listCheckpoints(dir.checkpointsDir());
    ResumePoint p;
    bool loaded = false;
    for (auto it = ckpts.rbegin(); it != ckpts.rend() && !loaded; ++it) {
        try {
            p.step = loadCheckpoint(it->second, state, meta);
            dir.log("resumed from " + it->second);
            loaded = true;
        } catch (const std::exception& e) {
            warn(e.what());
        }
    }
    if (!ckpts.empty() && !loaded)
        throw std::runtime_error(dir.checkpointsDir() + ": none of the " + std::to_string(ckpts.size()) +
                                 " checkpoint(s) can be loaded (see the warnings above); move them away to restart this run from step 0");
    truncateMetricsAfter(dir.metricsPath(), p.step);
    const auto m = dir.metrics();
    if (!m.train.empty()) p.timeOffset = m.train.back().timeS;
    return p;
}

}  // namespace carilab::run
