#pragma once
// The paper's "naive dynamic" baseline (Table I, Fig. 3 b/d): the same psi module, but trained
// by the total loss sum_i w_i L_i instead of L4 (official CAVI-NAIVE / WC-NAIVE, doc 1.3). This
// drives the weight of the largest loss down -- the failure mode the paper sets out to fix.
#include "nn/dynamic_weighting.h"

namespace carilab::nn {

class NaiveWeighting final : public TrainableStrategy {
public:
    NaiveWeighting(const StrategyOptions& options, std::int64_t featureDim, const OptimizerSpec& optimizer);

    std::string name() const override { return "naive"; }
    StrategyOutput forward(const StrategyInputs& in) override;
    void update(const StrategyOutput& out, const StrategyInputs& in) override;

    DynamicWeightModule module() const { return module_; }

private:
    StrategyOptions options_;
    DynamicWeightModule module_;
};

}  // namespace carilab::nn
