#pragma once
// GradNorm (Chen, Badrinarayanan, Lee & Rabinovich, ICML 2018): learnable task weights w_i,
// trained so each task's gradient norm at the last shared layer tracks the mean norm scaled by
// the task's relative inverse training rate.
#include "nn/trainable_strategy.h"

namespace carilab::nn {

class GradNormParamsImpl : public torch::nn::Module {
public:
    GradNormParamsImpl();
    torch::Tensor weights;  // w [3], initialised to 1
};
TORCH_MODULE(GradNormParams);

class GradNormWeighting final : public TrainableStrategy {
public:
    GradNormWeighting(const StrategyOptions& options, const OptimizerSpec& optimizer);

    std::string name() const override { return "gradnorm"; }
    StrategyOutput forward(const StrategyInputs& in) override;
    void update(const StrategyOutput& out, const StrategyInputs& in) override;

    GradNormParams module() const { return module_; }
    torch::Tensor initialLosses() const { return initialLosses_; }  // undefined before the first step

protected:
    void saveExtra(torch::serialize::OutputArchive& archive) const override;
    void loadExtra(torch::serialize::InputArchive& archive) override;
    void moveExtra(torch::Device device) override;

private:
    double alpha_;
    GradNormParams module_;
    torch::Tensor initialLosses_;  // L_i(0), recorded at the first training step
};

}  // namespace carilab::nn
