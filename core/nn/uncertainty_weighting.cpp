#include "nn/uncertainty_weighting.h"

#include <stdexcept>

namespace carilab::nn {

UncertaintyParamsImpl::UncertaintyParamsImpl() { logVariance = register_parameter("log_variance", torch::zeros({kNumTasks})); }

UncertaintyWeighting::UncertaintyWeighting(const OptimizerSpec& optimizer) { own(module_.ptr(), optimizer); }

StrategyOutput UncertaintyWeighting::forward(const StrategyInputs& in)
{
    if (!in.losses.defined() || in.losses.numel() != kNumTasks) throw std::invalid_argument("weighting strategy: expected 3 task losses");
    const torch::Tensor losses = in.losses.reshape({kNumTasks});
    const torch::Tensor s = module_->logVariance;
    const torch::Tensor precision = torch::exp(-s);

    StrategyOutput out;
    out.weights = precision.detach();
    // Kendall et al. 2018, the classification terms of their Eq. 10, with s = log sigma^2:
    //   L = sum_i exp(-s_i) L_i + log sigma_i = sum_i exp(-s_i) L_i + s_i / 2.
    // The s_i / 2 term stops s from growing without bound. s is trained by this same loss.
    out.networkLoss = (precision * losses + 0.5 * s).sum();
    return out;
}

void UncertaintyWeighting::update(const StrategyOutput& /*out*/, const StrategyInputs& in)
{
    // s's gradient came with the trainer's networkLoss.backward().
    averageAcrossRanks(in);
    optimizer().step();
}

}  // namespace carilab::nn
