#include "run/event_queue.h"

namespace carilab::run {

const char* runStateName(RunState s)
{
    switch (s) {
    case RunState::Idle: return "idle";
    case RunState::Running: return "running";
    case RunState::Paused: return "paused";
    case RunState::Stopping: return "stopping";
    case RunState::Finished: return "finished";
    case RunState::Stopped: return "stopped";
    case RunState::Failed: return "failed";
    }
    return "?";
}

const char* eventKindName(TrainerEvent::Kind k)
{
    switch (k) {
    case TrainerEvent::Kind::Started: return "started";
    case TrainerEvent::Kind::Metrics: return "metrics";
    case TrainerEvent::Kind::Eval: return "eval";
    case TrainerEvent::Kind::Checkpoint: return "checkpoint";
    case TrainerEvent::Kind::Warning: return "warning";
    case TrainerEvent::Kind::StateChanged: return "state";
    case TrainerEvent::Kind::Error: return "error";
    case TrainerEvent::Kind::Finished: return "finished";
    }
    return "?";
}

void EventQueue::push(TrainerEvent e)
{
    std::lock_guard<std::mutex> lock(mutex_);
    events_.push_back(std::move(e));
}

std::vector<TrainerEvent> EventQueue::drain(std::size_t max)
{
    std::lock_guard<std::mutex> lock(mutex_);
    const std::size_t n = std::min(max, events_.size());
    std::vector<TrainerEvent> out(std::make_move_iterator(events_.begin()), std::make_move_iterator(events_.begin() + static_cast<long>(n)));
    events_.erase(events_.begin(), events_.begin() + static_cast<long>(n));
    return out;
}

std::size_t EventQueue::size() const
{
    std::lock_guard<std::mutex> lock(mutex_);
    return events_.size();
}

}  // namespace carilab::run
