#include "nn/dwa_weighting.h"

#include "nn/trainable_strategy.h"

#include <cmath>
#include <stdexcept>

namespace carilab::nn {

namespace {

constexpr double kTinyEpochMean = 1e-12;  // guards an epoch mean of exactly 0 in the ratio

void writeIfDefined(torch::serialize::OutputArchive& archive, const std::string& key, const torch::Tensor& t)
{
    if (t.defined()) archive.write(key, t, /*is_buffer=*/true);
}

torch::Tensor readOptional(torch::serialize::InputArchive& archive, const std::string& key)
{
    torch::Tensor t;
    if (!archive.try_read(key, t, /*is_buffer=*/true)) return {};
    return t;
}

}  // namespace

DwaWeighting::DwaWeighting(const StrategyOptions& options) : temperature_(options.dwaTemperature)
{
    if (!(temperature_ > 0.0) || !std::isfinite(temperature_)) throw std::invalid_argument("dwa: temperature must be a positive number");
}

StrategyOutput DwaWeighting::forward(const StrategyInputs& in)
{
    if (!in.losses.defined() || in.losses.numel() != kNumTasks) throw std::invalid_argument("weighting strategy: expected 3 task losses");
    const torch::Tensor losses = in.losses.reshape({kNumTasks});

    torch::Tensor w;
    if (completedEpochs_ < 2) {
        // Liu et al.: w_i(t) = 1 for t = 1, 2 (no rate is known yet).
        w = torch::ones({kNumTasks}, losses.options().requires_grad(false));
    } else {
        // Liu et al. Eq. 7: r_i = L_i(t-1) / L_i(t-2),
        // w_i(t) = K exp(r_i / T) / sum_j exp(r_j / T), with K = number of tasks.
        const torch::Tensor r = lastMean_ / previousMean_.clamp_min(kTinyEpochMean);
        w = (static_cast<double>(kNumTasks) * torch::softmax(r / temperature_, 0)).to(losses.device(), losses.scalar_type());
    }
    StrategyOutput out;
    out.weights = w;
    out.networkLoss = (w * losses).sum();
    return out;
}

void DwaWeighting::update(const StrategyOutput& /*out*/, const StrategyInputs& in)
{
    const torch::Tensor losses = taskLossValues(in).to(torch::kDouble);
    // Kept as a tensor on the losses' device: no host sync per step.
    sum_ = sum_.defined() ? sum_ + losses.to(sum_.device()) : losses.clone();
    ++count_;
    if (count_ >= std::max<std::int64_t>(1, in.batchesPerEpoch)) {
        previousMean_ = lastMean_;
        lastMean_ = sum_ / static_cast<double>(count_);
        ++completedEpochs_;
        sum_ = torch::Tensor();
        count_ = 0;
    }
}

void DwaWeighting::to(torch::Device device)
{
    for (torch::Tensor* t : {&lastMean_, &previousMean_, &sum_})
        if (t->defined()) *t = t->to(device);
}

void DwaWeighting::save(torch::serialize::OutputArchive& archive) const
{
    archive.write("strategy", c10::IValue(name()));
    archive.write("completed_epochs", c10::IValue(completedEpochs_));
    archive.write("count", c10::IValue(count_));
    writeIfDefined(archive, "last_mean", lastMean_);
    writeIfDefined(archive, "previous_mean", previousMean_);
    writeIfDefined(archive, "sum", sum_);
}

void DwaWeighting::load(torch::serialize::InputArchive& archive)
{
    checkStoredStrategy(archive, name());
    c10::IValue value;
    archive.read("completed_epochs", value);
    completedEpochs_ = value.toInt();
    archive.read("count", value);
    count_ = value.toInt();
    lastMean_ = readOptional(archive, "last_mean");
    previousMean_ = readOptional(archive, "previous_mean");
    sum_ = readOptional(archive, "sum");
}

}  // namespace carilab::nn
