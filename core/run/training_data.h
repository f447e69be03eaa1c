#pragma once
// The data part of a training session: the indexed dataset (checked against the run's
// fingerprint) and its split into training and held-out images.
#include "data/dataset_index.h"
#include "data/splits.h"
#include "run/run_directory.h"
#include "run/train_config.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace carilab::run {

// Receives each warning a part raises (the trainer logs it and publishes it as an event).
using WarningSink = std::function<void(const std::string&)>;

struct TrainingData {
    std::shared_ptr<const data::DatasetIndex> index;
    SplitKind splitKind = SplitKind::Image;  // resolved: never Auto
    data::Split split;
    // Models are selected on the validation images when the protocol has them, never on test.
    std::vector<int> heldOut;
    std::string heldOutName;  // validation | test | none (refit: heldOut is empty)
};

TrainingData loadTrainingData(const TrainConfig& config, const RunDirectory& dir, const WarningSink& warn);

}  // namespace carilab::run
