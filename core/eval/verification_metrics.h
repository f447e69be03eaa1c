#pragma once
// Verification metrics on (score, same-identity) pairs; higher score = more similar. A pair
// is accepted at threshold t when score >= t. These are CariLab's one definition of each
// metric: training-time evaluation, protocol evaluation and `carilab-cli roc` all use them.
#include <vector>

namespace carilab::eval {

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
    double threshold = 0;  // mean of the chosen thresholds
    std::vector<double> perFold;
};
FoldAccuracy kFoldAccuracy(const std::vector<Pair>& pairs, int folds = 10);

// The ROC as the threshold sweeps down through every distinct score: starts at (FAR 0, TAR 0)
// with threshold +inf, then one point per distinct score, ending at (1, 1).
struct RocPoint {
    double threshold = 0, far = 0, tar = 0;
};
std::vector<RocPoint> rocCurve(const std::vector<Pair>& pairs);

// VAL@FAR (TAR@FAR): the largest true-accept rate over thresholds whose false-accept rate is
// <= far; no interpolation. 0 when no threshold reaches it with any accept; NaN when a class
// is empty.
double valAtFar(const std::vector<Pair>& pairs, double far);

// Equal error rate: where FAR = FRR (1 - TAR), linearly interpolated between the two ROC
// points that straddle it; threshold interpolated the same way.
struct EqualError {
    double rate = 0, threshold = 0;
};
EqualError equalErrorRate(const std::vector<Pair>& pairs);

// Fraction of pairs classified correctly at threshold t.
double accuracyAt(const std::vector<Pair>& pairs, double threshold);

// Thins a ROC for drawing: keeps the first and last point and at most `maxPoints` in between,
// spread evenly in log(FAR) so the low-FAR end that VAL@FAR reads stays detailed.
std::vector<RocPoint> thinRoc(const std::vector<RocPoint>& roc, int maxPoints = 400);

}  // namespace carilab::eval
