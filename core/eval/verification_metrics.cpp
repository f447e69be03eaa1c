#include "eval/verification_metrics.h"

#include "eval/fold_thresholds.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace carilab::eval {

double rocAuc(const std::vector<Pair>& pairs)
{
    std::vector<Pair> p = pairs;
    std::sort(p.begin(), p.end(), [](const Pair& a, const Pair& b) { return a.score < b.score; });
    double pos = 0, neg = 0, rankSum = 0;
    for (size_t i = 0; i < p.size();) {
        size_t j = i;
        while (j < p.size() && p[j].score == p[i].score) ++j;
        const double avgRank = static_cast<double>(i + 1 + j) / 2.0;  // 1-based average rank of the tie group
        for (size_t k = i; k < j; ++k) {
            if (p[k].positive) {
                rankSum += avgRank;
                ++pos;
            } else {
                ++neg;
            }
        }
        i = j;
    }
    if (pos == 0 || neg == 0) return std::numeric_limits<double>::quiet_NaN();
    return (rankSum - pos * (pos + 1) / 2.0) / (pos * neg);
}

ThresholdChoice bestThreshold(const std::vector<Pair>& pairs)
{
    ThresholdChoice best;
    if (pairs.empty()) return best;
    std::vector<Pair> p = pairs;
    std::sort(p.begin(), p.end(), [](const Pair& a, const Pair& b) { return a.score > b.score; });
    double totalNeg = 0;
    for (const auto& x : p) totalNeg += !x.positive;
    // Threshold above every score: all rejected.
    double tp = 0, fp = 0;
    best.threshold = p.front().score + 1e-6;
    best.accuracy = totalNeg / static_cast<double>(p.size());
    for (size_t i = 0; i < p.size();) {
        size_t j = i;
        while (j < p.size() && p[j].score == p[i].score) {
            p[j].positive ? ++tp : ++fp;
            ++j;
        }
        const double acc = (tp + (totalNeg - fp)) / static_cast<double>(p.size());
        if (acc > best.accuracy) {
            best.accuracy = acc;
            // Midway to the next score, so the threshold generalises instead of sitting on a sample.
            best.threshold = j < p.size() ? (p[i].score + p[j].score) / 2.0 : p[i].score - 1e-6;
        }
        i = j;
    }
    return best;
}

FoldAccuracy kFoldAccuracy(const std::vector<Pair>& pairs, int folds)
{
    FoldAccuracy r;
    const size_t n = pairs.size();
    if (n == 0 || folds < 2) return r;
    folds = static_cast<int>(std::min<size_t>(static_cast<size_t>(folds), n));
    double thresholdSum = 0;
    std::vector<std::vector<Pair>> parts(static_cast<size_t>(folds));
    for (int f = 0; f < folds; ++f) {
        const size_t lo = n * static_cast<size_t>(f) / static_cast<size_t>(folds), hi = n * static_cast<size_t>(f + 1) / static_cast<size_t>(folds);
        parts[static_cast<size_t>(f)].assign(pairs.begin() + static_cast<std::ptrdiff_t>(lo), pairs.begin() + static_cast<std::ptrdiff_t>(hi));
    }
    const std::vector<double> thresholds = leaveOneFoldOutThresholds(parts);
    for (int f = 0; f < folds; ++f) {
        const auto& test = parts[static_cast<size_t>(f)];
        const double t = thresholds[static_cast<size_t>(f)];
        thresholdSum += t;
        double correct = 0;
        for (const auto& x : test) correct += (x.score >= t) == x.positive;
        r.perFold.push_back(test.empty() ? 0.0 : correct / static_cast<double>(test.size()));
    }
    for (double a : r.perFold) r.mean += a;
    r.mean /= folds;
    for (double a : r.perFold) r.std += (a - r.mean) * (a - r.mean);
    r.std = std::sqrt(r.std / folds);
    r.threshold = thresholdSum / folds;
    return r;
}

std::vector<RocPoint> rocCurve(const std::vector<Pair>& pairs)
{
    std::vector<Pair> p = pairs;
    std::sort(p.begin(), p.end(), [](const Pair& a, const Pair& b) { return a.score > b.score; });
    double P = 0, N = 0;
    for (const auto& x : p) (x.positive ? P : N) += 1;
    std::vector<RocPoint> roc;
    roc.push_back({std::numeric_limits<double>::infinity(), 0.0, 0.0});
    double tp = 0, fp = 0;
    for (size_t i = 0; i < p.size();) {
        size_t j = i;
        while (j < p.size() && p[j].score == p[i].score) {
            p[j].positive ? ++tp : ++fp;
            ++j;
        }
        roc.push_back({p[i].score, N > 0 ? fp / N : 0.0, P > 0 ? tp / P : 0.0});
        i = j;
    }
    return roc;
}

double valAtFar(const std::vector<Pair>& pairs, double far)
{
    double P = 0, N = 0;
    for (const auto& x : pairs) (x.positive ? P : N) += 1;
    if (P == 0 || N == 0) return std::numeric_limits<double>::quiet_NaN();
    double best = 0;
    // FAR only grows as the threshold falls, so the last point within the limit has the best TAR.
    for (const auto& r : rocCurve(pairs)) {
        if (r.far > far) break;
        best = std::max(best, r.tar);
    }
    return best;
}

EqualError equalErrorRate(const std::vector<Pair>& pairs)
{
    const auto roc = rocCurve(pairs);
    EqualError e{std::numeric_limits<double>::quiet_NaN(), 0};
    for (size_t i = 1; i < roc.size(); ++i) {
        const double d1 = (1.0 - roc[i].tar) - roc[i].far;
        if (d1 > 0) continue;
        const double d0 = (1.0 - roc[i - 1].tar) - roc[i - 1].far;
        const double t = d0 == d1 ? 0.0 : d0 / (d0 - d1);
        e.rate = roc[i - 1].far + t * (roc[i].far - roc[i - 1].far);
        const double t0 = std::isfinite(roc[i - 1].threshold) ? roc[i - 1].threshold : roc[i].threshold;
        e.threshold = t0 + t * (roc[i].threshold - t0);
        return e;
    }
    return e;
}

double accuracyAt(const std::vector<Pair>& pairs, double threshold)
{
    if (pairs.empty()) return std::numeric_limits<double>::quiet_NaN();
    double correct = 0;
    for (const auto& x : pairs) correct += (x.score >= threshold) == x.positive;
    return correct / static_cast<double>(pairs.size());
}

std::vector<RocPoint> thinRoc(const std::vector<RocPoint>& roc, int maxPoints)
{
    if (static_cast<int>(roc.size()) <= maxPoints + 2) return roc;
    std::vector<RocPoint> out{roc.front()};
    double minFar = 1.0;
    for (const auto& r : roc)
        if (r.far > 0) minFar = std::min(minFar, r.far);
    const double l0 = std::log10(minFar);
    double nextLog = l0;
    const double stepLog = -l0 / maxPoints;
    for (size_t i = 1; i + 1 < roc.size(); ++i) {
        // Keep a point when FAR crossed the next log step, always keeping the last point of each
        // FAR value so the curve's upper envelope (the TAR that VAL reads) survives.
        const bool lastOfFar = roc[i + 1].far != roc[i].far;
        if (!lastOfFar) continue;
        if (roc[i].far == 0 || std::log10(roc[i].far) >= nextLog) {
            out.push_back(roc[i]);
            if (roc[i].far > 0) nextLog = std::log10(roc[i].far) + stepLog;
        }
    }
    out.push_back(roc.back());
    return out;
}

}  // namespace carilab::eval
