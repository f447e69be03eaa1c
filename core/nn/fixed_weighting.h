#pragma once
// Parameter-free baselines: "equal" (1/3 each), "static:a,b,c" (fixed weights in task order
// verification, caricature, visual; the official commented-out 0.55 verif / 0.30 visual / 0.15
// caricature is static:0.55,0.15,0.30) and "single:<task>" (one-hot: the single-task network, paper
// Sec. IV (I)).
#include "nn/weighting_strategy.h"

#include <array>

namespace carilab::nn {

class FixedWeighting final : public WeightingStrategy {
public:
    // name is what name() reports ("equal", "static:0.55,0.3,0.15", "single:caricature").
    FixedWeighting(std::string name, std::array<double, kNumTasks> weights);

    static std::unique_ptr<FixedWeighting> equal();
    static std::unique_ptr<FixedWeighting> fixed(std::array<double, kNumTasks> weights);  // static:a,b,c
    static std::unique_ptr<FixedWeighting> single(int task);

    std::string name() const override { return name_; }
    StrategyOutput forward(const StrategyInputs& in) override;
    void update(const StrategyOutput& /*out*/, const StrategyInputs& /*in*/) override {}
    void save(torch::serialize::OutputArchive& archive) const override;
    void load(torch::serialize::InputArchive& archive) override;

    const std::array<double, kNumTasks>& values() const { return weights_; }

private:
    std::string name_;
    std::array<double, kNumTasks> weights_;
};

}  // namespace carilab::nn
