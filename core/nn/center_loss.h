#pragma once
// Centre loss (Wen et al., ECCV 2016) as in the official code: L_c = 1/2 ||x - c_y||^2 on the
// L2-normalised embedding, batch mean; centres are not trained by gradient but moved towards
// the batch's embeddings: c_y <- c_y - (1 - alpha) (c_y - x) / n_y, alpha = 0.5.
#include <torch/torch.h>

namespace carilab::nn {

class CenterLossImpl : public torch::nn::Module {
public:
    CenterLossImpl(std::int64_t numClasses, std::int64_t dim, double alpha = 0.5);
    // Per-sample 1/2 ||x - c_y||^2, [N]; x must be normalised already.
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& labels);
    // Moves the centres of the classes present in the batch (no gradient).
    void updateCenters(const torch::Tensor& x, const torch::Tensor& labels);
    const torch::Tensor& centers() const { return centers_; }

private:
    torch::Tensor centers_;  // buffer [K, D], starts at 0 as in the official code
    double alpha_;
};
TORCH_MODULE(CenterLoss);

}  // namespace carilab::nn
