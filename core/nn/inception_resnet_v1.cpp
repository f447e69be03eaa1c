#include "nn/inception_resnet_v1.h"

#include "nn/conv_bn.h"

namespace carilab::nn {

namespace {

ConvBn conv(std::int64_t in, std::int64_t out, std::int64_t kh, std::int64_t kw, std::int64_t stride = 1, bool same = true)
{
    return ConvBn(ConvBnOptions{in, out, kh, kw, stride, same, true});
}

torch::nn::Conv2d upProjection(std::int64_t in, std::int64_t out)
{
    // The residual "up" projection has a bias and neither BN nor activation (as in the paper).
    return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 1).bias(true));
}

// 35x35 block (17x17 here at 160 input), residual scale 0.17.
class Block35Impl : public torch::nn::Module {
public:
    Block35Impl()
    {
        b0_ = register_module("b0", conv(256, 32, 1, 1));
        b1a_ = register_module("b1a", conv(256, 32, 1, 1));
        b1b_ = register_module("b1b", conv(32, 32, 3, 3));
        b2a_ = register_module("b2a", conv(256, 32, 1, 1));
        b2b_ = register_module("b2b", conv(32, 32, 3, 3));
        b2c_ = register_module("b2c", conv(32, 32, 3, 3));
        up_ = register_module("up", upProjection(96, 256));
    }
    torch::Tensor forward(const torch::Tensor& x)
    {
        auto mixed = torch::cat({b0_(x), b1b_(b1a_(x)), b2c_(b2b_(b2a_(x)))}, 1);
        // x + 0.17 * up in one op, then ReLU in place: no autograd input of add is its output.
        return torch::add(x, up_(mixed), 0.17).relu_();
    }

private:
    ConvBn b0_{nullptr}, b1a_{nullptr}, b1b_{nullptr}, b2a_{nullptr}, b2b_{nullptr}, b2c_{nullptr};
    torch::nn::Conv2d up_{nullptr};
};
TORCH_MODULE(Block35);

// Reduction-A (Mixed_6a) with k=192, l=192, m=256, n=384: 256 -> 896 channels, 17 -> 8.
class ReductionAImpl : public torch::nn::Module {
public:
    ReductionAImpl()
    {
        b0_ = register_module("b0", conv(256, 384, 3, 3, 2, false));
        b1a_ = register_module("b1a", conv(256, 192, 1, 1));
        b1b_ = register_module("b1b", conv(192, 192, 3, 3));
        b1c_ = register_module("b1c", conv(192, 256, 3, 3, 2, false));
    }
    torch::Tensor forward(const torch::Tensor& x) { return torch::cat({b0_(x), b1c_(b1b_(b1a_(x))), torch::max_pool2d(x, 3, 2)}, 1); }

private:
    ConvBn b0_{nullptr}, b1a_{nullptr}, b1b_{nullptr}, b1c_{nullptr};
};
TORCH_MODULE(ReductionA);

// 17x17 block (8x8 here), residual scale 0.10.
class Block17Impl : public torch::nn::Module {
public:
    Block17Impl()
    {
        b0_ = register_module("b0", conv(896, 128, 1, 1));
        b1a_ = register_module("b1a", conv(896, 128, 1, 1));
        b1b_ = register_module("b1b", conv(128, 128, 1, 7));
        b1c_ = register_module("b1c", conv(128, 128, 7, 1));
        up_ = register_module("up", upProjection(256, 896));
    }
    torch::Tensor forward(const torch::Tensor& x)
    {
        auto mixed = torch::cat({b0_(x), b1c_(b1b_(b1a_(x)))}, 1);
        return torch::add(x, up_(mixed), 0.10).relu_();
    }

private:
    ConvBn b0_{nullptr}, b1a_{nullptr}, b1b_{nullptr}, b1c_{nullptr};
    torch::nn::Conv2d up_{nullptr};
};
TORCH_MODULE(Block17);

// Reduction-B (Mixed_7a): 896 -> 1792 channels, 8 -> 3.
class ReductionBImpl : public torch::nn::Module {
public:
    ReductionBImpl()
    {
        b0a_ = register_module("b0a", conv(896, 256, 1, 1));
        b0b_ = register_module("b0b", conv(256, 384, 3, 3, 2, false));
        b1a_ = register_module("b1a", conv(896, 256, 1, 1));
        b1b_ = register_module("b1b", conv(256, 256, 3, 3, 2, false));
        b2a_ = register_module("b2a", conv(896, 256, 1, 1));
        b2b_ = register_module("b2b", conv(256, 256, 3, 3));
        b2c_ = register_module("b2c", conv(256, 256, 3, 3, 2, false));
    }
    torch::Tensor forward(const torch::Tensor& x)
    {
        return torch::cat({b0b_(b0a_(x)), b1b_(b1a_(x)), b2c_(b2b_(b2a_(x))), torch::max_pool2d(x, 3, 2)}, 1);
    }

private:
    ConvBn b0a_{nullptr}, b0b_{nullptr}, b1a_{nullptr}, b1b_{nullptr}, b2a_{nullptr}, b2b_{nullptr}, b2c_{nullptr};
};
TORCH_MODULE(ReductionB);

// 8x8 block (3x3 here), residual scale 0.20; the last one of a branch has no activation.
class Block8Impl : public torch::nn::Module {
public:
    explicit Block8Impl(double scale, bool activation) : scale_(scale), activation_(activation)
    {
        b0_ = register_module("b0", conv(1792, 192, 1, 1));
        b1a_ = register_module("b1a", conv(1792, 192, 1, 1));
        b1b_ = register_module("b1b", conv(192, 192, 1, 3));
        b1c_ = register_module("b1c", conv(192, 192, 3, 1));
        up_ = register_module("up", upProjection(384, 1792));
    }
    torch::Tensor forward(const torch::Tensor& x)
    {
        auto mixed = torch::cat({b0_(x), b1c_(b1b_(b1a_(x)))}, 1);
        auto y = torch::add(x, up_(mixed), scale_);
        return activation_ ? y.relu_() : y;
    }

private:
    double scale_;
    bool activation_;
    ConvBn b0_{nullptr}, b1a_{nullptr}, b1b_{nullptr}, b1c_{nullptr};
    torch::nn::Conv2d up_{nullptr};
};
TORCH_MODULE(Block8);

class IrBranchImpl : public torch::nn::Module {
public:
    explicit IrBranchImpl(double dropout)
    {
        block8_ = register_module("block8", Block8(0.20, true));
        block8Final_ = register_module("block8_final", Block8(1.0, false));
        dropout_ = register_module("dropout", torch::nn::Dropout(dropout));
    }
    torch::Tensor forward(const torch::Tensor& x)
    {
        auto y = block8Final_(block8_(x));
        return dropout_(torch::adaptive_avg_pool2d(y, {1, 1}).flatten(1));
    }

private:
    Block8 block8_{nullptr}, block8Final_{nullptr};
    torch::nn::Dropout dropout_{nullptr};
};
TORCH_MODULE(IrBranch);

}  // namespace

BackboneInfo InceptionResnetV1Backbone::info() const { return {"inception-resnet-v1", 160, 1792, 1792 * 3 * 3}; }

torch::nn::AnyModule InceptionResnetV1Backbone::makeTrunk() const
{
    // Stem: 160 -> 79 -> 77 -> 77 -> 38 (max pool) -> 38 -> 36 -> 17.
    Stack s(conv(3, 32, 3, 3, 2, false),  // Conv2d_1a_3x3
            conv(32, 32, 3, 3, 1, false),  // Conv2d_2a_3x3
            conv(32, 64, 3, 3),  // Conv2d_2b_3x3
            torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(3).stride(2)), conv(64, 80, 1, 1, 1, false),  // Conv2d_3b_1x1
            conv(80, 192, 3, 3, 1, false),  // Conv2d_4a_3x3
            conv(192, 256, 3, 3, 2, false),  // Conv2d_4b_3x3
            Block35(), ReductionA(), Block17(), ReductionB());
    return torch::nn::AnyModule(s);
}

torch::nn::AnyModule InceptionResnetV1Backbone::makeBranch(double dropout) const { return torch::nn::AnyModule(IrBranch(dropout)); }

}  // namespace carilab::nn
