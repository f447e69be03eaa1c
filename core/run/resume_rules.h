#pragma once
// What a resume may change, written once for the CLI, the GUI and the trainer: a run keeps its
// own recipe (config.json); only its budget may grow, and only in the run's own unit (a step
// count for a run that counts steps, epochs for one that counts epochs).
#include "run/train_config.h"

namespace carilab::run {

struct ResumeBudget {
    long long steps = 0;  // 0: not given
    double epochs = 0;  // 0: not given
};

// The stored config with the budget applied. Throws std::invalid_argument, naming the option,
// when the request would shorten the run or give it a budget in the other unit.
TrainConfig resumedConfig(const TrainConfig& stored, const ResumeBudget& request);

}  // namespace carilab::run
