#include "run/training_step.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace carilab::run {

namespace {

nlohmann::json perTask(const torch::Tensor& t)
{
    auto c = t.detach().to(torch::kCPU, torch::kDouble).contiguous();
    nlohmann::json j;
    for (int i = 0; i < nn::kNumTasks; ++i) j[nn::kTaskNames[(size_t)i]] = c[i].item<double>();
    return j;
}

nlohmann::json groupLearningRates(const nn::NetworkOptimizer& opt)
{
    nlohmann::json j;
    for (nn::ParamGroup g : nn::kParamGroups) j[nn::kParamGroupNames[(size_t)g]] = opt.learningRate(g);
    return j;
}

void checkFinite(const torch::Tensor& losses, long long step, long long lastCheckpoint)
{
    const auto cpu = losses.detach().to(torch::kCPU, torch::kDouble);
    for (int t = 0; t < nn::kNumTasks; ++t) {
        const double v = cpu[t].item<double>();
        if (std::isfinite(v)) continue;
        throw std::runtime_error(std::string("the ") + nn::kTaskNames[(size_t)t] + " loss became " + (std::isnan(v) ? "NaN" : "infinite") +
                                 " at step " + std::to_string(step + 1) + "; training stopped. The last good checkpoint is kept" +
                                 (lastCheckpoint >= 0 ? " (step " + std::to_string(lastCheckpoint) + ")" : "") +
                                 ". Try a lower learning rate or gradient clipping.");
    }
}

}  // namespace

StepOutcome trainStep(TrainingModel& model, const data::Batch& batch, const TrainConfig& config, torch::Device device, long long step,
                      long long batchesPerEpoch, long long lastCheckpoint)
{
    auto images = batch.images.to(device, /*non_blocking=*/true);
    auto labels = batch.labels.to(device, true);
    auto isCari = batch.isCaricature.to(device, true);
    auto out = model.net->forward(images);
    const nn::TaskLossOptions tlo{config.centerLossFactor, config.centerLossAllBranches, config.idHead};
    StepOutcome o;
    o.losses = nn::computeTaskLosses(out, labels, isCari, model.center, tlo);
    checkFinite(o.losses.losses, step, lastCheckpoint);

    nn::StrategyInputs in{o.losses.losses, out.z, model.net->lastSharedParameters(), step, batchesPerEpoch};
    o.strategy = model.strategy->forward(in);
    auto& optimizer = model.optimizer->optimizer();
    nn::clearGradients(optimizer);
    model.strategy->zeroGrad();
    o.strategy.networkLoss.backward();
    model.strategy->update(o.strategy, in);
    if (config.clipNorm > 0) torch::nn::utils::clip_grad_norm_(model.net->parameters(), config.clipNorm);
    optimizer.step();
    const auto unit =
        torch::nn::functional::normalize(out.embeddings[nn::kVerification].detach(), torch::nn::functional::NormalizeFuncOptions().dim(1).eps(1e-10));
    model.center->updateCenters(unit, labels);
    return o;
}

nlohmann::json trainRecord(const StepOutcome& o, const TrainingModel& model, long long step, long long batchesPerEpoch, double lr,
                           const StepClock& clock)
{
    nlohmann::json rec = {{"type", "train"},
                          {"step", step},
                          {"epoch", (double)step / (double)batchesPerEpoch},
                          {"time_s", clock.timeS},
                          {"lr", lr},
                          {"lr_groups", groupLearningRates(*model.optimizer)},
                          {"images_per_s", clock.imagesPerS},
                          {"data_wait", clock.dataWait},
                          {"loss", perTask(o.losses.losses)},
                          {"weight", perTask(nn::normalizedWeights(o.strategy.weights))},
                          {"weight_raw", perTask(o.strategy.weights)},
                          {"cross_entropy", perTask(o.losses.crossEntropy)},
                          {"center_loss", o.losses.center.item<double>()},
                          {"total_loss", o.strategy.networkLoss.detach().item<double>()},
                          {"photos", o.losses.photos},
                          {"caricatures", o.losses.caricatures}};
    if (o.strategy.strategyLoss.defined()) rec["strategy_loss"] = o.strategy.strategyLoss.detach().item<double>();
    return rec;
}

}  // namespace carilab::run
