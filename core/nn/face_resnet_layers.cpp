#include "nn/face_resnet_layers.h"

#include <stdexcept>

namespace carilab::nn {

namespace F = torch::nn::functional;

namespace {

constexpr std::int64_t kStemChannels = 32;
constexpr std::int64_t kStemKernel = 7;

}  // namespace

const std::vector<FaceBlockSpec>& faceRecognitionBlocks()
{
    static const std::vector<FaceBlockSpec> blocks = {
        {"conv32_1", 32, 32, false},    {"conv32_2", 32, 32, false},          {"conv32_3", 32, 32, false},      {"conv64_down", 32, 64, true},
        {"conv64_1", 64, 64, false},    {"conv64_2", 64, 64, false},          {"conv64_3", 64, 64, false},      {"conv128_down", 64, 128, true},
        {"conv128_1", 128, 128, false}, {"conv128_2", 128, 128, false},       {"conv256_down", 128, 256, true}, {"conv256_1", 256, 256, false},
        {"conv256_2", 256, 256, false}, {"conv256_down_out", 256, 256, true},
    };
    return blocks;
}

ScaledConvOptions faceStemOptions()
{
    ScaledConvOptions s;
    s.in = 3;
    s.out = kStemChannels;
    s.kernel = kStemKernel;
    s.stride = 2;
    s.same = false;
    return s;
}

torch::Tensor faceStemPool(const torch::Tensor& x) { return F::max_pool2d(x, F::MaxPool2dFuncOptions(3).stride(2)); }

ScaledConvImpl::ScaledConvImpl(const ScaledConvOptions& o) : o_(o)
{
    // SAME with stride 1 and an odd kernel pads k/2 on every side; VALID pads nothing.
    conv_ = register_module(
        "conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(o.in, o.out, o.kernel).stride(o.stride).padding(o.same ? o.kernel / 2 : 0).bias(true)));
    scaleWeight_ = register_parameter("scale_weight", torch::ones({o.out}));
    scaleBias_ = register_parameter("scale_bias", torch::zeros({o.out}));
}

torch::Tensor ScaledConvImpl::forward(const torch::Tensor& x)
{
    auto y = conv_(x) * scaleWeight_.view({1, -1, 1, 1}) + scaleBias_.view({1, -1, 1, 1});
    return o_.relu ? torch::relu(y) : y;
}

void ScaledConvImpl::load(const WeightSource& w, const std::string& prefix)
{
    torch::NoGradGuard noGrad;
    const std::int64_t k = o_.kernel;
    conv_->weight.copy_(tfFilterToTorch(w.at(prefix + "/conv/filters", {k, k, o_.in, o_.out})));
    conv_->bias.copy_(w.at(prefix + "/conv/bias", {o_.out}));
    scaleWeight_.copy_(w.at(prefix + "/scale/weights", {o_.out}));
    scaleBias_.copy_(w.at(prefix + "/scale/biases", {o_.out}));
}

FaceResidualImpl::FaceResidualImpl(std::int64_t in, std::int64_t out, bool down) : down_(down)
{
    if (!down && in != out) throw std::invalid_argument("FaceResidual: an identity block needs in == out");
    if (down && out < in) throw std::invalid_argument("FaceResidual: a down block cannot reduce channels");
    ScaledConvOptions c1;
    c1.in = in;
    c1.out = out;
    c1.stride = down ? 2 : 1;
    c1.same = !down;
    conv1_ = register_module("conv1", ScaledConv(c1));
    ScaledConvOptions c2;
    c2.in = out;
    c2.out = out;
    c2.relu = false;
    conv2_ = register_module("conv2", ScaledConv(c2));
}

torch::Tensor FaceResidualImpl::forward(const torch::Tensor& x)
{
    auto out = conv2_(conv1_(x));
    if (!down_) return torch::relu(out + x);
    auto shortcut = F::avg_pool2d(x, F::AvgPool2dFuncOptions(2).stride(2));
    // 3x3/2 VALID gives floor((n-3)/2)+1, the pool floor(n/2): one less when n is even. The
    // package appends a zero row and column to the conv branch then; padding by the difference
    // is the same thing.
    const auto dh = shortcut.size(2) - out.size(2), dw = shortcut.size(3) - out.size(3);
    if (dh || dw) out = F::pad(out, F::PadFuncOptions({0, dw, 0, dh}));
    const auto dc = out.size(1) - shortcut.size(1);
    if (dc) shortcut = F::pad(shortcut, F::PadFuncOptions({0, 0, 0, 0, 0, dc}));
    return torch::relu(out + shortcut);
}

void FaceResidualImpl::load(const WeightSource& w, const std::string& prefix)
{
    conv1_->load(w, prefix + "/conv1");
    conv2_->load(w, prefix + "/conv2");
}

}  // namespace carilab::nn
