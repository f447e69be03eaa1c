#include "run/weight_dynamics.h"

#include <cstdio>
#include <stdexcept>

namespace carilab::run {

namespace {

bool usable(const StepRecord& r) { return r.loss && r.weight && allFinite(*r.loss) && allFinite(*r.weight); }

int argmax(const std::array<double, 3>& v)
{
    int best = 0;
    for (int t = 1; t < 3; ++t)
        if (v[static_cast<size_t>(t)] > v[static_cast<size_t>(best)]) best = t;
    return best;
}

int argmin(const std::array<double, 3>& v)
{
    int best = 0;
    for (int t = 1; t < 3; ++t)
        if (v[static_cast<size_t>(t)] < v[static_cast<size_t>(best)]) best = t;
    return best;
}

}  // namespace

WeightDynamics weightDynamics(const std::vector<StepRecord>& train, long long fromStep, std::size_t window)
{
    std::vector<const StepRecord*> recs;
    for (const auto& r : train)
        if (usable(r)) recs.push_back(&r);
    if (window == 0) window = 1;
    WeightDynamics d;
    d.fromStep = fromStep;
    d.window = window;
    std::vector<std::array<double, 3>> losses;
    for (const auto* r : recs) losses.push_back(*r->loss);
    std::array<long long, 3> top{}, lowest{};
    long long follow = 0;
    for (size_t i = 0; i < recs.size(); ++i) {
        if (recs[i]->step < fromStep) continue;
        const size_t from = i + 1 >= window ? i + 1 - window : 0;
        std::array<double, 3> windowed{};
        for (size_t j = from; j <= i; ++j)
            for (size_t t = 0; t < 3; ++t) windowed[t] += losses[j][t] / static_cast<double>(i + 1 - from);
        const auto& w = *recs[i]->weight;
        follow += argmax(windowed) == argmax(w);
        ++top[static_cast<size_t>(argmax(w))];
        ++lowest[static_cast<size_t>(argmin(w))];
        for (size_t t = 0; t < 3; ++t) {
            d.meanWeight[t] += w[t];
            d.meanLoss[t] += losses[i][t];
        }
        ++d.records;
    }
    if (d.records == 0) throw std::invalid_argument("no training records with task weights and losses at or after step " + std::to_string(fromStep));
    const double n = static_cast<double>(d.records);
    for (size_t t = 0; t < 3; ++t) {
        d.meanWeight[t] /= n;
        d.meanLoss[t] /= n;
        d.topShare[t] = static_cast<double>(top[t]) / n;
    }
    d.hardestTask = argmax(d.meanLoss);
    d.follow = static_cast<double>(follow) / n;
    d.hardestStarved = static_cast<double>(lowest[static_cast<size_t>(d.hardestTask)]) / n;
    return d;
}

std::string describe(const WeightDynamics& d)
{
    char line[400];
    std::snprintf(line, sizeof line,
                  "hardest task %s (mean loss %.3f); the highest-loss task (%zu-step mean) holds the top weight on %.0f %% of "
                  "%zu steps from step %lld; the hardest task holds the lowest weight on %.0f %%; mean weights %.2f / %.2f / %.2f "
                  "(verification / caricature / visual)",
                  kTaskNames[static_cast<size_t>(d.hardestTask)], d.meanLoss[static_cast<size_t>(d.hardestTask)], d.window, 100 * d.follow, d.records,
                  d.fromStep, 100 * d.hardestStarved, d.meanWeight[0], d.meanWeight[1], d.meanWeight[2]);
    return line;
}

}  // namespace carilab::run
