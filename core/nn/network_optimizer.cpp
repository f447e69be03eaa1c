#include "nn/network_optimizer.h"

#include <cmath>
#include <stdexcept>

namespace carilab::nn {

NetworkOptimizer::NetworkOptimizer(const OptimizerSpec& spec, MultiTaskNetImpl& net, const LrMultipliers& multipliers)
{
    for (double m : multipliers)
        if (!(m >= 0.0) || !std::isfinite(m)) throw std::invalid_argument("lr multipliers must be non-negative numbers");
    if (multipliers == kUnitLrMultipliers) {
        optimizer_ = makeOptimizer(spec, net.parameters());
        torchGroupMultipliers_ = {1.0};
        return;
    }
    for (ParamGroup g : kParamGroups) {
        auto params = net.groupParameters(g);
        const double m = multiplierOf(multipliers, g);
        if (params.empty()) {  // torch rejects nothing here, but an empty group only clutters checkpoints
            torchGroupOf_[static_cast<std::size_t>(g)] = -1;
            continue;
        }
        torchGroupOf_[static_cast<std::size_t>(g)] = static_cast<int>(torchGroupMultipliers_.size());
        if (!optimizer_) {
            optimizer_ = makeOptimizer(spec, std::move(params), m);
        } else {
            // Same kind and settings as the first group (the optimiser's defaults), own lr.
            auto options = optimizer_->defaults().clone();
            options->set_lr(spec.lr * m);
            optimizer_->add_param_group(torch::optim::OptimizerParamGroup(std::move(params), std::move(options)));
        }
        torchGroupMultipliers_.push_back(m);
    }
    if (!optimizer_) throw std::logic_error("the network has no parameters to optimise");
}

void NetworkOptimizer::setLearningRate(double baseLr)
{
    auto& groups = optimizer_->param_groups();
    for (std::size_t i = 0; i < groups.size(); ++i) groups[i].options().set_lr(baseLr * torchGroupMultipliers_[i]);
}

double NetworkOptimizer::learningRate(ParamGroup g) const
{
    const int i = torchGroupOf_[static_cast<std::size_t>(g)];
    if (i < 0) return 0.0;
    return optimizer_->param_groups()[static_cast<std::size_t>(i)].options().get_lr();
}

}  // namespace carilab::nn
