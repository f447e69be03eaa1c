#pragma once
// Exact t-SNE (van der Maaten & Hinton 2008) in LibTorch: Gaussian input affinities calibrated
// to a perplexity per point, Student-t output affinities, gradient descent with early
// exaggeration, momentum and per-coordinate gains. Exact means O(N^2) time and memory per
// iteration: a few thousand points in well under a minute on two cores; larger sets are
// subsampled by the caller (run/embedding_map.h). Debian ships no C++ t-SNE library (only R's
// Rtsne), hence this one.
#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <stdexcept>

namespace carilab::eval {

struct TsneOptions {
    double perplexity = 30.0;  // effective neighbours per point; clamped to (N - 1) / 3
    std::uint64_t seed = 1;  // of the initial layout: the same seed and input give the same map
    int iterations = 1000;
    double earlyExaggeration = 12.0;  // P is multiplied by this for the first exaggerationIterations
    int exaggerationIterations = 250;
    double learningRate = 0.0;  // 0: max(N / earlyExaggeration / 4, 50), as openTSNE and scikit-learn
    double initialMomentum = 0.5, finalMomentum = 0.8;  // switched with the exaggeration's end
    double minGain = 0.01;
};

struct TsneResult {
    torch::Tensor layout;  // [N, 2] float32, centred
    double klDivergence = 0.0;  // KL(P || Q) of the final layout (without exaggeration)
    double perplexityUsed = 0.0;
    int iterations = 0;
};

// Called every few iterations; returning false stops the run (TsneCancelled is thrown).
using TsneProgress = std::function<bool(int iteration, int total)>;

struct TsneCancelled : std::runtime_error {
    TsneCancelled() : std::runtime_error("t-SNE cancelled") {}
};

// points: [N, D] float, N >= 4. Throws std::invalid_argument for fewer points, a non-finite
// value or a non-positive perplexity.
TsneResult tsne(const torch::Tensor& points, const TsneOptions& options = {}, const TsneProgress& progress = {});

// The input affinities alone: row-conditional Gaussians whose perplexity is `perplexity`
// (binary search on each point's precision), symmetrised and normalised to sum 1. [N, N] float64.
torch::Tensor tsneAffinities(const torch::Tensor& points, double perplexity);

}  // namespace carilab::eval
