#include "perf/bench_runner.h"

#include "data/batch_loader.h"
#include "data/dataset_registry.h"
#include "eval/embedder.h"

#include "eval/input_normalisation.h"
#include "nn/center_loss.h"
#include "nn/gradient_conflict.h"
#include "nn/multitask_net.h"
#include "nn/precision_forward.h"
#include "nn/task_losses.h"
#include "nn/weighting_strategy.h"
#include "run/train_config.h"
#include "run/training_step.h"
#include <torch/csrc/autograd/profiler.h>

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <stdexcept>

namespace carilab::perf {

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Everything one training step touches, built as the trainer builds it (run/trainer.cpp).
struct StepModel {
    run::TrainConfig config;
    nn::MultiTaskNet net{nullptr};
    nn::CenterLoss center{nullptr};
    std::unique_ptr<nn::WeightingStrategy> strategy;
    std::unique_ptr<torch::optim::Optimizer> optimizer;

    StepModel(const BenchOptions& o, std::int64_t classes, int inputSize)
    {
        config.backbone = o.backbone;
        config.strategy = nn::parseStrategyName(o.strategy);
        config.precision = o.precision;
        nn::MultiTaskOptions mo;
        mo.backbone = o.backbone;
        mo.numClasses = classes;
        mo.dropout = config.dropout;
        mo.channelsLast = o.channelsLast;
        net = nn::MultiTaskNet(mo);
        center = nn::CenterLoss(classes, net->info().embeddingDim, config.centerLossAlpha);
        std::int64_t zDim = 0;
        {
            torch::NoGradGuard ng;
            net->eval();
            zDim = net->forward(torch::zeros({2, 3, inputSize, inputSize})).z.size(1);
            net->train();
        }
        strategy = nn::makeStrategy(config.strategy, zDim, config.optimizer);
        optimizer = nn::makeOptimizer(config.optimizer, net->parameters());
    }

    // The trainer's step, in the trainer's order: forward, task losses, strategy weights,
    // network backward, strategy update (psi by L4 for dynamic), clipping, network update,
    // centre update. Throws when a loss is not finite (a benchmark of NaNs measures nothing).
    void step(const torch::Tensor& images, const torch::Tensor& labels, const torch::Tensor& isCari, std::int64_t s)
    {
        auto out = nn::forwardInPrecision(config.precision, net, images);
        auto tl = nn::computeTaskLosses(out, labels, isCari, center, {config.centerLossFactor, config.centerLossAllBranches, config.idHead});
        if (!std::isfinite(tl.losses.sum().item<double>()))
            throw std::runtime_error("benchmark: a task loss became non-finite at step " + std::to_string(s));
        nn::StrategyInputs in{tl.losses, out.z, net->lastSharedParameters(), s, 1, nullptr, {}};
        auto so = strategy->forward(in);
        nn::clearGradients(*optimizer);
        strategy->zeroGrad();
        so.networkLoss.backward();
        strategy->update(so, in);
        if (config.clipNorm > 0) torch::nn::utils::clip_grad_norm_(net->parameters(), config.clipNorm);
        optimizer->step();
        center->updateCenters(torch::nn::functional::normalize(out.embeddings[nn::kVerification].detach(),
                                                               torch::nn::functional::NormalizeFuncOptions().dim(1).eps(1e-10)),
                              labels);
    }
};

void report(const BenchProgress& progress, const std::string& phase)
{
    if (progress) progress(phase);
}

TrainFigures trainSynthetic(const BenchOptions& o, int inputSize, const BenchProgress& progress)
{
    StepModel m(o, o.classes, inputSize);
    torch::manual_seed(static_cast<std::uint64_t>(o.seed));
    const auto images = torch::randn({o.batch, 3, inputSize, inputSize});
    const auto labels = torch::randint(o.classes, {o.batch}, torch::kInt64);
    // Half caricatures, half photos, so all three branches have a loss.
    const auto isCari = torch::arange(o.batch, torch::kInt64).remainder(2).to(torch::kBool);
    std::vector<double> times;
    long long faults0 = 0;
    for (int s = 0; s < o.warmup + o.steps; ++s) {
        if (s == o.warmup) faults0 = minorPageFaults();
        report(progress,
               "synthetic training step " + std::to_string(s + 1) + "/" + std::to_string(o.warmup + o.steps) + (s < o.warmup ? " (warm-up)" : ""));
        const auto t0 = Clock::now();
        m.step(images, labels, isCari, s);
        if (s >= o.warmup) times.push_back(since(t0));
    }
    const long long faults = minorPageFaults() - faults0;
    if (!o.profile.empty()) {
        report(progress, "profiling " + std::to_string(o.profileSteps) + " steps into " + o.profile);
        torch::autograd::profiler::RecordProfile guard(o.profile);
        for (int s = 0; s < o.profileSteps; ++s) m.step(images, labels, isCari, o.warmup + o.steps + s);
    }
    TrainFigures f;
    f.stepSeconds = summarize(times);
    f.imagesPerSecond = o.batch / f.stepSeconds.median;
    f.pageFaultsPerStep = static_cast<double>(faults) / std::max(1, o.steps);
    return f;
}

// Times measureGradientConflict alone: each sample runs the forward and the task losses
// untimed, then the inspection on their graph, as the trainer does on an inspected step.
InspectionFigures measureInspection(const BenchOptions& o, int inputSize, double stepSeconds, const BenchProgress& progress)
{
    StepModel m(o, o.classes, inputSize);
    torch::manual_seed(static_cast<std::uint64_t>(o.seed));
    const auto images = torch::randn({o.batch, 3, inputSize, inputSize});
    const auto labels = torch::randint(o.classes, {o.batch}, torch::kInt64);
    const auto isCari = torch::arange(o.batch, torch::kInt64).remainder(2).to(torch::kBool);
    const auto shared = m.net->groupParameters(nn::ParamGroup::Trunk);
    std::vector<double> times;
    InspectionFigures f;
    for (int i = 0; i < 1 + o.inspections; ++i) {  // the first one warms up
        report(progress, "task-gradient inspection " + std::to_string(i + 1) + "/" + std::to_string(1 + o.inspections) + (i == 0 ? " (warm-up)" : ""));
        const auto out = nn::forwardInPrecision(m.config.precision, m.net, images);
        const auto tl = nn::computeTaskLosses(out, labels, isCari, m.center, {m.config.centerLossFactor, m.config.centerLossAllBranches, m.config.idHead});
        const auto t0 = Clock::now();
        f.sharedParameters = nn::measureGradientConflict(tl.losses, shared).parameters;
        if (i > 0) times.push_back(since(t0));
    }
    f.seconds = summarize(times);
    f.stepFraction = f.seconds.median / std::max(stepSeconds, 1e-12);
    f.secondsPerAutoRun = static_cast<double>(run::TrainConfig::kAutoInspections) * f.seconds.median;
    return f;
}

data::PipelineOptions pipelineFor(const nn::BackboneInfo& info, int inputSize)
{
    // The trainer's defaults: landmark alignment where the dataset has landmarks, no augmentation.
    data::PipelineOptions p;
    p.size = inputSize;
    eval::applyInputNormalisation(info, p);
    return p;
}

TrainFigures trainPipeline(const BenchOptions& o, int inputSize, const std::shared_ptr<const data::DatasetIndex>& index,
                           const BenchProgress& progress)
{
    if (index->identities.size() < 2) throw std::runtime_error(o.dataset + ": the network needs at least 2 identities");
    StepModel m(o, static_cast<std::int64_t>(index->identities.size()), inputSize);
    std::vector<int> all(index->images.size());
    for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int>(i);
    data::BatchLoaderOptions lo;
    lo.batchSize = o.batch;
    lo.workers = o.loaderWorkers;
    lo.seed = o.seed;
    lo.pipeline = pipelineFor(m.net->info(), inputSize);
    // A fresh cache: a real run decodes each file the first time it meets it.
    auto cache = std::make_shared<data::ImageCache>();
    data::BatchLoader loader(index, all, cache, lo);
    std::vector<double> times;
    double waited = 0.0, total = 0.0;
    std::size_t hits0 = 0, misses0 = 0;
    long long faults0 = 0;
    for (int s = 0; s < o.warmup + o.steps; ++s) {
        report(progress,
               "pipeline training step " + std::to_string(s + 1) + "/" + std::to_string(o.warmup + o.steps) + (s < o.warmup ? " (warm-up)" : ""));
        if (s == o.warmup) {
            faults0 = minorPageFaults();
            hits0 = cache->hits();
            misses0 = cache->misses();
        }
        const double wait0 = loader.waitSeconds();
        const auto t0 = Clock::now();
        data::Batch b = loader.next();
        m.step(b.images, b.labels, b.isCaricature, s);
        const double dt = since(t0);
        if (s >= o.warmup) {
            times.push_back(dt);
            total += dt;
            waited += loader.waitSeconds() - wait0;
        }
    }
    TrainFigures f;
    f.stepSeconds = summarize(times);
    f.imagesPerSecond = o.batch / f.stepSeconds.median;
    f.pageFaultsPerStep = static_cast<double>(minorPageFaults() - faults0) / std::max(1, o.steps);
    f.dataWait = total > 0 ? waited / total : 0.0;
    f.cacheHits = static_cast<long long>(cache->hits() - hits0);
    f.cacheMisses = static_cast<long long>(cache->misses() - misses0);
    return f;
}

// A freshly built network has BN running statistics of 0/1 and random weights; speed does not
// depend on the values, only the shapes.
nn::MultiTaskNet evalNet(const BenchOptions& o, std::int64_t classes)
{
    nn::MultiTaskOptions mo;
    mo.backbone = o.backbone;
    mo.numClasses = classes;
    mo.channelsLast = o.channelsLast;
    nn::MultiTaskNet net(mo);
    net->eval();
    net->setInferencePrecision(o.precision);
    return net;
}

}  // namespace

double BenchReport::utilisationOfMatmulPeak() const { return peak ? trainGflops() / peak->matmulGflops.median : -1.0; }

double BenchReport::utilisationOfConvPeak() const { return peak ? trainGflops() / peak->convGflops.median : -1.0; }

BenchReport runBench(const BenchOptions& o, const BenchProgress& progress)
{
    if (o.batch < 1) throw std::invalid_argument("--batch must be at least 1");
    if (o.evalBatch < 1) throw std::invalid_argument("--eval-batch must be at least 1");
    if (o.steps < 1) throw std::invalid_argument("--steps must be at least 1");
    if (o.warmup < 0) throw std::invalid_argument("--warmup must not be negative");
    if (o.inspections < 0) throw std::invalid_argument("--inspections must not be negative (0 skips them)");
    if (o.classes < 2) throw std::invalid_argument("--classes must be at least 2");
    nn::checkPrecisionSupported(o.precision, torch::kCPU);
    BenchReport r;
    r.options = o;
    r.machine = describeMachine();
    const auto backbone = nn::makeBackbone(o.backbone);
    r.inputSize = o.inputSize > 0 ? o.inputSize : static_cast<int>(backbone->info().inputSize);

    report(progress, "counting FLOPs");
    {
        auto net = evalNet(o, o.classes);
        const int n = 2;  // per-image figures from a batch of 2 (costs are linear in the batch)
        const auto x = torch::zeros({n, 3, r.inputSize, r.inputSize});
        // The training forward, with autograd on: convolution, then batch norm (the convention
        // counts it). The embedding as inference runs it: batch norm folded into the convolutions.
        FlopCount fwd = countFlops([&] { net->forward(x); });
        torch::NoGradGuard ng;
        FlopCount emb = countFlops([&] { net->embed(x); });
        for (FlopCount* c : {&fwd, &emb}) {
            c->conv /= n;
            c->linear /= n;
            c->batchNorm /= n;
        }
        r.forwardPerImage = fwd;
        r.embedPerImage = emb;
        r.trainFlopsPerImage = 3.0 * fwd.total();
    }

    if (o.measurePeak) {
        report(progress, "measuring the machine's fp32 matmul and 3x3 convolution peak");
        r.peak = measureMachinePeak();
    }

    r.synthetic = trainSynthetic(o, r.inputSize, progress);
    if (o.inspections > 0) r.inspection = measureInspection(o, r.inputSize, r.synthetic.stepSeconds.median, progress);

    std::shared_ptr<const data::DatasetIndex> index;
    if (!o.dataset.empty()) {
        report(progress, "indexing " + o.dataset);
        index = std::make_shared<const data::DatasetIndex>(data::loadDataset(o.dataset));
        if (index->images.empty()) throw std::runtime_error(o.dataset + ": no images found");
        r.pipeline = trainPipeline(o, r.inputSize, index, progress);
    }

    {
        auto net = evalNet(o, o.classes);
        torch::NoGradGuard ng;
        const auto x = torch::randn({o.evalBatch, 3, r.inputSize, r.inputSize});
        std::vector<double> times;
        for (int i = 0; i < o.warmup + o.steps; ++i) {
            report(progress, "embedding batch " + std::to_string(i + 1) + "/" + std::to_string(o.warmup + o.steps));
            const auto t0 = Clock::now();
            net->embed(x);
            if (i >= o.warmup) times.push_back(since(t0));
        }
        r.embedBatchSeconds = summarize(times);
        r.embedImagesPerSecond = o.evalBatch / r.embedBatchSeconds.median;
    }

    if (index) {
        auto net = evalNet(o, static_cast<std::int64_t>(index->identities.size()));
        std::vector<int> images;
        const size_t n = o.evalImages > 0 ? std::min(index->images.size(), static_cast<size_t>(o.evalImages)) : index->images.size();
        // Spread over the whole dataset, so every identity folder and image size takes part.
        for (size_t i = 0; i < n; ++i) images.push_back(static_cast<int>(i * index->images.size() / n));
        data::ImageCache cold;
        report(progress, "embedding " + std::to_string(n) + " dataset images (cold cache)");
        const auto t0 = Clock::now();
        const auto e = eval::embedImages(net, *index, images, cold, pipelineFor(net->info(), r.inputSize), o.evalBatch, torch::kCPU);
        EvalFigures f;
        f.seconds = since(t0);
        f.images = static_cast<int>(n);
        f.imagesPerSecond = static_cast<double>(n) / std::max(f.seconds, 1e-9);
        if (!e.failures.empty()) report(progress, std::to_string(e.failures.size()) + " image(s) could not be read, e.g. " + e.failures.front().file);
        r.evalPipeline = f;
    }

    r.machine.loadAfter = loadAverage1();
    r.peakRssMiB = peakRssMiB();
    return r;
}

nlohmann::json BenchReport::toJson() const
{
    auto flops = [](const FlopCount& c) {
        return nlohmann::json{{"total", c.total()},
                              {"conv", c.conv},
                              {"linear", c.linear},
                              {"batch_norm", c.batchNorm},
                              {"conv_ops", c.convOps},
                              {"linear_ops", c.linearOps},
                              {"batch_norm_ops", c.batchNormOps}};
    };
    auto train = [](const TrainFigures& f) {
        return nlohmann::json{
            {"step_seconds", perf::toJson(f.stepSeconds)}, {"images_per_s", f.imagesPerSecond}, {"page_faults_per_step", f.pageFaultsPerStep}};
    };
    nlohmann::json j;
    j["config"] = {{"backbone", options.backbone},
                   {"strategy", options.strategy},
                   {"batch", options.batch},
                   {"input_size", inputSize},
                   {"steps", options.steps},
                   {"warmup", options.warmup},
                   {"classes", options.classes},
                   {"dataset", options.dataset},
                   {"loader_workers", options.loaderWorkers},
                   {"eval_batch", options.evalBatch},
                   {"precision", nn::precisionName(options.precision)},
                   {"eval_precision", nn::precisionName(options.precision)},
                   {"memory_format", options.channelsLast ? "channels_last" : "nchw"},
                   {"inspections", options.inspections}};
    j["machine"] = {{"cpu", machine.cpuModel},
                    {"logical_cores", machine.logicalCores},
                    {"torch_threads", machine.torchThreads},
                    {"interop_threads", machine.interopThreads},
                    {"blas", machine.blas},
                    {"omp_wait_policy", machine.ompWaitPolicy},
                    {"openblas_thread_timeout", machine.openBlasThreadTimeout},
                    {"malloc_thresholds", machine.mallocThresholds},
                    {"runtime_tuned", machine.runtimeTuned},
                    {"load_before", machine.loadBefore},
                    {"load_after", machine.loadAfter}};
    j["flops"] = {{"convention",
                   "multiply-add = 2 FLOPs; conv, linear and batch norm (2 per element) counted; "
                   "training step = 3 x forward"},
                  {"forward_per_image", flops(forwardPerImage)},
                  {"embed_per_image", flops(embedPerImage)},
                  {"train_step_per_image", trainFlopsPerImage}};
    if (peak) {
        j["machine_peak"] = {{"matmul_gflops", perf::toJson(peak->matmulGflops)},
                             {"conv3x3_gflops", perf::toJson(peak->convGflops)},
                             {"matmul_shape", "2048x2048 fp32"},
                             {"conv3x3_shape", "16x128x28x28, 128 filters, pad 1"}};
    }
    j["train_synthetic"] = train(synthetic);
    j["train_synthetic"]["gflops"] = trainGflops();
    j["train_synthetic"]["utilisation_of_matmul_peak"] = utilisationOfMatmulPeak();
    j["train_synthetic"]["utilisation_of_conv3x3_peak"] = utilisationOfConvPeak();
    if (inspection) {
        j["inspection"] = {{"seconds", perf::toJson(inspection->seconds)},
                           {"step_fraction", inspection->stepFraction},
                           {"shared_parameters", inspection->sharedParameters},
                           {"seconds_per_auto_run", inspection->secondsPerAutoRun}};
    }
    if (pipeline) {
        j["train_pipeline"] = train(*pipeline);
        j["train_pipeline"]["data_wait"] = pipeline->dataWait;
        j["train_pipeline"]["cache_misses"] = pipeline->cacheMisses;
        j["train_pipeline"]["cache_hits"] = pipeline->cacheHits;
    }
    j["embed_synthetic"] = {{"batch_seconds", perf::toJson(embedBatchSeconds)},
                            {"images_per_s", embedImagesPerSecond},
                            {"gflops", embedPerImage.total() * embedImagesPerSecond / 1e9}};
    if (evalPipeline) {
        j["embed_pipeline"] = {{"images", evalPipeline->images},
                               {"seconds", evalPipeline->seconds},
                               {"images_per_s", evalPipeline->imagesPerSecond},
                               {"seconds_for_12000_images", 12000.0 / std::max(evalPipeline->imagesPerSecond, 1e-9)}};
    }
    j["peak_rss_mib"] = peakRssMiB;
    return j;
}

}  // namespace carilab::perf
