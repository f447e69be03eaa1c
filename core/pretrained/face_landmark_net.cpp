#include "pretrained/face_landmark_net.h"

#include "pretrained/tfjs_image_ops.h"
#include "pretrained/tfjs_weights.h"

#include <algorithm>
#include <stdexcept>

namespace carilab::pretrained {

namespace F = torch::nn::functional;

namespace {

constexpr float kLandmarkMeanRgb[3] = {122.782f, 117.001f, 104.298f};
constexpr std::int64_t kBlockChannels[] = {32, 64, 128, 256};
constexpr std::int64_t kLandmarkFeatureDim = 256;
constexpr std::int64_t kOutputs = 2 * kLandmarkCount;

}  // namespace

torch::Tensor padSame(const torch::Tensor& x, std::int64_t kernel, std::int64_t stride)
{
    auto padFor = [&](std::int64_t n) {
        const std::int64_t out = (n + stride - 1) / stride;
        return std::max<std::int64_t>((out - 1) * stride + kernel - n, 0);
    };
    const auto ph = padFor(x.size(2)), pw = padFor(x.size(3));
    if (!ph && !pw) return x;
    return F::pad(x, F::PadFuncOptions({pw / 2, pw - pw / 2, ph / 2, ph - ph / 2}));
}

SameSeparableConvImpl::SameSeparableConvImpl(std::int64_t in, std::int64_t out, std::int64_t stride) : in_(in), out_(out), stride_(stride)
{
    depthwise_ = register_module("depthwise", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, in, 3).stride(stride).groups(in).bias(false)));
    pointwise_ = register_module("pointwise", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 1).bias(true)));
}

torch::Tensor SameSeparableConvImpl::forward(const torch::Tensor& x) { return pointwise_(depthwise_(padSame(x, 3, stride_))); }

void SameSeparableConvImpl::load(const TfjsWeightMap& w, const std::string& prefix)
{
    torch::NoGradGuard noGrad;
    depthwise_->weight.copy_(w.at(prefix + "/depthwise_filter", {3, 3, in_, 1}).permute({2, 3, 0, 1}));
    pointwise_->weight.copy_(tfFilterToTorch(w.at(prefix + "/pointwise_filter", {1, 1, in_, out_})));
    pointwise_->bias.copy_(w.at(prefix + "/bias", {out_}));
}

DenseBlock4Impl::DenseBlock4Impl(std::int64_t in, std::int64_t out, bool first) : in_(in), out_(out), first_(first)
{
    if (first)
        conv0_ = register_module("conv0", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).stride(2).bias(true)));
    else
        sep0_ = register_module("conv0", SameSeparableConv(in, out, 2));
    for (int i = 1; i <= 3; ++i) seps_.push_back(register_module("conv" + std::to_string(i), SameSeparableConv(out, out, 1)));
}

torch::Tensor DenseBlock4Impl::forward(const torch::Tensor& x)
{
    const auto out1 = torch::relu(first_ ? conv0_(padSame(x, 3, 2)) : sep0_(x));
    const auto out2 = seps_[0](out1);
    const auto out3 = seps_[1](torch::relu(out1 + out2));
    // Sums nested as the package writes them (a + (b + c)), so float rounding matches.
    const auto out4 = seps_[2](torch::relu(out1 + (out2 + out3)));
    return torch::relu(out1 + (out2 + (out3 + out4)));
}

void DenseBlock4Impl::load(const TfjsWeightMap& w, const std::string& prefix)
{
    if (first_) {
        torch::NoGradGuard noGrad;
        conv0_->weight.copy_(tfFilterToTorch(w.at(prefix + "/conv0/filters", {3, 3, in_, out_})));
        conv0_->bias.copy_(w.at(prefix + "/conv0/bias", {out_}));
    } else {
        sep0_->load(w, prefix + "/conv0");
    }
    for (std::size_t i = 0; i < seps_.size(); ++i) seps_[i]->load(w, prefix + "/conv" + std::to_string(i + 1));
}

FaceLandmark68NetImpl::FaceLandmark68NetImpl()
{
    std::int64_t in = 3;
    for (int i = 0; i < 4; ++i) {
        blocks_.push_back(register_module("dense" + std::to_string(i), DenseBlock4(in, kBlockChannels[i], i == 0)));
        in = kBlockChannels[i];
    }
    fcWeight_ = register_parameter("fc_weight", torch::zeros({kLandmarkFeatureDim, kOutputs}));
    fcBias_ = register_parameter("fc_bias", torch::zeros({kOutputs}));
}

torch::Tensor FaceLandmark68NetImpl::forward(const torch::Tensor& x)
{
    auto out = x;
    for (auto& b : blocks_) out = b(out);
    out = F::avg_pool2d(out, F::AvgPool2dFuncOptions(7).stride(2));
    return out.flatten(1).matmul(fcWeight_) + fcBias_;
}

void FaceLandmark68NetImpl::load(const TfjsWeightMap& w)
{
    for (std::size_t i = 0; i < blocks_.size(); ++i) blocks_[i]->load(w, "dense" + std::to_string(i));
    torch::NoGradGuard noGrad;
    fcWeight_.copy_(w.at("fc/weights", {kLandmarkFeatureDim, kOutputs}));
    fcBias_.copy_(w.at("fc/bias", {kOutputs}));
}

namespace {

torch::Tensor normalizedInput(const torch::Tensor& cropHwc)
{
    const auto mean = torch::tensor({kLandmarkMeanRgb[0], kLandmarkMeanRgb[1], kLandmarkMeanRgb[2]});
    return ((toBatchTensor(cropHwc, kLandmarkInput, true) - mean) / 255.0f).permute({2, 0, 1}).unsqueeze(0).contiguous();
}

}  // namespace

torch::Tensor FaceLandmark68NetImpl::rawOutput(const cv::Mat& crop)
{
    if (crop.empty()) throw std::invalid_argument("landmark net: empty face crop");
    torch::NoGradGuard noGrad;
    return forward(normalizedInput(rgbToFloatTensor(crop)).to(fcWeight_.device())).to(torch::kCPU);
}

FaceLandmarks68 FaceLandmark68NetImpl::detectLandmarks(const cv::Mat& crop)
{
    if (crop.empty()) throw std::invalid_argument("landmark net: empty face crop");
    return detectLandmarks(rgbToFloatTensor(crop));
}

FaceLandmarks68 FaceLandmark68NetImpl::detectLandmarks(const torch::Tensor& cropHwc)
{
    const auto h = cropHwc.size(0), w = cropHwc.size(1);
    if (h <= 0 || w <= 0) throw std::invalid_argument("landmark net: empty face crop");
    torch::NoGradGuard noGrad;
    const auto raw = forward(normalizedInput(cropHwc).to(fcWeight_.device())).to(torch::kCPU).contiguous();
    // FaceLandmark68NetBase.postProcess, in float32 as there: (out * 112 - pad) / scaled size.
    const double scale = static_cast<double>(kLandmarkInput) / std::max(h, w);
    const float sw = static_cast<float>(w * scale), sh = static_cast<float>(h * scale);
    const float padX = w < h ? static_cast<float>(std::abs(w * scale - h * scale) / 2) : 0.0f;
    const float padY = h < w ? static_cast<float>(std::abs(w * scale - h * scale) / 2) : 0.0f;
    const float* v = raw.data_ptr<float>();
    FaceLandmarks68 pts;
    for (int i = 0; i < kLandmarkCount; ++i) {
        const float rx = (v[2 * i] * static_cast<float>(kLandmarkInput) - padX) / sw;
        const float ry = (v[2 * i + 1] * static_cast<float>(kLandmarkInput) - padY) / sh;
        pts[static_cast<std::size_t>(i)] = {static_cast<double>(rx) * static_cast<double>(w), static_cast<double>(ry) * static_cast<double>(h)};
    }
    return pts;
}

FaceLandmark68Net loadFaceLandmark68Net(const std::string& manifestPath)
{
    FaceLandmark68Net net;
    net->load(readTfjsWeights(manifestPath));
    net->eval();
    return net;
}

}  // namespace carilab::pretrained
