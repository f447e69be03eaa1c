#include "nn/verification_metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace carilab::nn {

double rocAuc(const std::vector<Pair>& pairs)
{
    std::vector<Pair> p = pairs;
    std::sort(p.begin(), p.end(), [](const Pair& a, const Pair& b) { return a.score < b.score; });
    double pos = 0, neg = 0, rankSum = 0;
    for (size_t i = 0; i < p.size();) {
        size_t j = i;
        while (j < p.size() && p[j].score == p[i].score) ++j;
        const double avgRank = (double)(i + 1 + j) / 2.0;  // 1-based average rank of the tie group
        for (size_t k = i; k < j; ++k) {
            if (p[k].positive) { rankSum += avgRank; ++pos; } else { ++neg; }
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
    best.accuracy = totalNeg / (double)p.size();
    for (size_t i = 0; i < p.size();) {
        size_t j = i;
        while (j < p.size() && p[j].score == p[i].score) {
            p[j].positive ? ++tp : ++fp;
            ++j;
        }
        const double acc = (tp + (totalNeg - fp)) / (double)p.size();
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
    folds = (int)std::min<size_t>((size_t)folds, n);
    double thresholdSum = 0;
    for (int f = 0; f < folds; ++f) {
        const size_t lo = n * (size_t)f / (size_t)folds, hi = n * (size_t)(f + 1) / (size_t)folds;
        std::vector<Pair> train, test;
        for (size_t i = 0; i < n; ++i) (i >= lo && i < hi ? test : train).push_back(pairs[i]);
        const double t = bestThreshold(train).threshold;
        thresholdSum += t;
        double correct = 0;
        for (const auto& x : test) correct += (x.score >= t) == x.positive;
        r.perFold.push_back(test.empty() ? 0.0 : correct / (double)test.size());
    }
    for (double a : r.perFold) r.mean += a;
    r.mean /= folds;
    for (double a : r.perFold) r.std += (a - r.mean) * (a - r.mean);
    r.std = std::sqrt(r.std / folds);
    r.threshold = thresholdSum / folds;
    return r;
}

}  // namespace carilab::nn
