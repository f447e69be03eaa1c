#pragma once
// A trained run's network, ready for inference: evaluation, matching and embedding all load
// models through here, so they agree on checkpoint choice and preprocessing.
#include "data/dataset_index.h"
#include "data/image_pipeline.h"
#include "nn/multitask_net.h"
#include "run/train_config.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace carilab::run {

struct RunModel {
    nn::MultiTaskNet net{nullptr};  // in eval mode, on `device`
    TrainConfig config;
    std::string checkpoint;  // the file loaded
    long long step = 0;
    std::vector<std::string> classes;  // identity name per output class
    data::PipelineOptions pipeline;  // the run's test-time preprocessing
    torch::Device device{torch::kCPU};
    std::string pretrained;  // the zero-shot model's name ("face-resnet"); empty for a run
};

// checkpoint: "latest" (newest readable), "best" (the best by held-out evaluation,
// run/model_selection.h), or a path to a step-*.pt file. device: "" = the
// run's own device. Throws with the run and the reason (no checkpoint yet, damaged file, a
// checkpoint that does not fit the configured backbone).
RunModel loadRunModel(const std::string& runDir, const std::string& checkpoint = "latest", const std::string& device = "");

// The zero-shot baseline: a pretrained backbone's network as built, without training and without
// classification heads, so its embedding is the pretrained descriptor (L2-normalised; cosine
// scores). `checkpoint` is the weights manifest (gallery caches key on it), `classes` is empty,
// `step` 0 and config.dataset empty. face-resnet crops as face-api does (its images' face-api
// boxes, data/face_boxes.h); call useDatasetCrop once the dataset is known.
// Throws pretrained::PretrainedMissing (saying what to run) when the weights are not fetched,
// std::invalid_argument for a name that is not a pretrained backbone.
RunModel loadPretrainedModel(const std::string& backbone, const std::string& device = "");
std::vector<std::string> pretrainedModelNames();  // {"face-resnet"}

// A run-less model's crop on `index`: face-api's crop for a backbone made for it; else align
// with the 5 landmarks when its images have them, else crop to their face box when they have
// one, else the whole image.
void useDatasetCrop(RunModel& model, const data::DatasetIndex& index);

}  // namespace carilab::run
