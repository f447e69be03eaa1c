#include "run/model_selection.h"

#include <filesystem>

namespace carilab::run {

std::optional<double> selectionScore(const nlohmann::json& heldOut)
{
    double sum = 0;
    int n = 0;
    for (const char* key : {"verification_acc", "caricature_acc", "visual_acc"}) {
        const auto it = heldOut.find(key);
        if (it == heldOut.end() || !it->is_number()) continue;
        sum += it->get<double>();
        ++n;
    }
    if (n == 0) return std::nullopt;
    return sum / n;
}

std::string bestCheckpointDir(const RunDirectory& rd) { return (std::filesystem::path(rd.checkpointsDir()) / kBestCheckpoint).string(); }

BestCheckpointKeeper::BestCheckpointKeeper(RunDirectory& rd) : rd_(rd)
{
    const auto ev = rd_.eval();
    if (ev.contains("best") && ev["best"].contains("score") && ev["best"]["score"].is_number()) best_ = ev["best"]["score"].get<double>();
}

bool BestCheckpointKeeper::offer(long long step, const nlohmann::json& heldOut, const TrainingState& state, const nlohmann::json& meta)
{
    const auto score = selectionScore(heldOut);
    if (!score || (best_ && *score <= *best_)) return false;
    const std::string path = saveCheckpoint(bestCheckpointDir(rd_), step, state, meta, 1);
    best_ = score;
    rd_.mergeEval({{"best",
                    {{"step", step},
                     {"score", *score},
                     {"score_is", "mean of the held-out accuracies (verification, caricature and visual identification)"},
                     {"held_out", heldOut.value("held_out", std::string("test"))},
                     {"checkpoint", path}}}});
    rd_.log("best held-out score so far at step " + std::to_string(step) + ": " + std::to_string(*score) + " (" + path + ")");
    return true;
}

}  // namespace carilab::run
