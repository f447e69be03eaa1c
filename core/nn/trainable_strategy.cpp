#include "nn/trainable_strategy.h"

#include <stdexcept>

namespace carilab::nn {

void TrainableStrategy::averageAcrossRanks(const StrategyInputs& in)
{
    if (in.replicas) in.replicas->averageGradients(owned_->parameters());
}

void checkStoredStrategy(torch::serialize::InputArchive& archive, const std::string& expected, bool required)
{
    c10::IValue stored;
    if (required)
        archive.read("strategy", stored);
    else if (!archive.try_read("strategy", stored))
        return;
    if (stored.toStringRef() != expected)
        throw std::runtime_error("checkpoint holds the '" + stored.toStringRef() + "' weighting strategy, not '" + expected + "'");
}

void TrainableStrategy::own(std::shared_ptr<torch::nn::Module> module, const OptimizerSpec& spec, double lrMultiplier)
{
    owned_ = std::move(module);
    lrMultiplier_ = lrMultiplier;
    optimizer_ = makeOptimizer(spec, owned_->parameters(), lrMultiplier);
}

void TrainableStrategy::zeroGrad() { owned_->zero_grad(); }

void TrainableStrategy::setLearningRate(double networkLr)
{
    for (auto& group : optimizer_->param_groups()) group.options().set_lr(networkLr * lrMultiplier_);
}

std::vector<torch::Tensor> TrainableStrategy::parameters() { return owned_->parameters(); }

void TrainableStrategy::to(torch::Device device)
{
    owned_->to(device);
    moveExtra(device);
}

void TrainableStrategy::save(torch::serialize::OutputArchive& archive) const
{
    archive.write("strategy", c10::IValue(name()));
    torch::serialize::OutputArchive moduleArchive;
    owned_->save(moduleArchive);
    archive.write("module", moduleArchive);
    torch::serialize::OutputArchive optimizerArchive;
    optimizer_->save(optimizerArchive);
    archive.write("optimizer", optimizerArchive);
    saveExtra(archive);
}

void TrainableStrategy::load(torch::serialize::InputArchive& archive)
{
    checkStoredStrategy(archive, name());
    torch::serialize::InputArchive moduleArchive;
    archive.read("module", moduleArchive);
    owned_->load(moduleArchive);
    torch::serialize::InputArchive optimizerArchive;
    archive.read("optimizer", optimizerArchive);
    optimizer_->load(optimizerArchive);
    loadExtra(archive);
}

}  // namespace carilab::nn
