#pragma once
// Honest model selection: the run keeps the checkpoint whose held-out evaluation (CaVI's
// validation.txt images under the protocol split, never testing_1's) scored best, in
// checkpoints/best/, and eval.json's "best" says which step, by what score. `eval`, `match`
// and the GUI pick it with checkpoint "best"; the test list is for the final table only.
#include "run/checkpoint.h"
#include "run/metrics_records.h"
#include "run/run_directory.h"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace carilab::run {

constexpr const char* kBestCheckpoint = "best";

// The selection score of one held-out evaluation: the mean of the accuracies the network has
// (caricature-photo verification, and caricature and visual identification when it has
// heads); nullopt when there is none.
std::optional<double> selectionScore(const HeldOutFigures& heldOut);

// <run>/checkpoints/best.
std::string bestCheckpointDir(const RunDirectory& rd);

// Tracks the best score of a run (restored from eval.json on resume) and saves a checkpoint
// when an evaluation beats it.
class BestCheckpointKeeper {
public:
    explicit BestCheckpointKeeper(RunDirectory& rd);
    // True when `heldOut` is the best so far: its checkpoint was written and eval.json's "best"
    // updated.
    bool offer(const HeldOutRecord& heldOut, const TrainingState& state, const nlohmann::json& meta);

private:
    RunDirectory& rd_;
    std::optional<double> best_;
};

}  // namespace carilab::run
