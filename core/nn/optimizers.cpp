// The optimisers of the official code (src/train_BP.py, doc 1.2), shared by the network and by
// the strategies' own parameters.
#include "nn/weighting_strategy.h"

#include <cmath>
#include <stdexcept>

namespace carilab::nn {

namespace {

constexpr double kMomentum = 0.9;  // RMSProp momentum and the Momentum (SGD) option
constexpr double kRmsDecay = 0.9;  // tf.train.RMSPropOptimizer(decay=0.9)
constexpr double kRmsEpsilon = 1.0;  // official epsilon=1.0: damps steps while v is small
constexpr double kAdamBeta1 = 0.9;
constexpr double kAdamBeta2 = 0.999;
constexpr double kAdamEpsilon = 0.1;  // official AdamOptimizer(epsilon=0.1), not torch's 1e-8

}  // namespace

OptimizerKind parseOptimizerKind(const std::string& name)
{
    if (name == "rmsprop") return OptimizerKind::RmsProp;
    if (name == "adam") return OptimizerKind::Adam;
    if (name == "sgd") return OptimizerKind::Sgd;
    throw std::invalid_argument("'" + name + "' is not an optimizer; valid: rmsprop, adam, sgd");
}

const char* optimizerKindName(OptimizerKind k)
{
    switch (k) {
    case OptimizerKind::RmsProp: return "rmsprop";
    case OptimizerKind::Adam: return "adam";
    case OptimizerKind::Sgd: return "sgd";
    }
    return "?";
}

std::unique_ptr<torch::optim::Optimizer> makeOptimizer(const OptimizerSpec& spec, std::vector<torch::Tensor> params, double lrMultiplier)
{
    const double lr = spec.lr * lrMultiplier;
    if (!std::isfinite(lr) || lr < 0.0) throw std::invalid_argument("optimizer: learning rate must be a non-negative number");
    if (spec.eps && !(std::isfinite(*spec.eps) && *spec.eps > 0.0)) throw std::invalid_argument("optimizer: eps must be a positive number");
    if (!std::isfinite(spec.weightDecay) || spec.weightDecay < 0.0)
        throw std::invalid_argument("optimizer: weight decay must be a non-negative number");

    switch (spec.kind) {
    case OptimizerKind::RmsProp:
        // TF's RMSProp puts eps inside the square root and starts the mean square at 1; torch's
        // adds eps to the root and starts at 0. With eps = 1 both divide early gradients by ~1.
        return std::make_unique<torch::optim::RMSprop>(
            std::move(params),
            torch::optim::RMSpropOptions(lr).alpha(kRmsDecay).eps(spec.eps.value_or(kRmsEpsilon)).momentum(kMomentum).weight_decay(spec.weightDecay));
    case OptimizerKind::Adam:
        return std::make_unique<torch::optim::Adam>(std::move(params),
                                                    torch::optim::AdamOptions(lr)
                                                        .betas(std::make_tuple(kAdamBeta1, kAdamBeta2))
                                                        .eps(spec.eps.value_or(kAdamEpsilon))
                                                        .weight_decay(spec.weightDecay));
    case OptimizerKind::Sgd:
        // Official "MOM" option: tf.train.MomentumOptimizer(lr, 0.9, use_nesterov=True).
        return std::make_unique<torch::optim::SGD>(std::move(params),
                                                   torch::optim::SGDOptions(lr).momentum(kMomentum).nesterov(true).weight_decay(spec.weightDecay));
    }
    throw std::invalid_argument("optimizer: unknown kind " + std::to_string(static_cast<int>(spec.kind)));
}

void clearGradients(torch::optim::Optimizer& optimizer)
{
    for (auto& group : optimizer.param_groups())
        for (auto& p : group.params()) p.mutable_grad() = torch::Tensor();
}

}  // namespace carilab::nn
