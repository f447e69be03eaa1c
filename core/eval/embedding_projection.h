#pragma once
// Embeddings to a 2-D map by principal components (the linear view; t-SNE is eval/tsne.h).
#include <torch/types.h>

#include <array>

namespace carilab::eval {

struct PcaResult {
    torch::Tensor layout;  // [N, 2] float32: the centred points on the first two principal axes
    torch::Tensor axes;  // [D, 2] float64, unit columns; each column's largest entry is positive
    std::array<double, 2> explainedVariance{};  // share of the total variance on each axis
};

// points: [N, D], N >= 2, D >= 2. The covariance's eigenvectors (eigh, float64); the sign
// convention makes the result independent of the solver's. Throws std::invalid_argument on a
// bad shape or a non-finite value.
PcaResult pca2d(const torch::Tensor& points);

}  // namespace carilab::eval
