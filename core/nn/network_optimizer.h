#pragma once
// The network's optimiser with one torch param group per ParamGroup, each at its own lr.
#include "nn/multitask_net.h"
#include "nn/param_groups.h"
#include "nn/weighting_strategy.h"

#include <torch/torch.h>

#include <memory>

namespace carilab::nn {

class NetworkOptimizer {
public:
    // Multipliers all 1 build a single param group over net->parameters(), in that order: the
    // optimiser (and so its checkpoints) is exactly the one of runs made before groups existed.
    // Otherwise one torch param group per non-empty ParamGroup, at spec.lr x its multiplier.
    NetworkOptimizer(const OptimizerSpec& spec, MultiTaskNetImpl& net, const LrMultipliers& multipliers);

    torch::optim::Optimizer& optimizer() { return *optimizer_; }
    // Sets every group's lr to baseLr x its multiplier (the schedule calls it every step).
    void setLearningRate(double baseLr);
    // The lr the optimiser holds now for a group's parameters (read back from torch, for the
    // metrics and the tests, not recomputed).
    double learningRate(ParamGroup g) const;
    int torchGroupCount() const { return static_cast<int>(torchGroupMultipliers_.size()); }

private:
    std::unique_ptr<torch::optim::Optimizer> optimizer_;
    std::vector<double> torchGroupMultipliers_;  // per torch param group, in its order
    std::array<int, kNumParamGroups> torchGroupOf_{0, 0, 0};  // ParamGroup -> torch group index (-1: empty)
};

}  // namespace carilab::nn
