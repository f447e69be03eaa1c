#include "nn/gradient_conflict.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace carilab::nn {

namespace {

// One task's gradient over every shared parameter, flattened into one vector (a parameter the
// loss does not reach contributes zeros, so all three vectors line up).
torch::Tensor flatGradient(const torch::Tensor& loss, const std::vector<torch::Tensor>& params)
{
    const auto grads = torch::autograd::grad({loss}, params, /*grad_outputs=*/{}, /*retain_graph=*/true, /*create_graph=*/false,
                                             /*allow_unused=*/true);
    std::vector<torch::Tensor> parts;
    parts.reserve(grads.size());
    for (size_t i = 0; i < grads.size(); ++i)
        parts.push_back(grads[i].defined() ? grads[i].detach().reshape({-1}) : torch::zeros({params[i].numel()}, params[i].options()));
    // Doubles for the dot products: millions of fp32 terms would lose the small cosines.
    return torch::cat(parts).to(torch::kDouble);
}

}  // namespace

GradientConflict measureGradientConflict(const torch::Tensor& losses, const std::vector<torch::Tensor>& shared)
{
    if (!losses.defined() || losses.numel() != kNumTasks) throw std::invalid_argument("gradient conflict: expected 3 task losses");
    if (!losses.requires_grad()) throw std::invalid_argument("gradient conflict: the task losses carry no graph (measure before the step's backward)");
    std::vector<torch::Tensor> params;
    for (const auto& p : shared)
        if (p.defined() && p.requires_grad()) params.push_back(p);
    if (params.empty()) throw std::invalid_argument("gradient conflict: no shared parameter takes a gradient");

    const torch::Tensor flat = losses.reshape({kNumTasks});
    std::vector<torch::Tensor> rows;
    for (int t = 0; t < kNumTasks; ++t) rows.push_back(flatGradient(flat[t], params));
    const torch::Tensor g = torch::stack(rows);  // [3, P]
    const torch::Tensor gram = g.mm(g.t()).to(torch::kCPU).contiguous();  // one host copy: [3, 3] dot products
    const auto a = gram.accessor<double, 2>();

    GradientConflict out;
    out.parameters = g.size(1);
    for (int t = 0; t < kNumTasks; ++t) out.norm[static_cast<size_t>(t)] = std::sqrt(std::max(0.0, a[t][t]));
    for (int k = 0; k < kNumTaskPairs; ++k) {
        const auto [i, j] = kTaskPairs[static_cast<size_t>(k)];
        const double den = out.norm[static_cast<size_t>(i)] * out.norm[static_cast<size_t>(j)];
        out.cosine[static_cast<size_t>(k)] = den > 0 ? std::clamp(a[i][j] / den, -1.0, 1.0) : std::numeric_limits<double>::quiet_NaN();
    }
    return out;
}

}  // namespace carilab::nn
