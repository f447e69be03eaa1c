#include "nn/fixed_weighting.h"

#include "nn/trainable_strategy.h"

#include <sstream>
#include <stdexcept>

namespace carilab::nn {

FixedWeighting::FixedWeighting(std::string name, std::array<double, kNumTasks> weights) : name_(std::move(name)), weights_(weights) {}

std::unique_ptr<FixedWeighting> FixedWeighting::equal()
{
    // 1/3 each rather than 1 each, so the total loss is on the same scale as the dynamic
    // strategies' (whose weights sum to 1) and the same lr means the same step size.
    return std::make_unique<FixedWeighting>("equal", std::array<double, kNumTasks>{1.0 / 3, 1.0 / 3, 1.0 / 3});
}

std::unique_ptr<FixedWeighting> FixedWeighting::fixed(std::array<double, kNumTasks> weights)
{
    // Raw values, not renormalised: "static:55,30,25" is CaVINet's Keras loss_weights as given.
    std::ostringstream text;
    text << "static:" << weights[0] << ',' << weights[1] << ',' << weights[2];
    return std::make_unique<FixedWeighting>(text.str(), weights);
}

std::unique_ptr<FixedWeighting> FixedWeighting::single(int task)
{
    if (task < 0 || task >= kNumTasks) throw std::invalid_argument("single-task strategy: task index out of range");
    std::array<double, kNumTasks> w{0.0, 0.0, 0.0};
    w[task] = 1.0;
    return std::make_unique<FixedWeighting>(std::string("single:") + kTaskNames[task], w);
}

StrategyOutput FixedWeighting::forward(const StrategyInputs& in)
{
    if (!in.losses.defined() || in.losses.numel() != kNumTasks) throw std::invalid_argument("weighting strategy: expected 3 task losses");
    const torch::Tensor losses = in.losses.reshape({kNumTasks});
    const torch::Tensor w =
        torch::tensor(std::vector<double>(weights_.begin(), weights_.end()), torch::kDouble).to(losses.device(), losses.scalar_type());
    StrategyOutput out;
    out.weights = w;
    out.networkLoss = (w * losses).sum();  // paper Eq. 1 with constant w
    return out;
}

void FixedWeighting::save(torch::serialize::OutputArchive& archive) const
{
    // Nothing to restore, but the name lets load() catch a checkpoint of another strategy.
    archive.write("strategy", c10::IValue(name_));
}

void FixedWeighting::load(torch::serialize::InputArchive& archive) { checkStoredStrategy(archive, name_, /*required=*/false); }

}  // namespace carilab::nn
