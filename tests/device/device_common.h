#pragma once
// What the two GPU checks share: deterministic batches, a replica of the trainer's model
// (network, centres, strategy, optimiser, fp16 loss scaler), one training step exactly as
// core/run/training_step.cpp takes it, and a training-speed benchmark.
#include "nn/center_loss.h"
#include "nn/inference_precision.h"
#include "nn/loss_scaler.h"
#include "nn/multitask_net.h"
#include "nn/task_losses.h"
#include "nn/weighting_strategy.h"

#include <torch/torch.h>

#include <memory>
#include <optional>
#include <string>

namespace carilab::devcheck {

constexpr double kLr = 0.1;  // trainer defaults: rmsprop, lr 0.1, clip 5
constexpr double kClipNorm = 5.0;

struct Batch {
    torch::Tensor images, labels, isCaricature;
};

// Deterministic CPU batch for a step: float64 noise (cast to `dtype`, so float and double runs
// see the same data), labels with repeats, mixed modalities; step 3 is all photos and step 7 all
// caricatures, to exercise the empty-task path of computeTaskLosses.
Batch makeBatch(std::int64_t step, std::int64_t n, std::int64_t size, std::int64_t classes, torch::ScalarType dtype);
Batch toDevice(const Batch& b, torch::Device device);

struct Replica {
    torch::Device device{torch::kCPU};
    nn::Precision precision = nn::Precision::Fp32;
    nn::MultiTaskNet net{nullptr};
    nn::CenterLoss center{nullptr};
    std::unique_ptr<nn::WeightingStrategy> strategy;
    std::unique_ptr<torch::optim::Optimizer> optimizer;
    std::optional<nn::LossScaler> scaler;  // fp16 only, as the trainer has it
};

// Built on the CPU from fixed seeds, `like`'s state copied in when given, then moved to `device`.
Replica makeReplica(const nn::MultiTaskOptions& mo, const std::string& strategyName, torch::Device device, Replica* like,
                    nn::Precision precision = nn::Precision::Fp32);

struct StepRecord {
    nn::MultiTaskOutput out;
    nn::TaskLosses losses;
    nn::StrategyOutput strategy;
    bool skipped = false;  // fp16: the gradients overflowed, no update (the scale halved)
};

// One training step as the trainer takes it (constant lr): forward in the replica's precision,
// task losses, the per-step finiteness check (a host sync, kept so the benchmark is realistic),
// the strategy, backward (scaled for fp16), clipping, RMSProp, the centres.
StepRecord trainStep(Replica& r, const Batch& batch, std::int64_t step, std::int64_t batchesPerEpoch);

void copyModuleState(torch::nn::Module& src, torch::nn::Module& dst);
void synchronize(torch::Device d);

// strict: TF32 off and deterministic cuDNN (parity); else LibTorch's defaults with cuDNN's
// autotuner on (what a user's training gets). A refusal is reported, not fatal.
void setDeterministicMath(bool strict);

// Training images/s of `backbone` (random weights, 200 identities, dropout 0.5, dynamic
// strategy) at `batch` on `device` in `precision`: pre-made batches already on the device,
// `warmup` untimed steps, then `iters` steps timed between two device synchronisations.
double benchmarkTraining(const std::string& backbone, nn::Precision precision, torch::Device device, int batch, int warmup, int iters);

}  // namespace carilab::devcheck
