#pragma once
// Training progress for a terminal (one live line) or a log (plain lines).
#include "run/event_queue.h"

#include <chrono>

namespace carilab::cli {

class Progress {
public:
    explicit Progress(bool forcePlain);
    // Prints the event; returns true for an Error event.
    bool show(const run::TrainerEvent& e, long long totalSteps);
    void finish();

private:
    void line(const std::string& text);
    bool tty_;
    bool liveLineOpen_ = false;
    long long lastPlainStep_ = -1;
    std::chrono::steady_clock::time_point lastPlain_{};
};

}  // namespace carilab::cli
