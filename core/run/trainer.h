#pragma once
// The background trainer.
//
// Thread contract: the caller owns the Trainer; start() spawns one training thread that owns
// every torch object (network, optimisers, loader). The caller talks to it only through
// pause()/resume()/stop() (atomic flags, answered within one step) and events() (drained on
// the caller's schedule). Events arrive in this order: Started, then per step Metrics (every
// log_every steps), Eval and Checkpoint as they happen, StateChanged on pause/resume, and
// finally exactly one of Finished or Error. On disk after each event: the Metrics/Eval record
// is already in metrics.jsonl; a Checkpoint event's file is complete (atomic rename); after
// Finished/Error, status.json says so and the last checkpoint holds the last good step.
#include "run/event_queue.h"
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

namespace carilab::run {

class Trainer {
public:
    enum class State { Idle, Running, Paused, Stopping, Finished, Stopped, Failed };

    // resume: continue the run in runDir from its newest checkpoint (config taken from the run
    // when `config.dataset` is empty). Otherwise runDir must not hold a run yet.
    Trainer(TrainConfig config, std::string runDir, bool resume = false);
    ~Trainer();   // requests stop and joins
    Trainer(const Trainer&) = delete;
    Trainer& operator=(const Trainer&) = delete;

    void start();
    void pause();
    void resume();
    void stop();      // finishes the current step, writes a final checkpoint
    void wait();      // joins the training thread
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

private:
    void run();
    void train();
    void setState(State s, const std::string& message = {});

    TrainConfig config_;
    std::string runDir_;
    bool resume_;
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
