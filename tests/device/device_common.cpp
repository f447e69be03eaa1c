#include "device_common.h"

#include "nn/precision_forward.h"

#include <ATen/Context.h>
#include <torch/cuda.h>

#include <chrono>
#include <cmath>
#include <iostream>
#include <stdexcept>
#include <vector>

namespace carilab::devcheck {

namespace F = torch::nn::functional;

Batch makeBatch(std::int64_t step, std::int64_t n, std::int64_t size, std::int64_t classes, torch::ScalarType dtype)
{
    torch::manual_seed(1000 + step);
    Batch b;
    b.images = torch::randn({n, 3, size, size}, torch::kDouble).to(dtype);
    b.labels = torch::randint(0, classes, {n}, torch::kLong);
    if (step == 3)
        b.isCaricature = torch::zeros({n}, torch::kBool);
    else if (step == 7)
        b.isCaricature = torch::ones({n}, torch::kBool);
    else {
        b.isCaricature = torch::arange(n, torch::kLong).remainder(2).to(torch::kBool);  // half and half
        b.isCaricature = b.isCaricature.index_select(0, torch::randperm(n, torch::kLong));
    }
    return b;
}

Batch toDevice(const Batch& b, torch::Device device) { return {b.images.to(device), b.labels.to(device), b.isCaricature.to(device)}; }

void copyModuleState(torch::nn::Module& src, torch::nn::Module& dst)
{
    torch::NoGradGuard ng;
    auto dp = dst.named_parameters(/*recurse=*/true);
    for (const auto& item : src.named_parameters(true)) dp[item.key()].copy_(item.value());
    auto db = dst.named_buffers(true);
    for (const auto& item : src.named_buffers(true)) db[item.key()].copy_(item.value());
}

Replica makeReplica(const nn::MultiTaskOptions& mo, const std::string& strategyName, torch::Device device, Replica* like, nn::Precision precision)
{
    nn::checkPrecisionSupported(precision, device);
    Replica r;
    r.device = device;
    r.precision = precision;
    torch::manual_seed(7);
    r.net = nn::MultiTaskNet(mo);
    std::int64_t zDim = r.net->info().zDim;
    {  // measured as the trainer does
        torch::NoGradGuard ng;
        r.net->eval();
        zDim = r.net->forward(torch::zeros({2, 3, r.net->info().inputSize, r.net->info().inputSize})).z.size(1);
        r.net->train();
    }
    r.center = nn::CenterLoss(mo.numClasses, r.net->info().embeddingDim, 0.5);
    nn::OptimizerSpec spec;
    spec.kind = nn::OptimizerKind::RmsProp;
    spec.lr = kLr;
    torch::manual_seed(11);
    r.strategy = nn::makeStrategy(nn::parseStrategyName(strategyName), zDim, spec);
    if (like) {
        copyModuleState(*like->net, *r.net);
        copyModuleState(*like->center, *r.center);
        torch::NoGradGuard ng;
        auto mine = r.strategy->parameters();
        auto theirs = like->strategy->parameters();
        if (mine.size() != theirs.size()) throw std::logic_error("strategy parameter lists differ");
        for (std::size_t i = 0; i < mine.size(); ++i) mine[i].copy_(theirs[i]);
    }
    r.net->to(device);
    r.center->to(device);
    r.strategy->to(device);
    r.optimizer = nn::makeOptimizer(spec, r.net->parameters());
    if (precision == nn::Precision::Fp16) r.scaler.emplace();
    r.net->train();
    return r;
}

namespace {

void checkFinite(const nn::TaskLosses& losses, std::int64_t step)
{
    const auto cpu = losses.losses.detach().to(torch::kCPU, torch::kDouble);
    for (int t = 0; t < nn::kNumTasks; ++t)
        if (!std::isfinite(cpu[t].item<double>()))
            throw std::runtime_error(std::string("the ") + nn::kTaskNames[t] + " loss is not finite at step " + std::to_string(step + 1));
}

// The network loss's backward; fp16 scaled and unscaled as core/run/training_step.cpp does it.
// False: the gradients overflowed and the step is skipped.
bool backward(Replica& r, const torch::Tensor& networkLoss)
{
    if (!r.scaler) {
        networkLoss.backward();
        return true;
    }
    r.scaler->scale(networkLoss).backward();
    std::vector<torch::Tensor> params = r.net->parameters();
    for (const auto& p : r.strategy->parameters()) params.push_back(p);
    const bool finite = r.scaler->unscale(params);
    r.scaler->update(finite);
    return finite;
}

}  // namespace

StepRecord trainStep(Replica& r, const Batch& batch, std::int64_t step, std::int64_t batchesPerEpoch)
{
    r.strategy->setLearningRate(kLr);
    const auto images = batch.images.to(r.device);
    const auto labels = batch.labels.to(r.device);
    const auto isCari = batch.isCaricature.to(r.device);
    StepRecord rec;
    rec.out = nn::forwardInPrecision(r.precision, r.net, images);
    const nn::TaskLossOptions tlo{0.1, true, nn::IdentityHeadOptions{}};
    rec.losses = nn::computeTaskLosses(rec.out, labels, isCari, r.center, tlo);
    checkFinite(rec.losses, step);
    nn::StrategyInputs in{rec.losses.losses, rec.out.z, r.net->lastSharedParameters(), step, batchesPerEpoch, nullptr, {}};
    rec.strategy = r.strategy->forward(in);
    r.optimizer->zero_grad();
    r.strategy->zeroGrad();
    if (!backward(r, rec.strategy.networkLoss)) {
        r.optimizer->zero_grad();
        r.strategy->zeroGrad();
        rec.skipped = true;
        return rec;
    }
    r.strategy->update(rec.strategy, in);
    torch::nn::utils::clip_grad_norm_(r.net->parameters(), kClipNorm);
    r.optimizer->step();
    r.center->updateCenters(F::normalize(rec.out.embeddings[nn::kVerification].detach(), F::NormalizeFuncOptions().dim(1).eps(1e-10)), labels);
    return rec;
}

void synchronize(torch::Device d)
{
    if (d.is_cuda()) torch::cuda::synchronize();
}

void setDeterministicMath(bool strict)
{
    // Legacy flag setters (present from 1.13 to 2.x); a refusal is reported, not fatal.
    auto& ctx = at::globalContext();
    auto attempt = [](const char* what, auto&& set) {
        try {
            set();
        } catch (const std::exception& e) {
            std::cout << "  warning: could not set " << what << ": " << e.what() << "\n";
        }
    };
    attempt("cuBLAS TF32", [&] { ctx.setAllowTF32CuBLAS(false); });  // LibTorch's default too
    attempt("cuDNN TF32", [&] { ctx.setAllowTF32CuDNN(!strict); });  // LibTorch's default: true
    attempt("cuDNN determinism", [&] { ctx.setDeterministicCuDNN(strict); });
    attempt("cuDNN benchmark", [&] { ctx.setBenchmarkCuDNN(!strict); });
}

double benchmarkTraining(const std::string& backbone, nn::Precision precision, torch::Device device, int batch, int warmup, int iters)
{
    nn::MultiTaskOptions mo;
    mo.backbone = backbone;
    mo.numClasses = 200;
    mo.dropout = 0.5;
    Replica r = makeReplica(mo, "dynamic", device, nullptr, precision);
    const std::int64_t size = r.net->info().inputSize;
    // Pre-made batches on the device, so the figure is the network's, not the data loader's.
    std::vector<Batch> batches;
    for (int i = 0; i < 4; ++i) batches.push_back(toDevice(makeBatch(i, batch, size, mo.numClasses, torch::kFloat), device));
    for (int i = 0; i < warmup; ++i) trainStep(r, batches[i % 4], i, 1000);
    synchronize(device);
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < iters; ++i) trainStep(r, batches[i % 4], warmup + i, 1000);
    synchronize(device);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return static_cast<double>(batch) * iters / seconds;
}

}  // namespace carilab::devcheck
