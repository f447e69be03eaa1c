#pragma once
// The network's base learning rate at a step: the schedule (per epoch or per step), times a
// cosine decay when asked, times a linear warm-up over the first steps. Param groups then take
// their multiples of it (nn::NetworkOptimizer).
#include "run/train_config.h"

namespace carilab::run {

// step: steps already taken (0 for the first update); totalSteps: the run's length.
//   schedule: lr_schedule_steps' last entry at or before step when given (optimizer.lr before its
//             first), else lr_schedule by epoch (step / batchesPerEpoch), else optimizer.lr;
//   cosine:   x 0.5 (1 + cos(pi p)), p = (step - warmup) / (totalSteps - warmup) in [0, 1];
//   warm-up:  x (step + 1) / warmup_steps while step < warmup_steps.
double learningRateAt(const TrainConfig& c, long long step, long long totalSteps, long long batchesPerEpoch);

}  // namespace carilab::run
