#include "run/training_model.h"

#include "pretrained/backbone_weights.h"
#include "run/batch_memory.h"

#include <stdexcept>

namespace carilab::run {

namespace {

// Z's size depends on the input size; measured instead of trusting the nominal value.
std::int64_t measuredZDim(nn::MultiTaskNet& net, int inputSize, torch::Device device)
{
    torch::NoGradGuard ng;
    net->eval();
    const std::int64_t d = net->forward(torch::zeros({2, 3, inputSize, inputSize}, device)).z.size(1);
    net->train();
    return d;
}

}  // namespace

TrainingModel buildTrainingModel(const TrainConfig& config, const TrainingData& data, torch::Device device, const RunDirectory& dir)
{
    nn::MultiTaskOptions mo;
    mo.backbone = config.backbone;
    mo.numClasses = static_cast<std::int64_t>(data.index->identities.size());
    mo.dropout = config.dropout;
    mo.reluOnIdLogits = config.reluOnIdLogits;
    mo.idHead = config.idHead;
    if (config.pretrained) mo.pretrainedWeights = pretrained::backboneWeights(config.backbone);
    nn::checkPrecisionSupported(config.precision, device);  // before any weight is loaded
    TrainingModel m;
    if (config.precision == nn::Precision::Fp16) m.scaler.emplace();
    m.net = nn::MultiTaskNet(mo);
    m.info = m.net->info();
    m.inputSize = config.inputSize > 0 ? config.inputSize : static_cast<int>(m.info.inputSize);
    if (m.inputSize != m.info.inputSize && config.backbone == "inception-resnet-v1" && m.inputSize < 139)
        throw std::invalid_argument("inception-resnet-v1 needs an input of at least 139 px (its stem and reductions shrink it to 3x3 at 160)");
    m.net->to(device);
    m.center = nn::CenterLoss(mo.numClasses, m.info.embeddingDim, config.centerLossAlpha);
    m.center->to(device);
    const std::int64_t zDim = measuredZDim(m.net, m.inputSize, device);
    if (device.is_cpu()) checkBatchFits(config.batch, trainingBytesPerImage(m.net, m.inputSize), availableMemoryBytes());
    m.strategy = nn::makeStrategy(config.strategy, zDim, config.optimizer);
    m.strategy->to(device);
    m.optimizer = std::make_unique<nn::NetworkOptimizer>(config.optimizer, *m.net, config.lrMultipliers);
    m.checkpointMeta = {{"run_id", dir.ensureRunId()}, {"backbone", config.backbone},          {"num_classes", mo.numClasses},
                        {"input_size", m.inputSize},   {"identities", data.index->identities}, {"strategy", config.strategy.name}};
    return m;
}

}  // namespace carilab::run
