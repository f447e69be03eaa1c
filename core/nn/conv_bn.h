#pragma once
// Conv -> BatchNorm -> ReLU, the unit every backbone is made of.
#include <torch/torch.h>

#include <array>
#include <vector>

namespace carilab::nn {

struct ConvBnOptions {
    std::int64_t in = 0, out = 0;
    std::int64_t kh = 3, kw = 3;
    std::int64_t stride = 1;
    bool same = true;  // TF "SAME" for stride 1 (pad k/2); "VALID" (no padding) otherwise
    bool relu = true;
};

// In eval mode without autograd (evaluation, embedding, matching) the batch norm is folded into
// the convolution's weights and bias; the result equals conv -> bn to float rounding.
class ConvBnImpl : public torch::nn::Module {
public:
    explicit ConvBnImpl(const ConvBnOptions& o);
    torch::Tensor forward(const torch::Tensor& x);

private:
    std::array<std::int64_t, 10> foldKey() const;

    torch::nn::Conv2d conv_{nullptr};
    torch::nn::BatchNorm2d bn_{nullptr};
    bool relu_;
    std::int64_t stride_ = 1;
    std::vector<std::int64_t> pad_;
    torch::Tensor foldedWeight_, foldedBias_;  // not registered: derived, never saved
    torch::Tensor foldedWeightBf16_, foldedBiasBf16_;  // their bf16 copies (bf16 inference)
    std::array<std::int64_t, 10> foldedKey_{};
};
TORCH_MODULE(ConvBn);

// eps as the official code (0.001). Its TF decay 0.995 (PyTorch momentum 0.005) needs thousands
// of steps before the running statistics mean anything; CariLab's runs are often a few hundred
// steps, and evaluation in eval mode then measured noise. PyTorch's default 0.1 settles in ~30.
constexpr double kBnMomentum = 0.1;
constexpr double kBnEps = 0.001;

}  // namespace carilab::nn

namespace carilab::nn {

// nn::Sequential's forward is a template, so it cannot live in an AnyModule; this is the same
// container with a plain Tensor -> Tensor forward.
class StackImpl : public torch::nn::SequentialImpl {
public:
    using SequentialImpl::SequentialImpl;
    torch::Tensor forward(torch::Tensor x) { return SequentialImpl::forward(std::move(x)); }
};
TORCH_MODULE(Stack);

}  // namespace carilab::nn
