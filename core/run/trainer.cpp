#include "run/trainer.h"

#include "data/batch_loader.h"
#include "eval/input_normalisation.h"
#include "io/folder_lock.h"
#include "io/thread_priority.h"
#include "nn/replicas.h"
#include "run/checkpoint.h"
#include "run/data_parallel.h"
#include "run/device.h"
#include "run/evaluator.h"
#include "run/lr_schedule.h"
#include "run/model_selection.h"
#include "run/run_opening.h"
#include "run/training_data.h"
#include "run/training_model.h"
#include "run/training_restore.h"
#include "run/training_step.h"
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

// How long the other ranks wait while rank 0 loads, evaluates or writes a checkpoint; a rank
// that dies meanwhile is seen at once (its connection closes), only a hang takes this long.
constexpr std::chrono::hours kRankZeroWait{1};

double seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

data::BatchLoaderOptions loaderOptions(const TrainConfig& c, const nn::BackboneInfo& info, int inputSize, const nn::Replicas* replicas)
{
    data::BatchLoaderOptions lo;
    if (replicas) {
        lo.shard = replicas->rank();
        lo.shards = replicas->size();
    }
    lo.batchSize = c.batch;
    lo.sampler = c.sampler;
    lo.identitiesPerBatch = c.resolvedIdentitiesPerBatch();
    lo.workers = c.loaderWorkers;
    lo.prefetch = c.prefetch;
    lo.seed = c.seed;
    lo.pipeline.size = inputSize;
    eval::applyInputNormalisation(info, lo.pipeline);
    applyFaceCrop(c, info, lo.pipeline);
    auto& a = lo.pipeline.augment;
    a.enabled = c.augment;
    a.flip = c.augmentFlip;
    a.maxRotationDeg = static_cast<float>(c.augmentRotationDeg);
    a.maxScale = static_cast<float>(c.augmentScale);
    a.maxShift = static_cast<float>(c.augmentShift);
    a.colourJitter = static_cast<float>(c.augmentColourJitter);
    a.eraseProbability = static_cast<float>(c.augmentErase);
    return lo;
}

// A data-parallel rank trains on its own GPU, cuda:LOCAL_RANK (one GPU per rank, as NCCL needs).
torch::Device rankDevice(const nn::Replicas& replicas)
{
    const int gpus = static_cast<int>(torch::cuda::device_count());
    if (replicas.localRank() >= gpus)
        throw std::runtime_error("rank " + std::to_string(replicas.rank()) + " would train on cuda:" + std::to_string(replicas.localRank()) +
                                 " but this machine has " + std::to_string(gpus) + " GPU(s): start at most one rank per GPU (--nproc-per-node " +
                                 std::to_string(std::max(1, gpus)) + ")");
    return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(replicas.localRank()));
}

}  // namespace

Trainer::Trainer(TrainConfig config, std::string runDir, bool resume, std::shared_ptr<nn::Replicas> replicas)
    : config_(std::move(config)), runDir_(std::move(runDir)), resume_(resume), replicas_(std::move(replicas))
{}

Trainer::~Trainer()
{
    stop();
    wait();
}

const char* Trainer::stateName(State s) { return runStateName(s); }

namespace {
std::atomic<int> gConfiguredThreads{0};
}

int Trainer::configuredThreads() { return gConfiguredThreads.load(); }

std::string Trainer::configureThreads(int threads)
{
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
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
    gConfiguredThreads = n;
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

void Trainer::pause() { pauseRequested_ = true; }

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
    // Running or paused becomes stopping until the training thread writes its last checkpoint
    // (before the flag is raised, so the thread cannot have ended in between); a run that
    // already ended, or never started, keeps its state.
    for (State s : {State::Running, State::Paused}) {
        State expected = s;
        if (state_.compare_exchange_strong(expected, State::Stopping)) {
            events_.push({TrainerEvent::Kind::StateChanged, step_.load(), State::Stopping, stateName(State::Stopping)});
            break;
        }
    }
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
    // Once a stop is requested, pausing or running again would hide it (compare-and-swap: stop()
    // may turn Running into Stopping on the caller's thread at any moment).
    State cur = state_.load();
    do {
        if (cur == State::Stopping && (s == State::Running || s == State::Paused)) return;
    } while (!state_.compare_exchange_weak(cur, s));
    events_.push({TrainerEvent::Kind::StateChanged, step_.load(), s, message.empty() ? stateName(s) : message});
}

void Trainer::run()
{
    // A new thread inherits its creator's scheduling policy, and LibTorch's OpenMP workers inherit
    // this thread's: a GUI thread that defers to compute (SCHED_BATCH) must not hand that down to
    // the very threads it defers to.
    io::setThisThreadDefersToCompute(false);
    try {
        train();
    } catch (const std::exception& e) {
        const std::string msg = userMessage(e, config_.batch);  // no LibTorch backtrace in status.json
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

bool Trainer::waitWhilePaused(const RunDirectory& rd, long long step)
{
    setState(State::Paused);
    rd.writeStatus("paused", step);
    rd.log("paused at step " + std::to_string(step));
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [&] { return !pauseRequested_ || stopRequested_; });
    lock.unlock();
    if (stopRequested_) return false;
    setState(State::Running);
    rd.writeStatus("running", step);
    rd.log("resumed at step " + std::to_string(step));
    return true;
}

// What the parts of one training session share while its steps run.
struct Trainer::Session {
    Session(RunDirectory d, TrainingData td, TrainingModel tm, torch::Device dev, ResumePoint rp)
        : dir(std::move(d)), data(std::move(td)), model(std::move(tm)), device(dev), from(rp)
    {}

    RunDirectory dir;
    TrainingData data;
    TrainingModel model;
    torch::Device device;
    ResumePoint from;
    std::shared_ptr<data::ImageCache> cache;
    std::unique_ptr<data::BatchLoader> loader;
    EvalOptions evalOptions;
    std::unique_ptr<BestCheckpointKeeper> best;
    long long batchesPerEpoch = 1, total = 0, lastCheckpoint = -1;
    Clock::time_point t0 = Clock::now();

    double runTime() const { return from.timeOffset + seconds(t0, Clock::now()); }
};

void Trainer::train()
{
    // ---- open or resume: the folder is locked before anything in it is written
    OpenedRun opened = openRun();
    ownsRunDir_ = true;
    config_ = opened.config;
    RunDirectory& rd = opened.dir;
    rd.log(resume_ ? "resuming run" : "new run");
    const WarningSink warn = [&](const std::string& w) {
        events_.push({TrainerEvent::Kind::Warning, step_.load(), {}, w});
        rd.log("warning: " + w);
    };
    // Threads are the process's choice (set once by the CLI or the GUI), not the run's recipe.
    rd.log("threads: " + std::to_string(torch::get_num_threads()));
    torch::Device device = torchDevice(config_.device);
    if (replicas_ && device.is_cuda()) device = rankDevice(*replicas_);
    torch::manual_seed(config_.seed);

    // ---- data, model, restore
    TrainingData data = loadTrainingData(config_, rd, warn);
    TrainingModel model = buildTrainingModel(config_, data, device, rd);
    const ResumePoint from = resume_ ? restoreTraining(rd, model.state(), model.checkpointMeta, warn) : ResumePoint{};
    if (replicas_) {
        model.replicas = replicas_.get();
        model.gradients = std::make_unique<nn::GradientReducer>(model.net->parameters(), *replicas_);
        replicas_->barrier(kRankZeroWait);  // every rank has loaded its data and model
        broadcastModel(*replicas_, model);
    }
    step_ = from.step;
    Session session(rd, std::move(data), std::move(model), device, from);  // a copy of rd: a path
    prepareSteps(session);

    // ---- steps, then the end
    const long long s = runSteps(session);
    for (const auto& f : session.loader->failures()) warn("unreadable image replaced during training: " + f.path + " (" + f.reason + ")");
    if (session.lastCheckpoint != s) checkpointAt(session, s);
    if (s >= session.total) evaluateAt(session, s);
    finish(session.dir, s, s >= session.total);
}

OpenedRun Trainer::openRun()
{
    if (!replicas_) {
        OpenedRun o = openTrainingRun(config_, runDir_, resume_, lock_);
        if (o.config.worldSize != 1) {  // a data-parallel run resumed by one process
            o.config.worldSize = 1;
            o.config.distBackend.clear();
            o.dir.writeConfig(toJson(o.config));
        }
        return o;
    }
    if (replicas_->rank() == 0) {
        OpenedRun o = openTrainingRun(config_, runDir_, resume_, lock_);
        o.config.worldSize = replicas_->size();
        o.config.distBackend = replicas_->backendName();
        o.dir.writeConfig(toJson(o.config));
        o.dir.log("data-parallel: rank 0 of " + std::to_string(replicas_->size()) + " (" + o.config.distBackend + ")");
        replicas_->barrier(kRankZeroWait);
        return o;
    }
    // The others train rank 0's recipe, read from the folder it has just written.
    replicas_->barrier(kRankZeroWait);
    RunDirectory dir = RunDirectory::openAsReplica(runDir_, replicas_->rank());
    TrainConfig c = trainConfigFromJson(dir.config(), dir.configPath());
    dir.log("data-parallel: rank " + std::to_string(replicas_->rank()) + " of " + std::to_string(replicas_->size()));
    return {std::move(dir), std::move(c)};
}

void Trainer::waitForRankZero()
{
    if (replicas_) replicas_->barrier(kRankZeroWait);
}

void Trainer::checkReplicas(Session& ss, long long s)
{
    if (!replicas_ || replicaCheckEvery_ <= 0 || s % replicaCheckEvery_ != 0) return;
    const std::uint64_t fingerprint = replicaFingerprint(ss.model);
    ss.dir.log("replica fingerprint after step " + std::to_string(s) + ": " + fingerprintText(fingerprint));
    checkReplicasAgree(*replicas_, fingerprint, s);
}

void Trainer::prepareSteps(Session& ss)
{
    const data::BatchLoaderOptions lo = loaderOptions(config_, ss.model.info, ss.model.inputSize, replicas_.get());
    ss.cache = std::make_shared<data::ImageCache>();
    ss.loader = std::make_unique<data::BatchLoader>(ss.data.index, ss.data.split.train, ss.cache, lo, ss.from.step);
    ss.batchesPerEpoch = ss.loader->batchesPerEpoch();
    ss.total = config_.totalSteps(ss.batchesPerEpoch);
    totalSteps_ = ss.total;
    ss.evalOptions.pipeline = lo.pipeline;
    ss.evalOptions.pipeline.augment.enabled = false;
    ss.evalOptions.seed = config_.seed;
    ss.best = std::make_unique<BestCheckpointKeeper>(ss.dir);
    ss.dir.writeStatus("running", ss.from.step);
    RunStarted started;
    started.startStep = ss.from.step;
    started.totalSteps = ss.total;
    started.batchesPerEpoch = ss.batchesPerEpoch;
    started.trainImages = ss.data.split.train.size();
    started.heldOutImages = ss.data.heldOut.size();
    started.identities = ss.data.index->identities.size();
    started.runDir = ss.dir.path();
    events_.push({TrainerEvent::Kind::Started, ss.from.step, started, ss.dir.path()});
    ss.t0 = Clock::now();
}

long long Trainer::runSteps(Session& ss)
{
    ss.model.net->train();
    auto lastLogTime = ss.t0;
    long long imagesSinceLog = 0;
    double waitAtLastLog = ss.loader->waitSeconds();
    long long s = ss.from.step;
    const int ranks = replicas_ ? replicas_->size() : 1;
    while (s < ss.total) {
        // Ranks stop together (exchangeStepStart) and never pause: the CLI launches them.
        if (!replicas_ && stopRequested_) break;
        if (!replicas_ && pauseRequested_) {
            if (!waitWhilePaused(ss.dir, s)) break;
            lastLogTime = Clock::now();  // the pause is not training time for images/s
            imagesSinceLog = 0;
        }
        data::Batch batch = ss.loader->next();
        const GlobalBatch global = replicas_ ? exchangeStepStart(*replicas_, stopRequested_, batch) : GlobalBatch{};
        if (global.stop) break;
        // Every step, after a resume too: the checkpoint's stored group lrs are overwritten here.
        const double lr = learningRateAt(config_, s, ss.total, ss.batchesPerEpoch);
        ss.model.optimizer->setLearningRate(lr);
        ss.model.strategy->setLearningRate(lr);
        const bool inspect = inspectsStep(config_, s, ss.total);
        StepOutcome o = trainStep(ss.model, batch, config_, ss.device, s, ss.batchesPerEpoch, ss.lastCheckpoint, inspect, global);
        ++s;
        step_ = s;
        imagesSinceLog += batch.images.size(0) * ranks;  // the whole job's
        checkReplicas(ss, s);

        // An inspected step is always logged: its record carries the measurement.
        if (s % config_.logEvery == 0 || s == ss.total || inspect) {
            const auto now = Clock::now();
            const double dt = std::max(1e-9, seconds(lastLogTime, now));
            const double waited = ss.loader->waitSeconds() - waitAtLastLog;
            if (replicas_) averageForLog(*replicas_, o, global);
            const StepRecord rec = trainRecord(o, ss.model, s, ss.batchesPerEpoch, lr,
                                               {ss.runTime(), static_cast<double>(imagesSinceLog) / dt, std::min(1.0, waited / dt)});
            ss.dir.appendMetrics(rec);
            events_.push({TrainerEvent::Kind::Metrics, s, rec, {}});
            lastLogTime = now;
            imagesSinceLog = 0;
            waitAtLastLog = ss.loader->waitSeconds();
        }
        const bool evalNow = config_.evalEvery > 0 ? s % config_.evalEvery == 0 : s % ss.batchesPerEpoch == 0;
        if (evalNow && s != ss.total) evaluateAt(ss, s);
        if (s % config_.checkpointEvery == 0 && s != ss.total) checkpointAt(ss, s);
    }
    return s;
}

void Trainer::evaluateAt(Session& ss, long long s)
{
    if (ss.data.heldOut.empty()) return;
    if (ss.dir.isReplica()) return waitForRankZero();
    HeldOutRecord r;
    r.figures = heldOutFiguresFromJson(evaluateImages(ss.model.net, *ss.data.index, ss.data.heldOut, *ss.cache, ss.evalOptions, ss.device));
    r.step = s;
    r.epoch = static_cast<double>(s) / static_cast<double>(ss.batchesPerEpoch);
    r.timeS = ss.runTime();
    r.heldOut = ss.data.heldOutName;
    r.split = splitKindName(ss.data.splitKind);
    ss.dir.appendMetrics(r);
    ss.dir.mergeEval({{"held_out", toJson(r)}});
    ss.best->offer(r, ss.model.state(), ss.model.checkpointMeta);
    events_.push({TrainerEvent::Kind::Eval, s, r, {}});
    waitForRankZero();
}

void Trainer::checkpointAt(Session& ss, long long s)
{
    ss.lastCheckpoint = s;
    if (ss.dir.isReplica()) return waitForRankZero();
    const std::string path = saveCheckpoint(ss.dir.checkpointsDir(), s, ss.model.state(), ss.model.checkpointMeta, config_.keepCheckpoints);
    events_.push({TrainerEvent::Kind::Checkpoint, s, {}, path});
    waitForRankZero();
}

void Trainer::finish(const RunDirectory& rd, long long step, bool complete)
{
    const std::string state = complete ? "finished" : "stopped";
    rd.writeStatus(state, step);
    rd.log(state + " at step " + std::to_string(step));
    state_ = complete ? State::Finished : State::Stopped;
    events_.push({TrainerEvent::Kind::Finished, step, state_.load(), complete ? state : "stopped at step " + std::to_string(step)});
}

}  // namespace carilab::run
