#pragma once
// One optimisation step of a training session, and the metrics.jsonl record that logs it.
#include "data/batch_loader.h"
#include "nn/gradient_conflict.h"
#include "nn/task_losses.h"
#include "nn/weighting_strategy.h"
#include "run/data_parallel.h"
#include "run/metrics_records.h"
#include "run/train_config.h"
#include "run/training_model.h"

#include <torch/torch.h>

#include <optional>

namespace carilab::run {

struct StepOutcome {
    nn::TaskLosses losses;
    nn::StrategyOutput strategy;
    torch::Tensor isCaricature;  // [N] the batch's modalities, for the per-sample weight bands
    std::optional<nn::GradientConflict> grad;  // on inspected steps only
};

// Forward, the strategy's weighting, backward, clipping, the optimiser's and the centres'
// updates. `step` is the step about to be taken (0-based); a non-finite task loss throws,
// naming `lastCheckpoint` (-1: none yet) as the one kept. inspect: also measure the tasks'
// gradient conflict on the shared layers (nn/gradient_conflict.h), which leaves the update as is.
// With model.replicas (one rank of a data-parallel job), `global` is the step's global batch
// (exchangeStepStart) and every rank takes the same update from it.
StepOutcome trainStep(TrainingModel& model, const data::Batch& batch, const TrainConfig& config, torch::Device device, long long step,
                      long long batchesPerEpoch, long long lastCheckpoint, bool inspect = false, const GlobalBatch& global = {});

// Whether the step about to be taken (0-based) is inspected: every resolvedInspectEvery steps.
bool inspectsStep(const TrainConfig& config, long long step, long long totalSteps);

struct StepClock {
    double timeS = 0;  // the run's training time at this record (continues across resumes)
    double imagesPerS = 0;
    double dataWait = 0;  // share of the interval spent waiting for the loader
};

// The "train" record of metrics.jsonl for the step just taken (`step` is its 1-based count).
StepRecord trainRecord(const StepOutcome& o, const TrainingModel& model, long long step, long long batchesPerEpoch, double lr,
                       const StepClock& clock);

}  // namespace carilab::run
