#include "nn/uncertainty_weighting.h"

#include <stdexcept>

namespace carilab::nn {

UncertaintyParamsImpl::UncertaintyParamsImpl()
{
    logVariance = register_parameter("log_variance", torch::zeros({kNumTasks}));
}

UncertaintyWeighting::UncertaintyWeighting(const OptimizerSpec& optimizer)
    : optimizer_(makeOptimizer(optimizer, module_->parameters()))
{
}

StrategyOutput UncertaintyWeighting::forward(const StrategyInputs& in)
{
    if (!in.losses.defined() || in.losses.numel() != kNumTasks)
        throw std::invalid_argument("weighting strategy: expected 3 task losses");
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

void UncertaintyWeighting::zeroGrad()
{
    module_->zero_grad();
}

void UncertaintyWeighting::update(const StrategyOutput& /*out*/, const StrategyInputs& /*in*/)
{
    // s's gradient came with the trainer's networkLoss.backward().
    optimizer_->step();
}

void UncertaintyWeighting::setLearningRate(double networkLr)
{
    for (auto& group : optimizer_->param_groups()) group.options().set_lr(networkLr);
}

std::vector<torch::Tensor> UncertaintyWeighting::parameters()
{
    return module_->parameters();
}

void UncertaintyWeighting::to(torch::Device device)
{
    module_->to(device);
}

void UncertaintyWeighting::save(torch::serialize::OutputArchive& archive) const
{
    archive.write("strategy", c10::IValue(name()));
    torch::serialize::OutputArchive moduleArchive;
    module_->save(moduleArchive);
    archive.write("module", moduleArchive);
    torch::serialize::OutputArchive optimizerArchive;
    optimizer_->save(optimizerArchive);
    archive.write("optimizer", optimizerArchive);
}

void UncertaintyWeighting::load(torch::serialize::InputArchive& archive)
{
    c10::IValue stored;
    archive.read("strategy", stored);
    if (stored.toStringRef() != name())
        throw std::runtime_error("checkpoint holds the '" + stored.toStringRef() + "' weighting strategy, not '" +
                                 name() + "'");
    torch::serialize::InputArchive moduleArchive;
    archive.read("module", moduleArchive);
    module_->load(moduleArchive);
    torch::serialize::InputArchive optimizerArchive;
    archive.read("optimizer", optimizerArchive);
    optimizer_->load(optimizerArchive);
}

}  // namespace carilab::nn
