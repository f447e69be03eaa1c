#include "run/resume_rules.h"

#include <sstream>
#include <stdexcept>
#include <string>

namespace carilab::run {

namespace {

std::string number(double v)
{
    std::ostringstream s;
    s << v;
    return s.str();
}

}  // namespace

TrainConfig resumedConfig(const TrainConfig& stored, const ResumeBudget& request)
{
    TrainConfig c = stored;
    // totalSteps() prefers steps: a run with steps > 0 counts steps, whatever its epochs say.
    const bool countsSteps = stored.steps > 0;
    if (countsSteps && request.epochs > 0)
        throw std::invalid_argument("--epochs " + number(request.epochs) + ": this run counts steps (" + std::to_string(stored.steps) +
                                    "); extend it with --steps");
    if (!countsSteps && request.steps > 0)
        throw std::invalid_argument("--steps " + std::to_string(request.steps) + ": this run counts epochs (" + number(stored.epochs) +
                                    "); extend it with --epochs");
    if (request.steps > 0 && request.steps < stored.steps)
        throw std::invalid_argument("--steps " + std::to_string(request.steps) + " is below the run's " + std::to_string(stored.steps) +
                                    " steps; --resume can only extend a run (omit --steps to finish it)");
    if (request.epochs > 0 && request.epochs < stored.epochs)
        throw std::invalid_argument("--epochs " + number(request.epochs) + " is below the run's " + number(stored.epochs) +
                                    " epochs; --resume can only extend a run (omit --epochs to finish it)");
    if (request.steps > 0) c.steps = request.steps;
    if (request.epochs > 0) c.epochs = request.epochs;
    return c;
}

}  // namespace carilab::run
