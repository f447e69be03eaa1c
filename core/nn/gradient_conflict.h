#pragma once
// Task-gradient conflict on the shared layers (issue #23): each task's gradient of its own loss
// with respect to the shared parameters, their norms and pairwise cosines. Measuring is
// read-only: torch::autograd::grad returns the gradients without accumulating them in .grad,
// draws no random numbers and keeps the graph for the step's own backward, so a step with a
// measurement updates the network exactly as one without.
#include "nn/tasks.h"

#include <torch/torch.h>

#include <array>
#include <cstdint>
#include <vector>

namespace carilab::nn {

constexpr int kNumTaskPairs = 3;
// The pairs, in the one order of every cosine array; names exactly as in metrics.jsonl.
constexpr std::array<std::array<int, 2>, kNumTaskPairs> kTaskPairs = {{{kVerification, kCaricature}, {kVerification, kVisual}, {kCaricature, kVisual}}};
constexpr std::array<const char*, kNumTaskPairs> kTaskPairNames = {"verification-caricature", "verification-visual", "caricature-visual"};

struct GradientConflict {
    std::array<double, kNumTasks> norm{};  // ||dL_i/d theta_shared||_2
    // cos(dL_a, dL_b) per kTaskPairs entry; NaN where either gradient is zero (a task without
    // images in the batch): no direction, so no angle.
    std::array<double, kNumTaskPairs> cosine{};
    std::int64_t parameters = 0;  // scalars measured (the shared layers' size)
};

// losses: the [3] task losses, still attached to the graph; shared: the shared layers'
// parameters (those without requires_grad are skipped). Throws std::invalid_argument when the
// losses have no graph or no shared parameter takes a gradient.
GradientConflict measureGradientConflict(const torch::Tensor& losses, const std::vector<torch::Tensor>& shared);

}  // namespace carilab::nn
