#include "run/lr_schedule.h"

#include <algorithm>
#include <cmath>

namespace carilab::run {

namespace {

double scheduledBase(const TrainConfig& c, long long step, long long batchesPerEpoch)
{
    if (c.lrScheduleSteps.empty()) return c.lrAtEpoch(static_cast<double>(step) / static_cast<double>(std::max<long long>(1, batchesPerEpoch)));
    double lr = c.optimizer.lr;
    for (const auto& [start, value] : c.lrScheduleSteps)
        if (step >= start) lr = value;
    return lr;
}

}  // namespace

double learningRateAt(const TrainConfig& c, long long step, long long totalSteps, long long batchesPerEpoch)
{
    double lr = scheduledBase(c, step, batchesPerEpoch);
    if (c.lrDecay == LrDecay::Cosine) {
        const double span = static_cast<double>(std::max<long long>(1, totalSteps - c.warmupSteps));
        const double p = std::clamp(static_cast<double>(step - c.warmupSteps) / span, 0.0, 1.0);
        lr *= 0.5 * (1.0 + std::cos(M_PI * p));
    }
    if (step < c.warmupSteps) lr *= static_cast<double>(step + 1) / static_cast<double>(c.warmupSteps);
    return lr;
}

}  // namespace carilab::run
