#pragma once
// The model part of a training session: network, centre loss, weighting strategy and optimiser,
// built for a run's config and dataset, plus what its checkpoints must carry to be recognised.
#include "nn/center_loss.h"
#include "nn/gradient_reducer.h"
#include "nn/loss_scaler.h"
#include "nn/multitask_net.h"
#include "nn/network_optimizer.h"
#include "nn/replicas.h"
#include "nn/weighting_strategy.h"
#include "run/checkpoint.h"
#include "run/run_directory.h"
#include "run/train_config.h"
#include "run/training_data.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <memory>
#include <optional>

namespace carilab::run {

struct TrainingModel {
    nn::MultiTaskNet net{nullptr};
    nn::CenterLoss center{nullptr};
    std::unique_ptr<nn::WeightingStrategy> strategy;
    std::unique_ptr<nn::NetworkOptimizer> optimizer;
    nn::BackboneInfo info;
    int inputSize = 0;
    nlohmann::json checkpointMeta;  // run id, backbone, classes, input size, identities, strategy
    std::optional<nn::LossScaler> scaler;  // fp16 only; starts afresh on resume (it finds its scale in a few steps)
    nn::Replicas* replicas = nullptr;  // this process is one rank of a data-parallel job
    // With replicas: averages the network's gradients during its backward pass. Last, so it is
    // gone (its hooks removed) before the network.
    std::unique_ptr<nn::GradientReducer> gradients;

    TrainingState state() { return {net, center, &optimizer->optimizer(), strategy.get()}; }
};

// Refuses, before any batch is allocated, a batch that cannot fit in memory (CPU).
TrainingModel buildTrainingModel(const TrainConfig& config, const TrainingData& data, torch::Device device, const RunDirectory& dir);

}  // namespace carilab::run
