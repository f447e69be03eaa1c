#include "eval/embedding_projection.h"

#include <torch/torch.h>

#include <stdexcept>
#include <string>

namespace carilab::eval {

PcaResult pca2d(const torch::Tensor& points)
{
    if (points.dim() != 2 || points.size(0) < 2 || points.size(1) < 2)
        throw std::invalid_argument("PCA needs an [N, D] matrix with N >= 2 points of D >= 2 dimensions");
    torch::NoGradGuard noGrad;
    const auto x = points.to(torch::kFloat64);
    if (!torch::isfinite(x).all().item<bool>()) throw std::invalid_argument("PCA: the points hold a non-finite value");
    const auto centred = x - x.mean(0, true);
    const auto cov = torch::mm(centred.t(), centred).div_(static_cast<double>(x.size(0) - 1));
    const auto [values, vectors] = torch::linalg_eigh(cov);  // ascending eigenvalues
    const std::int64_t d = x.size(1);
    auto axes = vectors.index({torch::indexing::Slice(), torch::indexing::Slice(d - 2, d)}).flip(1).contiguous();
    // An eigenvector's sign is the solver's choice; fix it so the same data always maps alike.
    const auto largest = axes.abs().argmax(0);
    const auto signs = axes.gather(0, largest.unsqueeze(0)).sign();
    axes.mul_(torch::where(signs == 0, torch::ones_like(signs), signs));
    PcaResult r;
    r.axes = axes;
    r.layout = torch::mm(centred, axes).to(torch::kFloat32);
    const double total = values.clamp_min(0).sum().item<double>();
    for (int i = 0; i < 2; ++i) r.explainedVariance[static_cast<size_t>(i)] = total > 0 ? values[d - 1 - i].item<double>() / total : 0.0;
    return r;
}

}  // namespace carilab::eval
