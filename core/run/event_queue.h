#pragma once
// Events the trainer thread publishes for whoever watches it (the GUI's timer, the CLI).
#include "run/metrics_records.h"

#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <variant>
#include <vector>

namespace carilab::run {

// Where a run stands; Trainer::State is this.
enum class RunState { Idle, Running, Paused, Stopping, Finished, Stopped, Failed };
// "idle", "running", "paused", "stopping", "finished", "stopped", "failed" (status.json's words).
const char* runStateName(RunState s);

// The Started event's facts: the data and the step budget the run trains on.
struct RunStarted {
    long long startStep = 0;  // the checkpoint resumed from (0: a new run)
    long long totalSteps = 0;
    long long batchesPerEpoch = 1;
    std::size_t trainImages = 0, heldOutImages = 0, identities = 0;
    std::string runDir;
};

struct TrainerEvent {
    enum class Kind { Started, Metrics, Eval, Checkpoint, Warning, StateChanged, Error, Finished };
    // Per kind: Started: RunStarted; Metrics: StepRecord; Eval: HeldOutRecord (both exactly as
    // written to metrics.jsonl); StateChanged: the new state; Finished: Finished or Stopped;
    // Checkpoint, Warning, Error: none (the message says it).
    using Payload = std::variant<std::monostate, RunStarted, StepRecord, HeldOutRecord, RunState>;

    Kind kind = Kind::Metrics;
    long long step = 0;
    Payload payload;
    std::string message;  // human-readable text (warnings, errors, state names, paths)

    // The payload of its kind; throws std::bad_variant_access for another kind's.
    const RunStarted& started() const { return std::get<RunStarted>(payload); }
    const StepRecord& stepRecord() const { return std::get<StepRecord>(payload); }
    const HeldOutRecord& heldOut() const { return std::get<HeldOutRecord>(payload); }
    RunState state() const { return std::get<RunState>(payload); }
};
const char* eventKindName(TrainerEvent::Kind k);

// Unbounded multi-producer queue drained in batches: the consumer polls on its own schedule
// (a GUI timer at 25 Hz) and never blocks the trainer.
class EventQueue {
public:
    void push(TrainerEvent e);
    std::vector<TrainerEvent> drain(std::size_t max = SIZE_MAX);
    std::size_t size() const;

private:
    mutable std::mutex mutex_;
    std::deque<TrainerEvent> events_;
};

}  // namespace carilab::run
