#include "eval/tsne.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>

namespace carilab::eval {

namespace {

constexpr int kMaxBisections = 100;  // each halves every point's precision bracket at once
constexpr double kEntropyTolerance = 1e-5;  // nats
constexpr double kInitialStd = 1e-4;  // of the random initial layout (bhtsne's)
constexpr double kMinProbability = 1e-12;  // keeps log Q and the KL divergence finite
constexpr int kProgressEvery = 10;  // iterations between progress calls

void checkTsnePoints(const torch::Tensor& points)
{
    if (points.dim() != 2 || points.size(0) < 4)
        throw std::invalid_argument("t-SNE needs at least 4 points as an [N, D] matrix (got " +
                                    std::to_string(points.dim() == 2 ? points.size(0) : 0) + ")");
    if (!torch::isfinite(points).all().item<bool>()) throw std::invalid_argument("t-SNE: the points hold a non-finite value");
}

// Squared Euclidean distances, the diagonal at +inf (a point is not its own neighbour).
torch::Tensor tsneSquaredDistances(const torch::Tensor& x)
{
    const auto sq = x.pow(2).sum(1);
    auto d = torch::mm(x, x.t()).mul_(-2).add_(sq.unsqueeze(1)).add_(sq.unsqueeze(0)).clamp_min_(0);
    d.fill_diagonal_(std::numeric_limits<double>::infinity());
    return d;
}

// The initial layout: Gaussian, from the seed alone (no global torch generator, which a
// training thread may be using).
torch::Tensor initialLayout(std::int64_t n, std::uint64_t seed)
{
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> normal(0.0, kInitialStd);
    auto y = torch::empty({n, 2}, torch::kFloat32);
    auto* p = y.data_ptr<float>();
    for (std::int64_t i = 0; i < 2 * n; ++i) p[i] = static_cast<float>(normal(rng));
    return y;
}

// num_ij = 1 / (1 + |y_i - y_j|^2), zero on the diagonal, written into `num` ([N, N], reused
// across iterations: a fresh N x N buffer each time cost more in page faults than in arithmetic).
void studentKernel(const torch::Tensor& y, torch::Tensor& num)
{
    const auto sq = y.pow(2).sum(1);
    torch::addmm_out(num, sq.unsqueeze(0), y, y.t(), /*beta=*/1, /*alpha=*/-2);  // |y_j|^2 - 2 y_i.y_j
    // Rounding can leave a distance a hair below zero; with the 1 added it stays far from a pole.
    num.add_(sq.unsqueeze(1).add(1)).reciprocal_();
    num.fill_diagonal_(0);
}

double klDivergence(const torch::Tensor& p, const torch::Tensor& y)
{
    auto num = torch::empty({y.size(0), y.size(0)}, torch::kFloat32);
    studentKernel(y, num);
    const auto q = num.div(num.sum()).clamp_min_(kMinProbability);
    return (p * (p / q).log()).sum().item<double>();
}

double learningRateFor(const TsneOptions& o, std::int64_t n)
{
    if (o.learningRate > 0) return o.learningRate;
    return std::max(static_cast<double>(n) / std::max(1.0, o.earlyExaggeration) / 4.0, 50.0);
}

}  // namespace

torch::Tensor tsneAffinities(const torch::Tensor& points, double perplexity)
{
    checkTsnePoints(points);
    if (!(perplexity > 0)) throw std::invalid_argument("t-SNE: the perplexity must be positive");
    torch::NoGradGuard noGrad;
    const auto x = points.to(torch::kFloat64);
    auto d = tsneSquaredDistances(x);
    // Shifting each row by its nearest distance changes no conditional probability and keeps
    // exp() from underflowing for far-apart points.
    d.sub_(std::get<0>(d.min(1, true)));
    const auto dFinite = d.nan_to_num(0, 0, 0);  // the diagonal's inf as 0: it meets p_ii = 0
    const std::int64_t n = x.size(0);
    const double target = std::log(perplexity);
    auto beta = torch::ones({n, 1}, torch::kFloat64);
    auto lo = torch::zeros({n, 1}, torch::kFloat64);
    auto hi = torch::full({n, 1}, std::numeric_limits<double>::infinity(), torch::kFloat64);
    torch::Tensor p;
    for (int it = 0; it < kMaxBisections; ++it) {
        p = torch::exp(d * -beta);
        const auto z = p.sum(1, true).clamp_min(1e-300);
        const auto entropy = z.log() + beta * (dFinite * p).sum(1, true) / z;
        const auto diff = entropy - target;
        if (diff.abs().max().item<double>() < kEntropyTolerance) break;
        // Too flat (entropy too high): sharpen, i.e. raise the precision; else lower it.
        const auto tooFlat = diff > 0;
        lo = torch::where(tooFlat, beta, lo);
        hi = torch::where(tooFlat, hi, beta);
        beta = torch::where(torch::isinf(hi), beta * 2, (lo + hi) / 2);
    }
    p.div_(p.sum(1, true).clamp_min(1e-300));
    auto joint = (p + p.t()).div_(2.0 * static_cast<double>(n));
    return joint.clamp_min_(kMinProbability);
}

TsneResult tsne(const torch::Tensor& points, const TsneOptions& options, const TsneProgress& progress)
{
    checkTsnePoints(points);
    torch::NoGradGuard noGrad;
    const std::int64_t n = points.size(0);
    TsneResult result;
    // A perplexity above (N - 1) / 3 asks for more neighbours than the points have.
    result.perplexityUsed = std::min(options.perplexity, std::max(1.0, static_cast<double>(n - 1) / 3.0));
    const auto p = tsneAffinities(points, result.perplexityUsed).to(torch::kFloat32);
    const double lr = learningRateFor(options, n);
    auto y = initialLayout(n, options.seed);
    auto update = torch::zeros_like(y);
    auto gains = torch::ones_like(y);
    auto num = torch::empty({n, n}, torch::kFloat32), w = torch::empty({n, n}, torch::kFloat32);
    for (int it = 0; it < options.iterations; ++it) {
        const bool early = it < options.exaggerationIterations;
        // Student-t kernel of the layout: num_ij = 1 / (1 + |y_i - y_j|^2), Q = num / sum(num).
        studentKernel(y, num);
        const double z = num.sum().item<double>();
        // dC/dy_i = 4 sum_j (p_ij - q_ij) num_ij (y_i - y_j), written as 4 (diag(W 1) - W) Y
        // with W = (a p - num / z) num, a the exaggeration.
        torch::mul_out(w, num, num).mul_(-1.0 / z).addcmul_(p, num, early ? options.earlyExaggeration : 1.0);
        const auto grad = (w.sum(1, true) * y - torch::mm(w, y)).mul_(4);
        // Jacobs' gains: grow where the gradient keeps pointing against the last step's direction.
        const auto flipped = grad.sign() != update.sign();
        gains = torch::where(flipped, gains + 0.2, gains * 0.8).clamp_min_(options.minGain);
        const double momentum = early ? options.initialMomentum : options.finalMomentum;
        update.mul_(momentum).sub_(gains * grad, lr);
        y.add_(update);
        y.sub_(y.mean(0, true));
        if (progress && (it % kProgressEvery == 0 || it + 1 == options.iterations) && !progress(it + 1, options.iterations)) throw TsneCancelled();
    }
    result.klDivergence = klDivergence(p, y);
    result.layout = y;
    result.iterations = options.iterations;
    return result;
}

}  // namespace carilab::eval
