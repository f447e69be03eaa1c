#pragma once
// How far a 2-D map of embeddings can be believed: trustworthiness (Venna & Kaski 2001), which
// penalises map neighbours that were not neighbours in the full space, and the identity accuracy
// of a leave-one-out k-nearest-neighbour vote, in either space.
#include <torch/types.h>

#include <vector>

namespace carilab::eval {

inline constexpr int kTrustworthinessK = 10;
inline constexpr int kIdentityVoteK = 5;

// T(k) = 1 - 2 / (n k (2n - 3k - 1)) * sum_i sum_{j in U_k(i)} (r(i, j) - k), where U_k(i) are
// the k map neighbours of i that are not among its k nearest in `high` and r(i, j) is j's rank
// among i's neighbours in `high` (1 = nearest). Euclidean in both spaces; 1 = every map
// neighbourhood is a true one. high: [N, D], low: [N, d], 1 <= k < N / 2. Memory O(N) per row
// block, so the full CaVI set fits. Throws std::invalid_argument on mismatched shapes or k.
double trustworthiness(const torch::Tensor& high, const torch::Tensor& low, int k = kTrustworthinessK);

// The share of points whose k nearest others (Euclidean, the point itself left out) vote for
// its own label by majority; a tie goes to the tied label met first from the nearest. labels[i]
// is point i's identity. Throws std::invalid_argument for k outside [1, N - 1] or a label count
// that is not N.
double knnIdentityAccuracy(const torch::Tensor& points, const std::vector<int>& labels, int k = kIdentityVoteK);

}  // namespace carilab::eval
