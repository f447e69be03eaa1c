#pragma once
// Homoscedastic-uncertainty weighting (Kendall, Gal & Cipolla, CVPR 2018): one learnable
// s_i = log sigma_i^2 per task, trained jointly with the network by the total loss.
#include "nn/trainable_strategy.h"

namespace carilab::nn {

class UncertaintyParamsImpl : public torch::nn::Module {
public:
    UncertaintyParamsImpl();
    torch::Tensor logVariance;  // s [3], initialised to 0 (sigma_i = 1)
};
TORCH_MODULE(UncertaintyParams);

class UncertaintyWeighting final : public TrainableStrategy {
public:
    explicit UncertaintyWeighting(const OptimizerSpec& optimizer);

    std::string name() const override { return "uncertainty"; }
    StrategyOutput forward(const StrategyInputs& in) override;
    void update(const StrategyOutput& out, const StrategyInputs& in) override;

    UncertaintyParams module() const { return module_; }

private:
    UncertaintyParams module_;
};

}  // namespace carilab::nn
