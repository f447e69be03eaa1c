#include "eval/embedding_quality.h"

#include <torch/torch.h>

#include <limits>
#include <map>
#include <stdexcept>
#include <string>

namespace carilab::eval {

namespace {

constexpr std::int64_t kQualityRowBlock = 128;  // rows of distances held at once: 128 x N x k comparisons

// Squared distances from rows [start, start + count) of x to all its rows; a row's own at +inf.
torch::Tensor qualityBlockDistances(const torch::Tensor& x, const torch::Tensor& sq, std::int64_t start, std::int64_t count)
{
    const auto rows = x.narrow(0, start, count);
    auto d = torch::mm(rows, x.t()).mul_(-2).add_(sq.narrow(0, start, count).unsqueeze(1)).add_(sq.unsqueeze(0)).clamp_min_(0);
    const auto self = torch::arange(start, start + count, torch::kLong).unsqueeze(1);
    d.scatter_(1, self, std::numeric_limits<double>::infinity());
    return d;
}

// Each row's k nearest others, nearest first: [N, k] int64.
torch::Tensor qualityNeighbours(const torch::Tensor& points, int k)
{
    const auto x = points.to(torch::kFloat64);
    const auto sq = x.pow(2).sum(1);
    const std::int64_t n = x.size(0);
    std::vector<torch::Tensor> parts;
    for (std::int64_t s = 0; s < n; s += kQualityRowBlock) {
        const auto d = qualityBlockDistances(x, sq, s, std::min(kQualityRowBlock, n - s));
        parts.push_back(std::get<1>(d.topk(k, 1, /*largest=*/false, /*sorted=*/true)));
    }
    return torch::cat(parts);
}

}  // namespace

double trustworthiness(const torch::Tensor& high, const torch::Tensor& low, int k)
{
    if (high.dim() != 2 || low.dim() != 2 || high.size(0) != low.size(0))
        throw std::invalid_argument("trustworthiness needs two [N, D] matrices of the same points");
    const std::int64_t n = high.size(0);
    if (k < 1 || 2 * static_cast<std::int64_t>(k) >= n)
        throw std::invalid_argument("trustworthiness needs 1 <= k < N / 2 (k = " + std::to_string(k) + ", N = " + std::to_string(n) + ")");
    torch::NoGradGuard noGrad;
    const auto x = high.to(torch::kFloat64);
    const auto sq = x.pow(2).sum(1);
    const auto mapNeighbours = qualityNeighbours(low, k);
    double penalty = 0;
    for (std::int64_t s = 0; s < n; s += kQualityRowBlock) {
        const std::int64_t count = std::min(kQualityRowBlock, n - s);
        const auto d = qualityBlockDistances(x, sq, s, count);  // [B, N]
        const auto toMapNeighbours = d.gather(1, mapNeighbours.narrow(0, s, count));  // [B, k]
        // j's rank in the full space: 1 + the points strictly nearer to i than j is.
        const auto rank = (d.unsqueeze(1) < toMapNeighbours.unsqueeze(2)).sum(2).add_(1);  // [B, k]
        penalty += (rank - k).clamp_min_(0).sum().item<double>();
    }
    const double nd = static_cast<double>(n), kd = k;
    return 1.0 - 2.0 / (nd * kd * (2.0 * nd - 3.0 * kd - 1.0)) * penalty;
}

double knnIdentityAccuracy(const torch::Tensor& points, const std::vector<int>& labels, int k)
{
    if (points.dim() != 2 || static_cast<std::int64_t>(labels.size()) != points.size(0))
        throw std::invalid_argument("k-NN accuracy needs an [N, D] matrix and one label per point");
    const std::int64_t n = points.size(0);
    if (k < 1 || k >= n) throw std::invalid_argument("k-NN accuracy needs 1 <= k < N (k = " + std::to_string(k) + ", N = " + std::to_string(n) + ")");
    torch::NoGradGuard noGrad;
    const auto nn = qualityNeighbours(points, k).contiguous();
    const auto* idx = nn.data_ptr<std::int64_t>();
    std::int64_t correct = 0;
    for (std::int64_t i = 0; i < n; ++i) {
        std::map<int, int> votes;
        int best = -1, bestVotes = 0;
        for (int j = 0; j < k; ++j) ++votes[labels[static_cast<size_t>(idx[i * k + j])]];
        // Nearest first: a later label must out-vote, not tie, the one already chosen.
        for (int j = 0; j < k; ++j) {
            const int label = labels[static_cast<size_t>(idx[i * k + j])];
            if (votes[label] > bestVotes) {
                best = label;
                bestVotes = votes[label];
            }
        }
        correct += best == labels[static_cast<size_t>(i)];
    }
    return static_cast<double>(correct) / static_cast<double>(n);
}

}  // namespace carilab::eval
