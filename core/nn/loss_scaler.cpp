#include "nn/loss_scaler.h"

#include <stdexcept>

namespace carilab::nn {

LossScaler::LossScaler(LossScalerOptions options) : options_(options), scale_(options.initScale)
{
    if (!(options.initScale > 0) || !(options.growthFactor > 1) || !(options.backoffFactor > 0 && options.backoffFactor < 1) ||
        options.growthInterval < 1)
        throw std::invalid_argument("loss scaler: needs initScale > 0, growthFactor > 1, backoffFactor in (0, 1), growthInterval >= 1");
}

torch::Tensor LossScaler::scale(const torch::Tensor& loss) const { return loss * scale_; }

bool LossScaler::unscale(const std::vector<torch::Tensor>& params) const
{
    torch::NoGradGuard noGrad;
    std::vector<torch::Tensor> finite;
    for (const auto& p : params) {
        auto g = p.grad();
        if (!g.defined()) continue;
        g.div_(scale_);
        finite.push_back(torch::isfinite(g).all());
    }
    // One host sync for all of them.
    return finite.empty() || torch::stack(finite).all().item<bool>();
}

void LossScaler::update(bool finite)
{
    if (!finite) {
        scale_ *= options_.backoffFactor;
        cleanSteps_ = 0;
        ++skipped_;
        return;
    }
    if (++cleanSteps_ >= options_.growthInterval) {
        scale_ *= options_.growthFactor;
        cleanSteps_ = 0;
    }
}

}  // namespace carilab::nn
