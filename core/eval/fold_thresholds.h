#pragma once
// Leave-one-fold-out thresholds for k-fold verification accuracy, all folds at once.
#include "eval/verification_metrics.h"

#include <vector>

namespace carilab::eval {

// For every fold f, exactly the threshold bestThreshold() chooses on the pairs of all other
// folds (same tie-breaks, same midpoints). Sorting once and answering each fold with range
// maxima costs O(n log n) in total; calling bestThreshold per fold costs O(k n log n), which
// for 100 000 folds of 200 000 pairs runs for many minutes. A fold whose complement is empty
// gets bestThreshold of the empty set (0).
std::vector<double> leaveOneFoldOutThresholds(const std::vector<std::vector<Pair>>& folds);

}  // namespace carilab::eval
