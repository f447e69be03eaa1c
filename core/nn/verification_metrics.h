#pragma once
// Verification metrics on (score, same-identity) pairs; higher score = more similar.
#include <vector>

namespace carilab::nn {

struct Pair {
    double score;
    bool positive;
};

// Area under the ROC by the trapezoid rule; tied scores count half (equals the
// Mann-Whitney statistic). NaN when either class is empty.
double rocAuc(const std::vector<Pair>& pairs);

// Threshold maximising accuracy (score >= t accepted) and that accuracy.
struct ThresholdChoice {
    double threshold = 0;
    double accuracy = 0;
};
ThresholdChoice bestThreshold(const std::vector<Pair>& pairs);

// LFW-style k-fold accuracy: pairs are split into k contiguous folds in their given order; each
// fold is scored with the threshold chosen on the other k-1. Returns mean and std over folds.
struct FoldAccuracy {
    double mean = 0, std = 0;
    double threshold = 0;   // mean of the chosen thresholds
    std::vector<double> perFold;
};
FoldAccuracy kFoldAccuracy(const std::vector<Pair>& pairs, int folds = 10);

}  // namespace carilab::nn
