#pragma once
// The restore part of a resumed training session: the newest loadable checkpoint, with the
// run's metrics cut back to it (a killed run logged steps past its last checkpoint).
#include "run/checkpoint.h"
#include "run/run_directory.h"
#include "run/training_data.h"

#include <nlohmann/json.hpp>

namespace carilab::run {

struct ResumePoint {
    long long step = 0;
    double timeOffset = 0.0;  // seconds the run had trained before, so its clock continues
};

// A damaged newest checkpoint falls back to the one before (each failure is a warning); none
// loadable throws rather than restarting from step 0 over the run's history.
ResumePoint restoreTraining(const RunDirectory& dir, const TrainingState& state, const nlohmann::json& meta, const WarningSink& warn);

}  // namespace carilab::run
