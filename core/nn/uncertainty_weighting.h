#pragma once
// Homoscedastic-uncertainty weighting (Kendall, Gal & Cipolla, CVPR 2018): one learnable
// s_i = log sigma_i^2 per task, trained jointly with the network by the total loss.
#include "nn/weighting_strategy.h"

namespace carilab::nn {

class UncertaintyParamsImpl : public torch::nn::Module {
public:
    UncertaintyParamsImpl();
    torch::Tensor logVariance;  // s [3], initialised to 0 (sigma_i = 1)
};
TORCH_MODULE(UncertaintyParams);

class UncertaintyWeighting final : public WeightingStrategy {
public:
    explicit UncertaintyWeighting(const OptimizerSpec& optimizer);

    std::string name() const override { return "uncertainty"; }
    StrategyOutput forward(const StrategyInputs& in) override;
    void zeroGrad() override;
    void update(const StrategyOutput& out, const StrategyInputs& in) override;
    void setLearningRate(double networkLr) override;
    std::vector<torch::Tensor> parameters() override;
    void to(torch::Device device) override;
    void save(torch::serialize::OutputArchive& archive) const override;
    void load(torch::serialize::InputArchive& archive) override;

    UncertaintyParams module() const { return module_; }

private:
    UncertaintyParams module_;
    std::unique_ptr<torch::optim::Optimizer> optimizer_;
};

}  // namespace carilab::nn
