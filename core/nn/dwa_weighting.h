#pragma once
// Dynamic Weight Average (Liu, Johns & Davison, CVPR 2019, Eq. 7): weights from the rate at
// which each task's epoch-mean loss fell over the last two epochs. No learnable parameters.
#include "nn/weighting_strategy.h"

namespace carilab::nn {

class DwaWeighting final : public WeightingStrategy {
public:
    explicit DwaWeighting(const StrategyOptions& options);

    std::string name() const override { return "dwa"; }
    StrategyOutput forward(const StrategyInputs& in) override;
    void update(const StrategyOutput& out, const StrategyInputs& in) override;
    void to(torch::Device device) override;
    void save(torch::serialize::OutputArchive& archive) const override;
    void load(torch::serialize::InputArchive& archive) override;

    std::int64_t completedEpochs() const { return completedEpochs_; }

private:
    double temperature_;
    // Mean losses of the last two completed epochs, [3] double: L(t-1) and L(t-2).
    torch::Tensor lastMean_;
    torch::Tensor previousMean_;
    // Running sum of this epoch's detached losses ([3] double, on the losses' device) and count.
    torch::Tensor sum_;
    std::int64_t count_ = 0;
    std::int64_t completedEpochs_ = 0;
};

}  // namespace carilab::nn
