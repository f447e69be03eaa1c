#pragma once
// The background trainer.
//
// Thread contract: the caller owns the Trainer; start() spawns one training thread that owns
// every torch object (network, optimisers, loader). The caller talks to it only through
// pause()/resume()/stop() (atomic flags, answered within one step) and events() (drained on
// the caller's schedule). Events arrive in this order: StateChanged "running" (from start()),
// Warnings about the dataset and the checkpoints, Started (once the data and model are ready),
// then Metrics (every log_every steps), Eval and Checkpoint as they happen, StateChanged on
// pause/resume and "stopping" when stop() is called on a running or paused run, and finally
// exactly one of Finished (state finished or stopped) or Error; an Error may come before
// Started. On disk after each event: the Metrics/Eval record is already in metrics.jsonl; a
// Checkpoint event's file is complete (atomic rename); after Finished/Error, status.json says
// so and the last checkpoint holds the last good step. The trainer never sets the thread
// count: that is the process's (configureThreads, once, by the CLI or the GUI).
#include "run/event_queue.h"
#include "run/run_opening.h"
#include "run/train_config.h"

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace carilab::io {
class FolderLock;
}
namespace carilab::nn {
class Replicas;
}

namespace carilab::run {

class RunDirectory;

class Trainer {
public:
    using State = RunState;

    // resume: continue the run in runDir from its newest checkpoint with the run's own config;
    // of `config` only steps/epochs count (0: finish the run's own budget), under the resume
    // rules (run/resume_rules.h). Otherwise runDir must not hold a run yet.
    // replicas: this process is one rank of a data-parallel job (docs/distributed.md); rank 0
    // owns the run folder, the other ranks write only their own log (logs/rank<k>.txt).
    Trainer(TrainConfig config, std::string runDir, bool resume = false, std::shared_ptr<nn::Replicas> replicas = nullptr);
    ~Trainer();  // requests stop and joins
    Trainer(const Trainer&) = delete;
    Trainer& operator=(const Trainer&) = delete;

    void start();
    void pause();
    void resume();
    void stop();  // finishes the current step, writes a final checkpoint
    void wait();  // joins the training thread
    // Blocks until the run ends (returns true) or timeoutMs passes (returns false).
    bool waitFor(int timeoutMs);

    State state() const { return state_.load(); }
    static const char* stateName(State s);
    EventQueue& events() { return events_; }
    const std::string& runDir() const { return runDir_; }
    long long step() const { return step_.load(); }
    long long totalSteps() const { return totalSteps_.load(); }

    // Called once before any torch work in the process (LibTorch's thread count can be set only
    // reliably before the first parallel op). threads <= 0: all cores. More than the cores is
    // clamped to them (surplus threads only wait on one another: 999 took 48 s for one tiny
    // step); returns the warning saying so, "" when nothing was clamped.
    static std::string configureThreads(int threads);

    // Data-parallel runs: every k steps each rank logs a fingerprint of its model (network,
    // buffers, centres, strategy) and the job fails if any rank's differs from rank 0's. 0: off.
    void setReplicaCheckEvery(long long k) { replicaCheckEvery_ = k; }
    // The count the last configureThreads set (0 before any call).
    static int configuredThreads();

private:
    void run();
    // One training session in parts (the parts themselves: run/run_opening.h, training_data.h,
    // training_model.h, training_restore.h, training_step.h).
    struct Session;
    void train();
    OpenedRun openRun();  // the run folder as this rank sees it (rank 0 owns it)
    void prepareSteps(Session& session);
    long long runSteps(Session& session);  // returns the step reached
    void evaluateAt(Session& session, long long step);
    void checkpointAt(Session& session, long long step);
    bool waitWhilePaused(const RunDirectory& rd, long long step);  // false: stop requested
    void waitForRankZero();  // ranks > 0: while rank 0 evaluates or writes a checkpoint
    void checkReplicas(Session& session, long long step);
    void finish(const RunDirectory& rd, long long step, bool complete);
    void setState(State s, const std::string& message = {});

    TrainConfig config_;
    std::string runDir_;
    bool resume_;
    std::shared_ptr<nn::Replicas> replicas_;
    long long replicaCheckEvery_ = 0;
    // Held from before the run folder is first written until run() ends; only its holder
    // writes the folder, status.json included (a refused second trainer must not mark the
    // first one's run failed).
    std::unique_ptr<io::FolderLock> lock_;
    bool ownsRunDir_ = false;
    EventQueue events_;
    std::thread thread_;
    std::atomic<State> state_{State::Idle};
    std::atomic<bool> stopRequested_{false};
    std::atomic<bool> pauseRequested_{false};
    std::atomic<long long> step_{0};
    std::atomic<long long> totalSteps_{0};
    std::mutex mutex_;
    std::condition_variable cv_;
    bool done_ = false;
};

}  // namespace carilab::run
