#include "run/weight_dynamics.h"

#include <algorithm>
#include <cmath>
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

namespace {

void addInspection(TaskDiagnostics& d, const GradRecord& g)
{
    if (!allFinite(g.norm)) return;
    for (size_t k = 0; k < 3; ++k) {
        // A pair without an angle (a task with no images) counts as orthogonal, not negative.
        const double cos = std::isfinite(g.cos[k]) ? g.cos[k] : 0.0;
        d.meanCos[k] += cos;
        d.negativeShare[k] += cos < 0 ? 1.0 : 0.0;
        d.meanNorm[k] += g.norm[k];
    }
    ++d.inspections;
}

void addBands(TaskDiagnostics& d, const WeightByModality& w)
{
    if (!w.caricature || !w.photo || !allFinite(w.caricature->mean) || !allFinite(w.photo->mean)) return;
    double l1 = 0;
    for (size_t t = 0; t < 3; ++t) {
        d.caricatureWeight[t] += w.caricature->mean[t];
        d.photoWeight[t] += w.photo->mean[t];
        l1 += std::abs(w.caricature->mean[t] - w.photo->mean[t]);
    }
    d.modalitySeparation += l1 / 2;
    ++d.bandRecords;
}

}  // namespace

TaskDiagnostics taskDiagnostics(const std::vector<StepRecord>& train, long long fromStep)
{
    TaskDiagnostics d;
    d.fromStep = fromStep;
    for (const auto& r : train) {
        if (r.step < fromStep) continue;
        if (r.grad) addInspection(d, *r.grad);
        if (r.weightByModality) addBands(d, *r.weightByModality);
    }
    const double n = static_cast<double>(std::max<std::size_t>(1, d.inspections)), b = static_cast<double>(std::max<std::size_t>(1, d.bandRecords));
    for (size_t k = 0; k < 3; ++k) {
        d.meanCos[k] /= n;
        d.negativeShare[k] /= n;
        d.meanNorm[k] /= n;
        d.caricatureWeight[k] /= b;
        d.photoWeight[k] /= b;
    }
    d.modalitySeparation /= b;
    return d;
}

std::string describe(const TaskDiagnostics& d)
{
    std::string out;
    char line[400];
    if (d.inspections > 0) {
        std::snprintf(line, sizeof line,
                      "gradient cosines over %zu inspections from step %lld: verification-caricature %.3f (negative %.0f %%), "
                      "verification-visual %.3f (%.0f %%), caricature-visual %.3f (%.0f %%); mean norms %.3g / %.3g / %.3g",
                      d.inspections, d.fromStep, d.meanCos[0], 100 * d.negativeShare[0], d.meanCos[1], 100 * d.negativeShare[1], d.meanCos[2],
                      100 * d.negativeShare[2], d.meanNorm[0], d.meanNorm[1], d.meanNorm[2]);
        out = line;
    }
    if (d.bandRecords > 0) {
        std::snprintf(line, sizeof line,
                      "per-sample weights over %zu steps: caricatures %.3f / %.3f / %.3f, photos %.3f / %.3f / %.3f "
                      "(verification / caricature / visual; modality separation %.3f)",
                      d.bandRecords, d.caricatureWeight[0], d.caricatureWeight[1], d.caricatureWeight[2], d.photoWeight[0], d.photoWeight[1],
                      d.photoWeight[2], d.modalitySeparation);
        out += (out.empty() ? "" : "; ") + std::string(line);
    }
    return out;
}

}  // namespace carilab::run
