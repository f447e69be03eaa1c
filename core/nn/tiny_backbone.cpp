#include "nn/tiny_backbone.h"

#include "nn/conv_bn.h"

namespace carilab::nn {

namespace {

constexpr std::int64_t kInput = 64;
constexpr std::int64_t kTrunkChannels = 64;  // trunk output: 64 x 8 x 8 -> Z has 4096 dims
constexpr std::int64_t kTrunkSide = 8;
constexpr std::int64_t kEmbedding = 128;

class TinyBranchImpl : public torch::nn::Module {
public:
    explicit TinyBranchImpl(double dropout)
    {
        conv1_ = register_module("conv1", ConvBn(ConvBnOptions{kTrunkChannels, 64, 3, 3, 1, true, true}));
        conv2_ = register_module("conv2", ConvBn(ConvBnOptions{64, kEmbedding, 3, 3, 2, false, true}));
        dropout_ = register_module("dropout", torch::nn::Dropout(dropout));
    }
    torch::Tensor forward(const torch::Tensor& x)
    {
        auto y = conv2_(torch::constant_pad_nd(conv1_(x), {0, 1, 0, 1}));
        y = torch::adaptive_avg_pool2d(y, {1, 1}).flatten(1);
        return dropout_(y);
    }

private:
    ConvBn conv1_{nullptr}, conv2_{nullptr};
    torch::nn::Dropout dropout_{nullptr};
};
TORCH_MODULE(TinyBranch);

}  // namespace

BackboneInfo TinyBackbone::info() const { return {"tiny", kInput, kEmbedding, kTrunkChannels * kTrunkSide * kTrunkSide}; }

torch::nn::AnyModule TinyBackbone::makeTrunk() const
{
    // 64 -> 32 -> 16 -> 8: stride-2 convs keep the cost low; the last stride-1 conv gives the
    // shared layers some capacity of their own before Z.
    Stack s(ConvBn(ConvBnOptions{3, 16, 3, 3, 1, true, true}), torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(2).stride(2)),
            ConvBn(ConvBnOptions{16, 32, 3, 3, 1, true, true}), torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(2).stride(2)),
            ConvBn(ConvBnOptions{32, kTrunkChannels, 3, 3, 1, true, true}), torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(2).stride(2)),
            ConvBn(ConvBnOptions{kTrunkChannels, kTrunkChannels, 3, 3, 1, true, true}));
    return torch::nn::AnyModule(s);
}

torch::nn::AnyModule TinyBackbone::makeBranch(double dropout) const { return torch::nn::AnyModule(TinyBranch(dropout)); }

}  // namespace carilab::nn
