#pragma once
// Running a Trainer to its end in a test, shared by the tests that train.
#include "run/trainer.h"

#include <QElapsedTimer>

#include <string>
#include <vector>

namespace carilab::test {

// Starts the trainer, drains its events until it ends (or timeoutMs passes), returns them all.
inline std::vector<run::TrainerEvent> runToEnd(run::Trainer& t, int timeoutMs = 240000)
{
    t.start();
    std::vector<run::TrainerEvent> all;
    QElapsedTimer timer;
    timer.start();
    while (!t.waitFor(50) && timer.elapsed() < timeoutMs) {
        auto e = t.events().drain();
        all.insert(all.end(), e.begin(), e.end());
    }
    t.wait();
    auto e = t.events().drain();
    all.insert(all.end(), e.begin(), e.end());
    return all;
}

// The first error event's message, empty when there is none.
inline std::string errorOf(const std::vector<run::TrainerEvent>& events)
{
    for (const auto& e : events)
        if (e.kind == run::TrainerEvent::Kind::Error) return e.message;
    return {};
}

}  // namespace carilab::test
