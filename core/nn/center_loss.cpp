#include "nn/center_loss.h"

namespace carilab::nn {

CenterLossImpl::CenterLossImpl(std::int64_t numClasses, std::int64_t dim, double alpha) : alpha_(alpha)
{
    centers_ = register_buffer("centers", torch::zeros({numClasses, dim}));
}

torch::Tensor CenterLossImpl::forward(const torch::Tensor& x, const torch::Tensor& labels)
{
    auto c = centers_.index_select(0, labels);
    return 0.5 * (x - c).pow(2).sum(1);
}

void CenterLossImpl::updateCenters(const torch::Tensor& xIn, const torch::Tensor& labels)
{
    torch::NoGradGuard ng;
    auto x = xIn.detach();
    auto c = centers_.index_select(0, labels);
    // n_y: how many samples of each sample's class are in the batch, so a class seen k times
    // moves once by the mean difference, not k times.
    auto counts = torch::zeros({centers_.size(0)}, labels.options()).index_add_(0, labels, torch::ones_like(labels));
    auto n = counts.index_select(0, labels).to(x.dtype()).unsqueeze(1);
    auto delta = (1.0 - alpha_) * (c - x) / n;
    centers_.index_add_(0, labels, -delta);
}

}  // namespace carilab::nn
