#pragma once
// Events the trainer thread publishes for whoever watches it (the GUI's timer, the CLI).
#include <nlohmann/json.hpp>

#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

namespace carilab::run {

struct TrainerEvent {
    enum class Kind { Started, Metrics, Eval, Checkpoint, Warning, StateChanged, Error, Finished };
    Kind kind = Kind::Metrics;
    long long step = 0;
    nlohmann::json data;  // Metrics/Eval: the record written to metrics.jsonl
    std::string message;  // human-readable text (warnings, errors, state names, paths)
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
