#pragma once
// Per-sample task weights summarised by modality (issue #23): the dynamic and naive units
// weigh each sample by its own softmax before taking the batch mean; these summaries show
// whether the unit weighs caricatures and photos differently.
#include "nn/tasks.h"

#include <torch/torch.h>

#include <array>
#include <cstdint>
#include <optional>

namespace carilab::nn {

// The distribution of one modality's per-sample weights, per task.
struct WeightBand {
    std::int64_t samples = 0;
    std::array<double, kNumTasks> mean{}, q10{}, q50{}, q90{};
};

struct WeightBands {
    std::optional<WeightBand> caricature, photo;  // nullopt: the batch had none of them
};

// sampleWeights: [N, 3], each row a sample's softmax (StrategyOutput::sampleWeights);
// isCaricature: [N] bool. Quantiles interpolate linearly between order statistics (numpy's
// default). Throws std::invalid_argument on mismatched shapes.
WeightBands weightBandsByModality(const torch::Tensor& sampleWeights, const torch::Tensor& isCaricature);

}  // namespace carilab::nn
