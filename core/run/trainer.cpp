#include "run/trainer.h"

#include "data/batch_loader.h"
#include "data/dataset_registry.h"
#include "data/protocol_split.h"
#include "run/model_selection.h"
#include "data/splits.h"
#include "io/folder_lock.h"
#include "nn/center_loss.h"
#include "nn/multitask_net.h"
#include "nn/network_optimizer.h"
#include "nn/weighting_strategy.h"
#include "nn/task_losses.h"
#include "perf/thread_priority.h"
#include "run/batch_memory.h"
#include "run/checkpoint.h"
#include "run/dataset_fingerprint.h"
#include "run/device.h"
#include "run/evaluator.h"
#include "run/folder_guard.h"
#include "run/lr_schedule.h"
#include "run/run_directory.h"
#include "run/user_message.h"

#include <opencv2/core.hpp>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <thread>

namespace carilab::run {

namespace {

using Clock = std::chrono::steady_clock;

double seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

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

data::BatchLoaderOptions loaderOptions(const TrainConfig& c, const nn::BackboneInfo& info, int inputSize)
{
    data::BatchLoaderOptions lo;
    lo.batchSize = c.batch;
    lo.sampler = c.sampler == "identity" ? data::Sampler::Identity : data::Sampler::Uniform;
    lo.identitiesPerBatch = c.resolvedIdentitiesPerBatch();
    lo.workers = c.loaderWorkers;
    lo.prefetch = c.prefetch;
    lo.seed = c.seed;
    lo.pipeline.size = inputSize;
    nn::applyInputNormalisation(info, lo.pipeline);
    applyFaceCrop(c, info, lo.pipeline);
    auto& a = lo.pipeline.augment;
    a.enabled = c.augment;
    a.flip = c.augmentFlip;
    a.maxRotationDeg = (float)c.augmentRotationDeg;
    a.maxScale = (float)c.augmentScale;
    a.maxShift = (float)c.augmentShift;
    a.colourJitter = (float)c.augmentColourJitter;
    return lo;
}


}  // namespace

Trainer::Trainer(TrainConfig config, std::string runDir, bool resume)
    : config_(std::move(config)), runDir_(std::move(runDir)), resume_(resume)
{
}

Trainer::~Trainer()
{
    stop();
    wait();
}

const char* Trainer::stateName(State s)
{
    switch (s) {
    case State::Idle: return "idle";
    case State::Running: return "running";
    case State::Paused: return "paused";
    case State::Stopping: return "stopping";
    case State::Finished: return "finished";
    case State::Stopped: return "stopped";
    case State::Failed: return "failed";
    }
    return "?";
}

std::string Trainer::configureThreads(int threads)
{
    const int cores = (int)std::max(1u, std::thread::hardware_concurrency());
    int n = threads > 0 ? std::min(threads, cores) : cores;
    std::string warning;
    if (threads > cores)
        warning = "threads " + std::to_string(threads) + " is more than the " + std::to_string(cores) + " cores of this machine; using " +
                  std::to_string(cores) + " (more threads than cores only wait on one another)";
    // A cap from the environment wins over configs and flags: the ThreadSanitizer preset sets
    // it to 1, since TSan cannot see the barriers of the (uninstrumented) OpenMP runtime and
    // would report LibTorch's own worker threads as racing.
    if (const char* cap = std::getenv("CARILAB_MAX_TORCH_THREADS"); cap && std::atoi(cap) > 0) n = std::min(n, std::atoi(cap));
    torch::set_num_threads(n);
    // Loader threads decode and warp one image at a time; OpenCV's own pool would only fight
    // LibTorch's for the same cores.
    cv::setNumThreads(1);
    return warning;
}

void Trainer::start()
{
    if (thread_.joinable()) throw std::logic_error("trainer already started");
    setState(State::Running);
    thread_ = std::thread([this] { run(); });
}

void Trainer::pause()
{
    pauseRequested_ = true;
}

// The flags change under mutex_: the paused loop tests them under that lock before it sleeps,
// so a change made between its test and its sleep would otherwise wake nobody (lost wake-up).
void Trainer::resume()
{
    {
        std::lock_guard<std::mutex> lock(mutex_);
        pauseRequested_ = false;
    }
    cv_.notify_all();
}

void Trainer::stop()
{
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopRequested_ = true;
    }
    cv_.notify_all();
}

void Trainer::wait()
{
    if (thread_.joinable()) thread_.join();
}

bool Trainer::waitFor(int timeoutMs)
{
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, std::chrono::milliseconds(timeoutMs), [&] { return done_; });
}

void Trainer::setState(State s, const std::string& message)
{
    state_ = s;
    events_.push({TrainerEvent::Kind::StateChanged, step_.load(), nlohmann::json{{"state", stateName(s)}}, message.empty() ? stateName(s) : message});
}

void Trainer::run()
{
    // A new thread inherits its creator's scheduling policy, and LibTorch's OpenMP workers inherit
    // this thread's: a GUI thread that defers to compute (SCHED_BATCH) must not hand that down to
    // the very threads it defers to.
    perf::setThisThreadDefersToCompute(false);
    try {
        train();
    } catch (const std::exception& e) {
        const std::string msg = userMessage(e, config_.batch);   // no LibTorch backtrace in status.json
        try {
            if (ownsRunDir_ && RunDirectory::isRun(runDir_)) {
                auto rd = RunDirectory::open(runDir_);
                rd.log("error: " + msg);
                rd.writeStatus("failed", step_.load(), msg);
            }
        } catch (const std::exception&) {
            // The run folder itself may be the problem (disk full); the event still reports it.
        }
        state_ = State::Failed;
        events_.push({TrainerEvent::Kind::Error, step_.load(), {}, msg});
    }
    lock_.reset();
    {
        std::lock_guard<std::mutex> lock(mutex_);
        done_ = true;
    }
    cv_.notify_all();
}

void Trainer::train()
{
    // ---- the run folder (locked before anything in it is written) and its config
    if (resume_) {
        RunDirectory::open(runDir_);
    } else {
        validate(config_);
        checkNewRunFolder(runDir_, config_.dataset);
        // Stored absolute: a relative path would name another folder from another working folder.
        std::error_code cec;
        const auto canonical = std::filesystem::weakly_canonical(std::filesystem::absolute(config_.dataset), cec);
        if (!cec) config_.dataset = canonical.string();
        std::error_code ec;
        std::filesystem::create_directories(runDir_, ec);
        if (ec) throw std::runtime_error(runDir_ + ": cannot create run folder: " + ec.message());
    }
    lock_ = std::make_unique<io::FolderLock>(runDir_, "train");
    RunDirectory rd = [&] {
        if (!resume_) {
            RunDirectory r = RunDirectory::create(runDir_, toJson(config_));
            ownsRunDir_ = true;
            return r;
        }
        RunDirectory r = RunDirectory::open(runDir_);
        ownsRunDir_ = true;
        TrainConfig stored = trainConfigFromJson(r.config(), r.configPath());
        // A resume may extend a run (more steps or epochs); everything else comes from the run.
        if (config_.steps > stored.steps || config_.epochs > stored.epochs) {
            stored.steps = std::max(stored.steps, config_.steps);
            stored.epochs = std::max(stored.epochs, config_.epochs);
            r.writeConfig(toJson(stored));
        }
        // Threads are this machine's choice, not the run's recipe: used, not recorded.
        const int threads = config_.threads;
        config_ = stored;
        if (threads > 0) config_.threads = threads;
        return r;
    }();
    rd.log(resume_ ? "resuming run" : "new run");
    if (const std::string w = configureThreads(config_.threads); !w.empty()) {
        events_.push({TrainerEvent::Kind::Warning, 0, {}, w});
        rd.log("warning: " + w);
    }
    const torch::Device device = parseDevice(config_.device);
    torch::manual_seed(config_.seed);

    // ---- data
    auto index = std::make_shared<const data::DatasetIndex>(data::loadDataset(config_.dataset, config_.format));
    // Before any checkpoint loads: a changed dataset must be named as such, not as a bad checkpoint.
    recordOrCheckRunDataset(rd, *index);
    // One class leaves identification nothing to tell apart and verification no negative pairs.
    if (index->identities.size() < 2)
        throw std::runtime_error(config_.dataset + ": the dataset has " + std::to_string(index->identities.size()) +
                                 " identity; training needs at least 2 (with photos and caricatures)");
    for (const auto& w : index->warnings) {
        events_.push({TrainerEvent::Kind::Warning, 0, {}, w});
        rd.log("warning: " + w);
    }
    if (!index->skipped.empty()) {
        const std::string m = std::to_string(index->skipped.size()) + " file(s) skipped while indexing the dataset (see 'carilab-cli dataset info')";
        events_.push({TrainerEvent::Kind::Warning, 0, {}, m});
        rd.log("warning: " + m);
    }
    const std::string splitKind = config_.split != "auto" ? config_.split
                                  : data::hasProtocolSplit(*index, config_.pairs) ? "protocol" : "image";
    const data::Split split = splitKind == "protocol" ? data::protocolSplit(*index, config_.pairs)
                              : splitKind == "official" ? data::officialCaviSplit(*index, config_.pairs)
                              : splitKind == "identity" ? data::splitByIdentity(*index, config_.testFraction, config_.seed)
                                                        : data::splitByImage(*index, config_.testFraction, config_.seed);
    // Models are selected on the validation images when the protocol has them, never on test.
    const std::vector<int>& heldOut = split.validation.empty() ? split.test : split.validation;
    const std::string heldOutName = split.validation.empty() ? "test" : "validation";
    rd.log("split: " + splitKind + " (" + std::to_string(split.train.size()) + " train, " + std::to_string(split.validation.size()) +
           " validation, " + std::to_string(split.test.size()) + " test images; held-out evaluation and model selection on " +
           heldOutName + ")");

    // ---- model, strategy, optimiser
    nn::MultiTaskOptions mo;
    mo.backbone = config_.backbone;
    mo.numClasses = (std::int64_t)index->identities.size();
    mo.dropout = config_.dropout;
    mo.reluOnIdLogits = config_.reluOnIdLogits;
    mo.pretrainedWeights = config_.pretrained;
    nn::MultiTaskNet net(mo);
    const auto info = net->info();
    const int inputSize = config_.inputSize > 0 ? config_.inputSize : (int)info.inputSize;
    if (inputSize != info.inputSize && config_.backbone == "inception-resnet-v1" && inputSize < 139)
        throw std::invalid_argument("inception-resnet-v1 needs an input of at least 139 px (its stem and reductions shrink it to 3x3 at 160)");
    net->to(device);
    nn::CenterLoss center(mo.numClasses, info.embeddingDim, config_.centerLossAlpha);
    center->to(device);
    // Z's size depends on the input size; measure it instead of trusting the nominal value.
    std::int64_t zDim = info.zDim;
    {
        torch::NoGradGuard ng;
        net->eval();
        zDim = net->forward(torch::zeros({2, 3, inputSize, inputSize}, device)).z.size(1);
        net->train();
    }
    // Before any batch is allocated: a batch that cannot fit is refused with the largest that does.
    if (device.is_cpu()) checkBatchFits(config_.batch, trainingBytesPerImage(net, inputSize), availableMemoryBytes());
    auto strategy = nn::makeStrategy(config_.strategy, zDim, config_.optimizer);
    strategy->to(device);
    nn::NetworkOptimizer optimizer(config_.optimizer, *net, config_.lrMultipliers);
    const nlohmann::json meta = {{"run_id", rd.ensureRunId()},
                                 {"backbone", config_.backbone},
                                 {"num_classes", mo.numClasses},
                                 {"input_size", inputSize},
                                 {"identities", index->identities},
                                 {"strategy", config_.strategy.name}};
    const TrainingState ts{net, center, &optimizer.optimizer(), strategy.get()};

    // ---- resume point
    long long startStep = 0;
    double timeOffset = 0.0;
    if (resume_) {
        // A process killed mid-write leaves temp files; they are never checkpoints.
        removeStaleCheckpointTemps(rd.checkpointsDir());
        rd.removeStaleTempFiles();
        auto ckpts = listCheckpoints(rd.checkpointsDir());
        bool loaded = false;
        for (auto it = ckpts.rbegin(); it != ckpts.rend() && !loaded; ++it) {
            try {
                startStep = loadCheckpoint(it->second, ts, meta);
                rd.log("resumed from " + it->second);
                loaded = true;
            } catch (const std::exception& e) {
                // A damaged newest checkpoint must not cost the whole run: fall back to the previous.
                events_.push({TrainerEvent::Kind::Warning, 0, {}, e.what()});
                rd.log(std::string("warning: ") + e.what());
            }
        }
        // Silently restarting from step 0 would overwrite the run's history with a new one.
        if (!ckpts.empty() && !loaded)
            throw std::runtime_error(rd.checkpointsDir() + ": none of the " + std::to_string(ckpts.size()) +
                                     " checkpoint(s) can be loaded (see the warnings above); move them away to restart this run from step 0");
        truncateMetricsAfter(rd.metricsPath(), startStep);
        const auto m = rd.metrics();
        if (!m.train.empty()) timeOffset = m.train.back().value("time_s", 0.0);
    }
    step_ = startStep;

    const data::BatchLoaderOptions lo = loaderOptions(config_, info, inputSize);
    auto cache = std::make_shared<data::ImageCache>();
    data::BatchLoader loader(index, split.train, cache, lo, startStep);
    const long long bpe = loader.batchesPerEpoch();
    const long long total = config_.totalSteps(bpe);
    totalSteps_ = total;

    EvalOptions eo;
    eo.pipeline = lo.pipeline;
    eo.pipeline.augment.enabled = false;
    eo.seed = config_.seed;
    BestCheckpointKeeper best(rd);
    auto evaluate = [&](long long s) {
        if (heldOut.empty()) return;
        nlohmann::json r = evaluateImages(net, *index, heldOut, *cache, eo, device);
        r["type"] = "eval";
        r["step"] = s;
        r["epoch"] = (double)s / (double)bpe;
        r["held_out"] = heldOutName;
        r["split"] = splitKind;
        rd.appendMetrics(r);
        rd.mergeEval({{"held_out", r}});
        best.offer(s, r, ts, meta);
        events_.push({TrainerEvent::Kind::Eval, s, r, {}});
    };
    long long lastCheckpoint = -1;
    auto checkpoint = [&](long long s) {
        const std::string path = saveCheckpoint(rd.checkpointsDir(), s, ts, meta, config_.keepCheckpoints);
        lastCheckpoint = s;
        events_.push({TrainerEvent::Kind::Checkpoint, s, {{"path", path}}, path});
    };

    rd.writeStatus("running", startStep);
    events_.push({TrainerEvent::Kind::Started, startStep,
                  {{"total_steps", total}, {"start_step", startStep}, {"batches_per_epoch", bpe},
                   {"train_images", split.train.size()}, {"test_images", heldOut.size()},
                   {"identities", index->identities.size()}, {"run_dir", rd.path()}},
                  rd.path()});

    net->train();
    const auto t0 = Clock::now();
    auto lastLogTime = t0;
    long long imagesSinceLog = 0;
    double waitAtLastLog = loader.waitSeconds();
    long long s = startStep;
    while (s < total) {
        if (stopRequested_) break;
        if (pauseRequested_) {
            setState(State::Paused);
            rd.writeStatus("paused", s);
            std::unique_lock<std::mutex> lock(mutex_);
            cv_.wait(lock, [&] { return !pauseRequested_ || stopRequested_; });
            lock.unlock();
            if (stopRequested_) break;
            setState(State::Running);
            rd.writeStatus("running", s);
            lastLogTime = Clock::now();
            imagesSinceLog = 0;
        }
        data::Batch batch = loader.next();
        // Every step, after a resume too: the checkpoint's stored group lrs are overwritten here.
        const double lr = learningRateAt(config_, s, total, bpe);
        optimizer.setLearningRate(lr);
        strategy->setLearningRate(lr);

        auto images = batch.images.to(device, /*non_blocking=*/true);
        auto labels = batch.labels.to(device, true);
        auto isCari = batch.isCaricature.to(device, true);
        auto out = net->forward(images);
        nn::TaskLossOptions tlo{config_.centerLossFactor, config_.centerLossAllBranches};
        auto tl = nn::computeTaskLosses(out, labels, isCari, center, tlo);

        const auto lossesCpu = tl.losses.detach().to(torch::kCPU, torch::kDouble);
        for (int t = 0; t < nn::kNumTasks; ++t) {
            const double v = lossesCpu[t].item<double>();
            if (!std::isfinite(v))
                throw std::runtime_error(std::string("the ") + nn::kTaskNames[(size_t)t] + " loss became " + (std::isnan(v) ? "NaN" : "infinite") +
                                         " at step " + std::to_string(s + 1) + "; training stopped. The last good checkpoint is kept" +
                                         (lastCheckpoint >= 0 ? " (step " + std::to_string(lastCheckpoint) + ")" : "") +
                                         ". Try a lower learning rate or gradient clipping.");
        }

        nn::StrategyInputs in{tl.losses, out.z, net->lastSharedParameters(), s, bpe};
        auto so = strategy->forward(in);
        nn::clearGradients(optimizer.optimizer());
        strategy->zeroGrad();
        so.networkLoss.backward();
        strategy->update(so, in);
        if (config_.clipNorm > 0) torch::nn::utils::clip_grad_norm_(net->parameters(), config_.clipNorm);
        optimizer.optimizer().step();
        center->updateCenters(torch::nn::functional::normalize(out.embeddings[nn::kVerification].detach(),
                                                               torch::nn::functional::NormalizeFuncOptions().dim(1).eps(1e-10)),
                              labels);
        ++s;
        step_ = s;
        imagesSinceLog += batch.images.size(0);

        if (s % config_.logEvery == 0 || s == total) {
            const auto now = Clock::now();
            const double dt = std::max(1e-9, seconds(lastLogTime, now));
            const double waited = loader.waitSeconds() - waitAtLastLog;
            nlohmann::json rec = {{"type", "train"},
                                  {"step", s},
                                  {"epoch", (double)s / (double)bpe},
                                  {"time_s", timeOffset + seconds(t0, now)},
                                  {"lr", lr},
                                  {"lr_groups", groupLearningRates(optimizer)},
                                  {"images_per_s", (double)imagesSinceLog / dt},
                                  {"data_wait", std::min(1.0, waited / dt)},
                                  {"loss", perTask(tl.losses)},
                                  {"weight", perTask(nn::normalizedWeights(so.weights))},
                                  {"weight_raw", perTask(so.weights)},
                                  {"cross_entropy", perTask(tl.crossEntropy)},
                                  {"center_loss", tl.center.item<double>()},
                                  {"total_loss", so.networkLoss.detach().item<double>()},
                                  {"photos", tl.photos},
                                  {"caricatures", tl.caricatures}};
            if (so.strategyLoss.defined()) rec["strategy_loss"] = so.strategyLoss.detach().item<double>();
            rd.appendMetrics(rec);
            events_.push({TrainerEvent::Kind::Metrics, s, rec, {}});
            lastLogTime = now;
            imagesSinceLog = 0;
            waitAtLastLog = loader.waitSeconds();
        }
        const bool evalNow = config_.evalEvery > 0 ? s % config_.evalEvery == 0 : s % bpe == 0;
        if (evalNow && s != total) evaluate(s);
        if (s % config_.checkpointEvery == 0 && s != total) checkpoint(s);
    }

    for (const auto& f : loader.failures()) {
        const std::string m = "unreadable image replaced during training: " + f.path + " (" + f.reason + ")";
        events_.push({TrainerEvent::Kind::Warning, s, {}, m});
        rd.log("warning: " + m);
    }
    if (lastCheckpoint != s) checkpoint(s);
    if (s >= total) {
        evaluate(s);
        rd.writeStatus("finished", s);
        rd.log("finished at step " + std::to_string(s));
        state_ = State::Finished;
        events_.push({TrainerEvent::Kind::Finished, s, {{"state", "finished"}}, "finished"});
    } else {
        rd.writeStatus("stopped", s);
        rd.log("stopped at step " + std::to_string(s));
        state_ = State::Stopped;
        events_.push({TrainerEvent::Kind::Finished, s, {{"state", "stopped"}}, "stopped at step " + std::to_string(s)});
    }
}

}  // namespace carilab::run
