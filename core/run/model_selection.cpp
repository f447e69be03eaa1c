#include "run/model_selection.h"

#include "run/eval_records.h"

#include <cmath>
#include <filesystem>

namespace carilab::run {

std::optional<double> selectionScore(const HeldOutFigures& heldOut)
{
    double sum = 0;
    int n = 0;
    const std::optional<double> acc = heldOut.verification ? std::optional<double>(heldOut.verification->acc) : std::nullopt;
    for (const auto& a : {acc, heldOut.caricatureAcc, heldOut.visualAcc}) {
        if (!a || !std::isfinite(*a)) continue;  // NaN: a set without that modality
        sum += *a;
        ++n;
    }
    if (n == 0) return std::nullopt;
    return sum / n;
}

std::string bestCheckpointDir(const RunDirectory& rd) { return (std::filesystem::path(rd.checkpointsDir()) / kBestCheckpoint).string(); }

BestCheckpointKeeper::BestCheckpointKeeper(RunDirectory& rd) : rd_(rd)
{
    if (const auto best = readEvalFile(rd_.evalPath()).best; best && std::isfinite(best->score)) best_ = best->score;
}

bool BestCheckpointKeeper::offer(const HeldOutRecord& heldOut, const TrainingState& state, const nlohmann::json& meta)
{
    const long long step = heldOut.step;
    const auto score = selectionScore(heldOut.figures);
    if (!score || (best_ && *score <= *best_)) return false;
    const std::string path = saveCheckpoint(bestCheckpointDir(rd_), step, state, meta, 1);
    best_ = score;
    const BestRecord best{step, *score, "mean of the held-out accuracies (verification, caricature and visual identification)",
                          heldOut.heldOut.empty() ? std::string("test") : heldOut.heldOut, path};
    rd_.mergeEval({{"best", toJson(best)}});
    rd_.log("best held-out score so far at step " + std::to_string(step) + ": " + std::to_string(*score) + " (" + path + ")");
    return true;
}

}  // namespace carilab::run
