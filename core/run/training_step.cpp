#include "run/training_step.h"

#include "nn/precision_forward.h"
#include "nn/sync_batch_norm.h"
#include "nn/weight_bands.h"

#include <cmath>
#include <stdexcept>
#include <string>
#include <string_view>

namespace carilab::run {

namespace {

TaskValues perTask(const torch::Tensor& t)
{
    auto c = t.detach().to(torch::kCPU, torch::kDouble).contiguous();
    TaskValues v{};
    for (int i = 0; i < nn::kNumTasks; ++i) v[static_cast<size_t>(i)] = c[i].item<double>();
    return v;
}

std::map<std::string, double> groupLearningRates(const nn::NetworkOptimizer& opt)
{
    std::map<std::string, double> m;
    for (nn::ParamGroup g : nn::kParamGroups) m[nn::kParamGroupNames[static_cast<size_t>(g)]] = opt.learningRate(g);
    return m;
}

void checkFinite(const torch::Tensor& losses, long long step, long long lastCheckpoint)
{
    const auto cpu = losses.detach().to(torch::kCPU, torch::kDouble);
    for (int t = 0; t < nn::kNumTasks; ++t) {
        const double v = cpu[t].item<double>();
        if (std::isfinite(v)) continue;
        throw std::runtime_error(
            std::string("the ") + nn::kTaskNames[static_cast<size_t>(t)] + " loss became " + (std::isnan(v) ? "NaN" : "infinite") + " at step " +
            std::to_string(step + 1) + "; training stopped. The last good checkpoint is kept" +
            (lastCheckpoint >= 0 ? " (step " + std::to_string(lastCheckpoint) + ")" : "") + ". Try a lower learning rate or gradient clipping.");
    }
}

// metrics.jsonl's pair names are run's own copy (no torch in the records' header).
constexpr bool samePairNames()
{
    for (size_t k = 0; k < kTaskPairNames.size(); ++k)
        if (std::string_view(kTaskPairNames[k]) != nn::kTaskPairNames[k]) return false;
    return true;
}
static_assert(samePairNames(), "run::kTaskPairNames must match nn::kTaskPairNames");

GradRecord toGradRecord(const nn::GradientConflict& g)
{
    GradRecord r;
    for (size_t k = 0; k < r.cos.size(); ++k) r.cos[k] = g.cosine[k];
    for (size_t t = 0; t < r.norm.size(); ++t) r.norm[t] = g.norm[t];
    r.parameters = g.parameters;
    return r;
}

std::optional<ModalityWeights> toModalityWeights(const std::optional<nn::WeightBand>& b)
{
    if (!b) return std::nullopt;
    ModalityWeights m;
    m.samples = b->samples;
    for (size_t t = 0; t < m.mean.size(); ++t) {
        m.mean[t] = b->mean[t];
        m.q10[t] = b->q10[t];
        m.q50[t] = b->q50[t];
        m.q90[t] = b->q90[t];
    }
    return m;
}

// Backward of the network loss; with fp16's loss scaler, scaled and then unscaled. False: the
// gradients overflowed and this step is skipped (the scaler has halved its scale).
// With several ranks the network's gradients are averaged over them while the backward pass
// runs (still scaled: the scale is the same everywhere), and fp16's overflow verdict is global.
bool backwardNetwork(TrainingModel& model, const torch::Tensor& networkLoss)
{
    if (model.gradients) model.gradients->arm();
    (model.scaler ? model.scaler->scale(networkLoss) : networkLoss).backward();
    if (model.gradients) model.gradients->finish();
    if (!model.scaler) return true;
    std::vector<torch::Tensor> params = model.net->parameters();
    for (const auto& p : model.strategy->parameters()) params.push_back(p);  // naive's psi learns from this loss too
    bool finite = model.scaler->unscale(params);
    if (model.replicas) finite = model.replicas->everywhere(finite);
    model.scaler->update(finite);
    return finite;
}

// The centres move by the global batch's embeddings, in rank order: the same on every rank.
void updateCentres(TrainingModel& model, const nn::MultiTaskOutput& out, const torch::Tensor& labels)
{
    torch::Tensor unit =
        torch::nn::functional::normalize(out.embeddings[nn::kVerification].detach(), torch::nn::functional::NormalizeFuncOptions().dim(1).eps(1e-10));
    if (!model.replicas) return model.center->updateCenters(unit, labels);
    model.center->updateCenters(model.replicas->gather(unit), model.replicas->gather(labels));
}

}  // namespace

bool inspectsStep(const TrainConfig& config, long long step, long long totalSteps)
{
    const long long every = config.resolvedInspectEvery(totalSteps);
    return every > 0 && (step + 1) % every == 0;
}

StepOutcome trainStep(TrainingModel& model, const data::Batch& batch, const TrainConfig& config, torch::Device device, long long step,
                      long long batchesPerEpoch, long long lastCheckpoint, bool inspect, const GlobalBatch& global)
{
    auto images = batch.images.to(device, /*non_blocking=*/true);
    auto labels = batch.labels.to(device, true);
    auto isCari = batch.isCaricature.to(device, true);
    nn::Replicas* replicas = model.replicas;
    // --sync-bn: batch norm over the global batch, in this forward and its backward.
    std::optional<nn::SyncBatchNormScope> syncBn;
    if (replicas && config.syncBn) syncBn.emplace(replicas);
    auto out = nn::forwardInPrecision(config.precision, model.net, images);
    const nn::TaskLossOptions tlo{config.centerLossFactor, config.centerLossAllBranches, config.idHead};
    StepOutcome o;
    o.losses = nn::computeTaskLosses(out, labels, isCari, model.center, tlo);
    if (replicas) toGlobalShares(o.losses, global, replicas->size(), tlo);
    // The global batch's losses: every rank sees the same, and stops on the same NaN.
    const torch::Tensor lossValues = replicas ? replicas->averaged(o.losses.losses) : o.losses.losses.detach();
    checkFinite(lossValues, step, lastCheckpoint);
    o.isCaricature = isCari;
    // Before anything backpropagates: it needs the graph the step's backward then frees.
    if (inspect) o.grad = nn::measureGradientConflict(o.losses.losses, model.net->groupParameters(nn::ParamGroup::Trunk));

    nn::StrategyInputs in{o.losses.losses, out.z, model.net->lastSharedParameters(), step, batchesPerEpoch, replicas, lossValues};
    o.strategy = model.strategy->forward(in);
    auto& optimizer = model.optimizer->optimizer();
    nn::clearGradients(optimizer);
    model.strategy->zeroGrad();
    if (!backwardNetwork(model, o.strategy.networkLoss)) {
        nn::clearGradients(optimizer);
        model.strategy->zeroGrad();
        return o;  // fp16 overflow: no update at all this step (the logged losses are still this batch's)
    }
    model.strategy->update(o.strategy, in);
    if (config.clipNorm > 0) torch::nn::utils::clip_grad_norm_(model.net->parameters(), config.clipNorm);
    optimizer.step();
    updateCentres(model, out, labels);
    // Each rank's batch-norm statistics saw only its shard: rank 0's are kept (PyTorch DDP's
    // broadcast_buffers), so every rank ends the step with the same model.
    if (replicas && !config.syncBn) broadcastBuffers(*replicas, model.net);
    return o;
}

StepRecord trainRecord(const StepOutcome& o, const TrainingModel& model, long long step, long long batchesPerEpoch, double lr, const StepClock& clock)
{
    StepRecord r;
    r.step = step;
    r.epoch = static_cast<double>(step) / static_cast<double>(batchesPerEpoch);
    r.timeS = clock.timeS;
    r.lr = lr;
    r.lrGroups = groupLearningRates(*model.optimizer);
    r.imagesPerS = clock.imagesPerS;
    r.dataWait = clock.dataWait;
    r.loss = perTask(o.losses.losses);
    r.weight = perTask(nn::normalizedWeights(o.strategy.weights));
    r.weightRaw = perTask(o.strategy.weights);
    r.crossEntropy = perTask(o.losses.crossEntropy);
    r.centerLoss = o.losses.center.item<double>();
    r.totalLoss = o.strategy.networkLoss.detach().item<double>();
    r.photos = o.losses.photos;
    r.caricatures = o.losses.caricatures;
    if (o.strategy.strategyLoss.defined()) r.strategyLoss = o.strategy.strategyLoss.detach().item<double>();
    if (o.grad) r.grad = toGradRecord(*o.grad);
    if (o.strategy.sampleWeights.defined()) {
        // The very softmax whose batch mean is r.weightRaw, split by modality.
        const nn::WeightBands b = nn::weightBandsByModality(o.strategy.sampleWeights, o.isCaricature);
        r.weightByModality = WeightByModality{toModalityWeights(b.caricature), toModalityWeights(b.photo)};
    }
    return r;
}

}  // namespace carilab::run
