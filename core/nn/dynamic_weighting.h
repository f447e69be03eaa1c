#pragma once
// The paper's dynamic-weight-generating module (psi) and the "dynamic" strategy that trains it
// with L4 (Ming, Burie & Luqman 2019, Sec. IV, Eq. 5-7). The "naive" baseline reuses the module
// (naive_weighting.h).
#include "nn/trainable_strategy.h"

#include <cstdint>

namespace carilab::nn {

// Official train_BP: clip_by_global_norm(grads, 5.0) on psi's gradients (dynamic and naive).
constexpr double kPsiClipNorm = 5.0;

// The strategies' input check: exactly 3 task losses, returned as a [3] tensor.
torch::Tensor checkedTaskLosses(const torch::Tensor& losses);

struct DynamicWeightModuleOptions {
    bool normalizeInput = false;  // L2-normalise Z before psi (official naive code only)
    bool normalizeLogits = true;  // L2-normalise the 3 logits per sample (official dynamic code)
    double temperature = 1.0;  // factor on the normalised logits
};

// psi = FC(d_z -> 3), no activation (paper Eq. 6: f(Z) = psi Z^T + b; the paper warns against
// ReLU). Weights: per-sample softmax over the 3 logits, then the batch mean (official code:
// reduce_mean(softmax)).
class DynamicWeightModuleImpl : public torch::nn::Module {
public:
    DynamicWeightModuleImpl(std::int64_t featureDim, DynamicWeightModuleOptions options);

    // Logits after the optional normalisation and temperature: [N, 3].
    torch::Tensor logits(const torch::Tensor& z);
    // Per-sample weights softmax(logits): [N, 3].
    torch::Tensor sampleWeights(const torch::Tensor& z);
    // Batch-mean weights: [3], sum 1 (paper Eq. 5).
    torch::Tensor forward(const torch::Tensor& z);

    // Official init: truncated_normal(stddev 0.1) for the weight, zero bias.
    void resetParameters();
    // Scales psi's gradients so their global L2 norm is at most maxNorm (TF clip_by_global_norm,
    // which the official code applies to psi's optimiser too). No host sync.
    void clipGradients(double maxNorm);

    std::int64_t featureDim() const { return featureDim_; }
    const DynamicWeightModuleOptions& options() const { return options_; }

    torch::nn::Linear psi{nullptr};

private:
    std::int64_t featureDim_;
    DynamicWeightModuleOptions options_;
};
TORCH_MODULE(DynamicWeightModule);

// The proposed method. Per step:
//   w = mean_n softmax(psi(Z_n))                       (Eq. 5-6)
//   networkLoss = sum_i w_i L_i                       (Eq. 1; w detached if detachWeights)
//   strategyLoss = L4 = sum_i w_i / (L_i + sigma)     (Eq. 7, sigma from the official code)
// psi is trained by L4 only, theta by networkLoss only.
class DynamicWeighting final : public TrainableStrategy {
public:
    DynamicWeighting(const StrategyOptions& options, std::int64_t featureDim, const OptimizerSpec& optimizer);

    std::string name() const override { return "dynamic"; }
    StrategyOutput forward(const StrategyInputs& in) override;
    void update(const StrategyOutput& out, const StrategyInputs& in) override;

    DynamicWeightModule module() const { return module_; }

private:
    StrategyOptions options_;
    DynamicWeightModule module_;
};

}  // namespace carilab::nn
