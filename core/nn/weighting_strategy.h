#pragma once
// Task-weighting strategies: one interface, one file per strategy.
//
// Contract, per training step (the trainer drives it in this order):
//   1. out = strategy.forward(in)       -- weights for this step and the loss that trains
//                                          the network (theta), plus the strategy's own loss
//   2. trainer: zero theta grads, strategy.zeroGrad(), out.networkLoss.backward()
//   3. strategy.update(out, in)         -- trains the strategy's own parameters (psi, log
//                                          variances, GradNorm weights...) by its own optimiser
//   4. trainer: clip theta grads, step the network optimiser
// Step 3 comes before 4 so both updates see the same batch and the same parameters, as in the
// official code (both train ops in one sess.run).
#include "nn/replicas.h"
#include "nn/tasks.h"

#include <torch/torch.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace carilab::nn {

struct StrategyInputs {
    torch::Tensor losses;  // [3] task losses L_i, attached to theta's graph
    torch::Tensor sharedFeatures;  // Z [N, d_z] (flattened output of the last shared layer), attached
    std::vector<torch::Tensor> lastSharedParams;  // the last shared layer's parameters (GradNorm's W)
    std::int64_t step = 0;
    std::int64_t batchesPerEpoch = 1;  // for epoch-based strategies (DWA)
    // Data-parallel training (nullptr: one process). `losses` are then this rank's shares of
    // the global batch's means (their mean over ranks is the global loss), `lossValues` those
    // global means (detached), and a strategy makes its weights from the global batch and
    // averages its own gradients before its optimiser steps, so every rank takes the same step.
    Replicas* replicas = nullptr;
    torch::Tensor lossValues;  // [3] detached; undefined: losses.detach()
};

// in.lossValues, or in.losses detached for one process.
torch::Tensor taskLossValues(const StrategyInputs& in);
// The mean over ranks of a detached tensor (itself for one process).
torch::Tensor acrossRanks(const StrategyInputs& in, const torch::Tensor& t);

struct StrategyOutput {
    torch::Tensor networkLoss;  // scalar: what theta is trained by (e.g. sum_i w_i L_i)
    torch::Tensor weights;  // [3] raw weights used this step (detached, for logging)
    torch::Tensor strategyLoss;  // scalar or undefined: the strategy's own loss (L4 for dynamic)
    // [N, 3] detached: each sample's own weights, whose batch mean is `weights` (dynamic and
    // naive: psi's per-sample softmax); undefined for strategies with one weight per batch.
    torch::Tensor sampleWeights;
};

// Settings every strategy reads a subset of (config.json "strategy" object).
struct StrategyOptions {
    std::string name = "dynamic";
    // dynamic / naive
    bool normalizeLogits = true;  // L2-normalise the 3 weight logits per sample (official code)
    double temperature = 1.0;  // multiplies the normalised logits (1 CaVI, 2 WebCaricature; naive 0.5)
    bool detachWeights = true;  // paper: w constant for theta; official code: not detached
    double sigma = 0.01;  // L4 = sum_i w_i / (L_i + sigma)
    double lrMultiplier = 1.0;  // psi's lr = network lr x this (1 CaVI, 10 WebCaricature)
    // static
    std::array<double, kNumTasks> staticWeights{1.0 / 3, 1.0 / 3, 1.0 / 3};
    // single
    int singleTask = kVerification;
    // gradnorm
    double gradnormAlpha = 1.5;
    // dwa
    double dwaTemperature = 2.0;
};

// Optimiser settings shared with the network, so a strategy's own optimiser is "the same kind
// as the network's" (official code: two optimisers of one type).
enum class OptimizerKind { RmsProp, Adam, Sgd };
// Throws std::invalid_argument naming the valid kinds.
OptimizerKind parseOptimizerKind(const std::string& name);
const char* optimizerKindName(OptimizerKind k);  // "rmsprop" | "adam" | "sgd", as in config.json

struct OptimizerSpec {
    OptimizerKind kind = OptimizerKind::RmsProp;
    double lr = 0.1;
    double weightDecay = 0.0;
    // Adam's / RMSProp's epsilon; unset: the official code's (Adam 0.1, RMSProp 1.0). Those large
    // values damp every step whose gradient is small next to them -- fine for training from
    // scratch at lr 0.1, but new heads on a pretrained 128-d feature then barely move: fine-tuning
    // wants the usual 1e-8.
    std::optional<double> eps;
};

std::unique_ptr<torch::optim::Optimizer> makeOptimizer(const OptimizerSpec& spec, std::vector<torch::Tensor> params, double lrMultiplier = 1.0);

// Drops the gradients of the optimiser's parameters instead of zeroing them (PyTorch's
// zero_grad(set_to_none=True)): backward then hands each parameter its gradient buffer as is,
// where zeroed gradients cost a fill and an accumulating add over every weight per step. A
// parameter that gets no gradient in a step is skipped by the optimiser, not decayed by it.
void clearGradients(torch::optim::Optimizer& optimizer);

class WeightingStrategy {
public:
    virtual ~WeightingStrategy() = default;
    virtual std::string name() const = 0;
    virtual StrategyOutput forward(const StrategyInputs& in) = 0;
    virtual void zeroGrad() {}
    virtual void update(const StrategyOutput& out, const StrategyInputs& in) = 0;
    // Learning-rate schedule hook: the trainer sets the network lr here each step.
    virtual void setLearningRate(double /*networkLr*/) {}
    // Own parameters (for checkpoints and device moves); empty for parameter-free strategies.
    virtual std::vector<torch::Tensor> parameters() { return {}; }
    virtual void to(torch::Device /*device*/) {}
    // Complete state (parameters, optimiser, history) for exact resume.
    virtual void save(torch::serialize::OutputArchive& archive) const = 0;
    virtual void load(torch::serialize::InputArchive& archive) = 0;
    // The optimiser training the strategy's own parameters; nullptr for parameter-free ones.
    virtual torch::optim::Optimizer* ownOptimizer() { return nullptr; }
};

// Builds a strategy by name: dynamic, naive, equal, static:a,b,c, single:<task>, uncertainty,
// gradnorm, dwa. featureDim is d_z (the dynamic module's input size). Throws
// std::invalid_argument with the list of valid names on an unknown one.
std::unique_ptr<WeightingStrategy> makeStrategy(const StrategyOptions& options, std::int64_t featureDim, const OptimizerSpec& optimizer);
// Parses "static:0.5,0.3,0.2" / "single:caricature" / plain names into options (name and the
// static weights / single task). Throws std::invalid_argument on malformed text.
StrategyOptions parseStrategyName(const std::string& text, StrategyOptions base = {});
std::vector<std::string> strategyNames();

// Weights normalised to sum 1 (for display); raw weights are logged as well.
torch::Tensor normalizedWeights(const torch::Tensor& raw);

}  // namespace carilab::nn
