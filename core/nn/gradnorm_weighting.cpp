#include "nn/gradnorm_weighting.h"

#include <cmath>
#include <stdexcept>

namespace carilab::nn {

namespace {

constexpr double kMinWeight = 1e-3;  // keeps every task in play after renormalisation
constexpr double kTinyInitialLoss = 1e-12;  // guards L_i(0) = 0 in the loss ratio

// Each rank's dL_i/dW comes from its shard; their mean is the global batch's (an unused W
// part counts as zeros on that rank).
void averageSharedGradients(Replicas& replicas, std::vector<torch::Tensor>& grads, const std::vector<torch::Tensor>& shared)
{
    for (size_t k = 0; k < grads.size(); ++k)
        if (!grads[k].defined()) grads[k] = torch::zeros_like(shared[k]);
    replicas.average(grads);
}

}  // namespace

GradNormParamsImpl::GradNormParamsImpl() { weights = register_parameter("weights", torch::ones({kNumTasks})); }

GradNormWeighting::GradNormWeighting(const StrategyOptions& options, const OptimizerSpec& optimizer) : alpha_(options.gradnormAlpha)
{
    own(module_.ptr(), optimizer);
    if (!std::isfinite(alpha_) || alpha_ < 0.0) throw std::invalid_argument("gradnorm: alpha must be a non-negative number");
}

StrategyOutput GradNormWeighting::forward(const StrategyInputs& in)
{
    if (!in.losses.defined() || in.losses.numel() != kNumTasks) throw std::invalid_argument("weighting strategy: expected 3 task losses");
    const torch::Tensor losses = in.losses.reshape({kNumTasks});
    const torch::Tensor w = module_->weights;

    StrategyOutput out;
    out.weights = w.detach().clone();
    // theta is trained by sum_i w_i L_i with w constant (Chen et al. 2018, Sec. 3.2: the weights
    // get their own loss, L_grad, below).
    out.networkLoss = (w.detach() * losses).sum();
    if (!losses.requires_grad()) return out;  // evaluation: nothing to balance

    std::vector<torch::Tensor> shared;
    for (const auto& p : in.lastSharedParams)
        if (p.defined() && p.requires_grad()) shared.push_back(p);
    if (shared.empty()) throw std::invalid_argument("gradnorm needs the last shared layer's parameters (StrategyInputs::lastSharedParams)");

    if (!initialLosses_.defined()) initialLosses_ = taskLossValues(in).clone();

    // g_i = ||dL_i/dW||_2 over the last shared layer W. retain_graph: the trainer's
    // networkLoss.backward() still needs the graph; no create_graph: g_i is a constant, so
    // G_i = w_i g_i = ||d(w_i L_i)/dW|| (for w_i > 0) is linear in w_i.
    std::vector<torch::Tensor> norms;
    for (int i = 0; i < kNumTasks; ++i) {
        auto grads = torch::autograd::grad({losses[i]}, shared, /*grad_outputs=*/{}, /*retain_graph=*/true,
                                           /*create_graph=*/false, /*allow_unused=*/true);
        if (in.replicas) averageSharedGradients(*in.replicas, grads, shared);  // the global batch's g_i
        torch::Tensor sq = torch::zeros({}, losses.options().requires_grad(false));
        for (const auto& g : grads)
            if (g.defined()) sq = sq + g.pow(2).sum().to(sq.scalar_type());
        norms.push_back(torch::sqrt(sq));
    }
    const torch::Tensor g = torch::stack(norms).to(w.scalar_type());
    const torch::Tensor G = w * g;

    // Chen et al. Eq. 1-2: L~_i = L_i(t)/L_i(0), r_i = L~_i / mean_j L~_j, and
    // L_grad = sum_i | G_i - mean_j(G_j) * r_i^alpha |, the target held constant.
    const torch::Tensor ratio = (taskLossValues(in) / initialLosses_.clamp_min(kTinyInitialLoss)).to(w.scalar_type());
    const torch::Tensor r = ratio / ratio.mean();
    const torch::Tensor target = G.mean().detach() * r.pow(alpha_);
    out.strategyLoss = (G - target).abs().sum();
    return out;
}

void GradNormWeighting::update(const StrategyOutput& out, const StrategyInputs& in)
{
    if (!out.strategyLoss.defined()) return;  // a step without gradients (see forward)
    module_->zero_grad();
    out.strategyLoss.backward();
    averageAcrossRanks(in);  // graph: G = w * g with g constant; separate from the network's
    optimizer().step();
    // Chen et al. Sec. 3.2: renormalise so sum_i w_i = T (= 3), decoupling the gradient
    // normalisation from the global learning rate. Clamp first so no weight reaches 0 or below.
    torch::NoGradGuard noGrad;
    torch::Tensor w = module_->weights;
    w.clamp_min_(kMinWeight);
    w.mul_(static_cast<double>(kNumTasks) / w.sum());
}

void GradNormWeighting::saveExtra(torch::serialize::OutputArchive& archive) const
{
    if (initialLosses_.defined()) archive.write("initial_losses", initialLosses_, /*is_buffer=*/true);
}

void GradNormWeighting::loadExtra(torch::serialize::InputArchive& archive)
{
    torch::Tensor initial;
    if (archive.try_read("initial_losses", initial, /*is_buffer=*/true))
        initialLosses_ = initial.to(module_->weights.device());
    else
        initialLosses_ = torch::Tensor();
}

void GradNormWeighting::moveExtra(torch::Device device)
{
    if (initialLosses_.defined()) initialLosses_ = initialLosses_.to(device);
}

}  // namespace carilab::nn
