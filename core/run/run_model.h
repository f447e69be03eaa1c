#pragma once
// A trained run's network, ready for inference: evaluation, matching and embedding all load
// models through here, so they agree on checkpoint choice and preprocessing.
#include "data/image_pipeline.h"
#include "nn/multitask_net.h"
#include "run/train_config.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace carilab::run {

struct RunModel {
    nn::MultiTaskNet net{nullptr};        // in eval mode, on `device`
    TrainConfig config;
    std::string checkpoint;               // the file loaded
    long long step = 0;
    std::vector<std::string> classes;     // identity name per output class
    data::PipelineOptions pipeline;       // the run's test-time preprocessing
    torch::Device device{torch::kCPU};
};

// checkpoint: "latest" (newest readable), or a path to a step-*.pt file. device: "" = the
// run's own device. Throws with the run and the reason (no checkpoint yet, damaged file, a
// checkpoint that does not fit the configured backbone).
RunModel loadRunModel(const std::string& runDir, const std::string& checkpoint = "latest", const std::string& device = "");

}  // namespace carilab::run
