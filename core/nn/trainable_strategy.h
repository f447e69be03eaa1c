#pragma once
// The plumbing every weighting strategy with parameters of its own shares, written once: the
// module holding them, the optimiser training them (the network's kind, at the network's lr x
// a multiplier), device moves, and the checkpoint format (name, module, optimiser).
#include "nn/weighting_strategy.h"

#include <memory>
#include <string>

namespace carilab::nn {

// Throws when the archive holds another strategy's state. required false: an archive without
// a name is accepted (parameter-free strategies of older checkpoints).
void checkStoredStrategy(torch::serialize::InputArchive& archive, const std::string& expected, bool required = true);

class TrainableStrategy : public WeightingStrategy {
public:
    void zeroGrad() override;
    void setLearningRate(double networkLr) override;
    std::vector<torch::Tensor> parameters() override;
    void to(torch::Device device) override;
    void save(torch::serialize::OutputArchive& archive) const override;
    void load(torch::serialize::InputArchive& archive) override;
    torch::optim::Optimizer* ownOptimizer() override { return optimizer_.get(); }

protected:
    // Called by the subclass's constructor once its module exists.
    void own(std::shared_ptr<torch::nn::Module> module, const OptimizerSpec& spec, double lrMultiplier = 1.0);
    torch::optim::Optimizer& optimizer() { return *optimizer_; }
    // Averages the module's gradients over the ranks of a data-parallel job (nothing for one
    // process); called right before the optimiser steps.
    void averageAcrossRanks(const StrategyInputs& in);
    // State beyond the module and the optimiser (GradNorm's initial losses).
    virtual void saveExtra(torch::serialize::OutputArchive& /*archive*/) const {}
    virtual void loadExtra(torch::serialize::InputArchive& /*archive*/) {}
    virtual void moveExtra(torch::Device /*device*/) {}

private:
    std::shared_ptr<torch::nn::Module> owned_;
    std::unique_ptr<torch::optim::Optimizer> optimizer_;
    double lrMultiplier_ = 1.0;
};

}  // namespace carilab::nn
