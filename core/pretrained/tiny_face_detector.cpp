#include "pretrained/tiny_face_detector.h"

#include "pretrained/tfjs_weights.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

namespace carilab::pretrained {

namespace F = torch::nn::functional;

namespace {

// Anchor sizes in grid cells (face-api's tinyFaceDetector/const.ts).
constexpr double kAnchors[kTinyDetectorAnchors][2] = {
    {1.603231, 2.094468}, {6.041143, 7.080126}, {2.882459, 3.518061}, {4.266906, 5.178857}, {9.041765, 10.66308},
};
constexpr float kDetectorMeanRgb[3] = {117.001f, 114.697f, 97.404f};
constexpr std::int64_t kChannels[] = {16, 32, 64, 128, 256, 512};
constexpr std::int64_t kBoxEncoding = 5;  // x, y, w, h, score (one class: no class scores)
constexpr double kLeakySlope = 0.1;

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

}  // namespace

torch::Tensor maxPoolSame(const torch::Tensor& x, std::int64_t kernel, std::int64_t stride)
{
    auto padFor = [&](std::int64_t n) {
        const std::int64_t out = (n + stride - 1) / stride;
        return std::max<std::int64_t>((out - 1) * stride + kernel - n, 0);
    };
    const auto ph = padFor(x.size(2)), pw = padFor(x.size(3));
    auto p = x;
    if (ph || pw) p = F::pad(x, F::PadFuncOptions({pw / 2, pw - pw / 2, ph / 2, ph - ph / 2}).value(-std::numeric_limits<float>::infinity()));
    return F::max_pool2d(p, F::MaxPool2dFuncOptions(kernel).stride(stride));
}

SeparableConvImpl::SeparableConvImpl(std::int64_t in, std::int64_t out) : in_(in), out_(out)
{
    depthwise_ = register_module("depthwise", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, in, 3).padding(1).groups(in).bias(false)));
    pointwise_ = register_module("pointwise", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 1).bias(true)));
}

torch::Tensor SeparableConvImpl::forward(const torch::Tensor& x)
{
    return F::leaky_relu(pointwise_(depthwise_(x)), F::LeakyReLUFuncOptions().negative_slope(kLeakySlope));
}

void SeparableConvImpl::load(const TfjsWeightMap& w, const std::string& prefix)
{
    torch::NoGradGuard noGrad;
    depthwise_->weight.copy_(w.at(prefix + "/depthwise_filter", {3, 3, in_, 1}).permute({2, 3, 0, 1}));
    pointwise_->weight.copy_(tfFilterToTorch(w.at(prefix + "/pointwise_filter", {1, 1, in_, out_})));
    pointwise_->bias.copy_(w.at(prefix + "/bias", {out_}));
}

TinyFaceDetectorImpl::TinyFaceDetectorImpl()
{
    conv0_ = register_module("conv0", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, kChannels[0], 3).bias(true)));
    for (int i = 1; i < 6; ++i) separable_.push_back(register_module("conv" + std::to_string(i), SeparableConv(kChannels[i - 1], kChannels[i])));
    conv8_ = register_module("conv8", torch::nn::Conv2d(torch::nn::Conv2dOptions(kChannels[5], kTinyDetectorAnchors * kBoxEncoding, 1).bias(true)));
}

torch::Tensor TinyFaceDetectorImpl::forward(const torch::Tensor& x)
{
    auto out = F::leaky_relu(conv0_(x), F::LeakyReLUFuncOptions().negative_slope(kLeakySlope));
    for (auto& conv : separable_) out = conv(maxPoolSame(out, 2, 2));
    // The last pool keeps the grid size (stride 1).
    out = maxPoolSame(out, 2, 1);
    return conv8_(out);
}

void TinyFaceDetectorImpl::load(const TfjsWeightMap& w)
{
    torch::NoGradGuard noGrad;
    conv0_->weight.copy_(tfFilterToTorch(w.at("conv0/filters", {3, 3, 3, kChannels[0]})));
    conv0_->bias.copy_(w.at("conv0/bias", {kChannels[0]}));
    for (std::size_t i = 0; i < separable_.size(); ++i) separable_[i]->load(w, "conv" + std::to_string(i + 1));
    const std::int64_t outC = kTinyDetectorAnchors * kBoxEncoding;
    conv8_->weight.copy_(tfFilterToTorch(w.at("conv8/filters", {1, 1, kChannels[5], outC})));
    conv8_->bias.copy_(w.at("conv8/bias", {outC}));
}

torch::Tensor TinyFaceDetectorImpl::rawOutput(const cv::Mat& rgb8, int inputSize)
{
    if (inputSize <= 0 || inputSize % 32 != 0)
        throw std::invalid_argument("tiny face detector: the input size must be a positive multiple of 32, got " + std::to_string(inputSize));
    if (rgb8.empty()) throw std::invalid_argument("tiny face detector: empty image");
    torch::NoGradGuard noGrad;
    const auto mean = torch::tensor({kDetectorMeanRgb[0], kDetectorMeanRgb[1], kDetectorMeanRgb[2]});
    const auto x = ((toBatchTensor(rgbToFloatTensor(rgb8), inputSize, false) - mean) / 255.0f).permute({2, 0, 1}).unsqueeze(0).contiguous();
    const auto device = conv8_->weight.device();
    return forward(x.to(device)).to(torch::kCPU).permute({0, 2, 3, 1}).contiguous();
}

std::vector<FaceDetection> TinyFaceDetectorImpl::detect(const cv::Mat& rgb8, const TinyDetectorOptions& o)
{
    if (!(o.scoreThreshold > 0 && o.scoreThreshold < 1)) throw std::invalid_argument("tiny face detector: the score threshold must lie in (0, 1)");
    const auto out = rawOutput(rgb8, o.inputSize);
    const int grid = static_cast<int>(out.size(1));
    const float* v = out.data_ptr<float>();

    // The image as placed in the input square (before padding), in input pixels.
    const double scale = static_cast<double>(o.inputSize) / std::max(rgb8.cols, rgb8.rows);
    const double reshapedW = jsRound(rgb8.cols * scale), reshapedH = jsRound(rgb8.rows * scale);
    const double side = std::max(reshapedW, reshapedH);
    const double corrX = side / reshapedW, corrY = side / reshapedH;

    std::vector<FaceRect> relative;
    std::vector<double> scores;
    for (int row = 0; row < grid; ++row)
        for (int col = 0; col < grid; ++col)
            for (int a = 0; a < kTinyDetectorAnchors; ++a) {
                const float* e = v + ((static_cast<std::size_t>(row) * grid + col) * kTinyDetectorAnchors + a) * kBoxEncoding;
                const double score = sigmoid(e[4]);
                if (!(score > o.scoreThreshold)) continue;
                const double cx = ((col + sigmoid(e[0])) / grid) * corrX;
                const double cy = ((row + sigmoid(e[1])) / grid) * corrY;
                const double w = ((std::exp(static_cast<double>(e[2])) * kAnchors[a][0]) / grid) * corrX;
                const double h = ((std::exp(static_cast<double>(e[3])) * kAnchors[a][1]) / grid) * corrY;
                relative.push_back({cx - w / 2, cy - h / 2, w, h});
                scores.push_back(score);
            }

    std::vector<FaceRect> inInput;
    for (const auto& r : relative) inInput.push_back({r.x * o.inputSize, r.y * o.inputSize, r.width * o.inputSize, r.height * o.inputSize});
    std::vector<FaceDetection> faces;
    for (int i : nonMaxSuppression(inInput, scores, kTinyDetectorIouThreshold)) {
        const auto& r = relative[static_cast<std::size_t>(i)];
        faces.push_back({{r.x * rgb8.cols, r.y * rgb8.rows, r.width * rgb8.cols, r.height * rgb8.rows}, scores[static_cast<std::size_t>(i)]});
    }
    return faces;
}

std::vector<int> nonMaxSuppression(const std::vector<FaceRect>& boxes, const std::vector<double>& scores, double iouThreshold)
{
    // Ascending by score, ties in index order (a stable sort), taken from the back: the
    // package's order exactly, so equal scores resolve the same way.
    std::vector<int> order(scores.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](int a, int b) { return scores[static_cast<std::size_t>(a)] < scores[static_cast<std::size_t>(b)]; });
    std::vector<int> pick;
    while (!order.empty()) {
        const int cur = order.back();
        order.pop_back();
        pick.push_back(cur);
        std::vector<int> rest;
        for (int i : order)
            if (iou(boxes[static_cast<std::size_t>(cur)], boxes[static_cast<std::size_t>(i)]) <= iouThreshold) rest.push_back(i);
        order.swap(rest);
    }
    return pick;
}

TinyFaceDetector loadTinyFaceDetector(const std::string& manifestPath)
{
    TinyFaceDetector net;
    net->load(readTfjsWeights(manifestPath));
    net->eval();
    return net;
}

}  // namespace carilab::pretrained
