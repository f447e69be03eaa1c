#include "pretrained/ssd_mobilenet_v1.h"

#include "pretrained/tfjs_image_ops.h"
#include "pretrained/tfjs_weights.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace carilab::pretrained {

namespace F = torch::nn::functional;

namespace {

// The package's batch-norm epsilon (ssdMobilenetv1/mobileNetV1.ts), float32's 0.001.
constexpr double kBatchNormEpsilon = 0.0010000000474974513;
constexpr int kPairs = 13;
// Output channels of depthwise/pointwise pairs 1..13; the depthwise conv of pairs 2, 4, 6, 12
// has stride 2.
constexpr std::int64_t kPairOut[kPairs] = {64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024};
constexpr std::int64_t kConv0Out = 32;
constexpr int kFeaturePair = 11;  // the first box predictor looks at this pair's output

struct ConvSpec {
    std::int64_t in, out, kernel, stride;
};
// Prediction/Conv2d_0..7_pointwise: on the 16x16 map, halving it every other layer.
constexpr ConvSpec kExtra[8] = {{1024, 256, 1, 1}, {256, 512, 3, 2}, {512, 128, 1, 1}, {128, 256, 3, 2},
                                {256, 128, 1, 1},  {128, 256, 3, 2}, {256, 64, 1, 1},  {64, 128, 3, 2}};
constexpr int kHeads = 6;
constexpr std::int64_t kHeadIn[kHeads] = {512, 1024, 512, 256, 256, 128};
constexpr std::int64_t kHeadAnchors[kHeads] = {3, 6, 6, 6, 6, 6};
constexpr std::int64_t kClasses = 3;  // background, face, (unused)

bool strideTwo(int pair) { return pair == 2 || pair == 4 || pair == 6 || pair == 12; }

std::int64_t pairIn(int pair) { return pair == 1 ? kConv0Out : kPairOut[pair - 2]; }

// TF "SAME": out = ceil(n / stride); the padding needed for it, the extra unit after.
std::pair<std::int64_t, std::int64_t> samePadding(std::int64_t n, std::int64_t kernel, std::int64_t stride)
{
    const std::int64_t out = (n + stride - 1) / stride;
    const std::int64_t total = std::max<std::int64_t>((out - 1) * stride + kernel - n, 0);
    return {total / 2, total - total / 2};
}

void loadPointwise(SameConv& c, const TfjsWeightMap& w, const std::string& prefix, std::int64_t in, std::int64_t out, std::int64_t k)
{
    c->conv()->weight.copy_(tfFilterToTorch(w.at(prefix + "/weights", {k, k, in, out})));
    c->conv()->bias.copy_(w.at(prefix + "/convolution_bn_offset", {out}));
}

// The depthwise filter with its batch norm folded in: (conv - mean) * gamma / sqrt(var + eps) + beta.
void loadDepthwise(SameConv& c, const TfjsWeightMap& w, const std::string& prefix, std::int64_t ch)
{
    const auto bn = [&](const char* name) { return w.at(prefix + "/BatchNorm/" + name, {ch}).to(torch::kFloat64); };
    const auto scale = bn("gamma") / (bn("moving_variance") + kBatchNormEpsilon).sqrt();
    const auto filter = w.at(prefix + "/depthwise_weights", {3, 3, ch, 1}).permute({2, 3, 0, 1}).to(torch::kFloat64);
    c->conv()->weight.copy_(filter * scale.view({ch, 1, 1, 1}));
    c->conv()->bias.copy_(bn("beta") - bn("moving_mean") * scale);
}

}  // namespace

SameConvImpl::SameConvImpl(std::int64_t in, std::int64_t out, std::int64_t kernel, std::int64_t stride, bool depthwise, bool relu6)
    : kernel_(kernel), stride_(stride), relu6_(relu6)
{
    // Stride 1 pads symmetrically, which the convolution does itself; stride 2 pads in forward().
    auto o = torch::nn::Conv2dOptions(in, out, kernel).stride(stride).bias(true).padding(stride == 1 ? (kernel - 1) / 2 : 0);
    if (depthwise) o.groups(in);
    conv_ = register_module("conv", torch::nn::Conv2d(o));
}

torch::Tensor SameConvImpl::forward(const torch::Tensor& x)
{
    auto in = x;
    if (stride_ != 1) {
        const auto [top, bottom] = samePadding(x.size(2), kernel_, stride_);
        const auto [left, right] = samePadding(x.size(3), kernel_, stride_);
        if (top || bottom || left || right) in = F::pad(x, F::PadFuncOptions({left, right, top, bottom}));
    }
    auto out = conv_(in);
    return relu6_ ? out.clamp_(0, 6) : out;
}

SsdMobilenetV1Impl::SsdMobilenetV1Impl()
{
    backbone_.push_back(register_module("conv0", SameConv(3, kConv0Out, 3, 2, false, true)));
    for (int p = 1; p <= kPairs; ++p) {
        const auto in = pairIn(p);
        backbone_.push_back(register_module("conv" + std::to_string(p) + "_dw", SameConv(in, in, 3, strideTwo(p) ? 2 : 1, true, true)));
        backbone_.push_back(register_module("conv" + std::to_string(p) + "_pw", SameConv(in, kPairOut[p - 1], 1, 1, false, true)));
    }
    for (int i = 0; i < 8; ++i) {
        const auto& s = kExtra[i];
        extra_.push_back(register_module("prediction_conv" + std::to_string(i), SameConv(s.in, s.out, s.kernel, s.stride, false, true)));
    }
    for (int i = 0; i < kHeads; ++i) {
        const std::string n = std::to_string(i);
        boxHeads_.push_back(register_module("box" + n, SameConv(kHeadIn[i], kHeadAnchors[i] * 4, 1, 1, false, false)));
        classHeads_.push_back(register_module("class" + n, SameConv(kHeadIn[i], kHeadAnchors[i] * kClasses, 1, 1, false, false)));
    }
    anchors_ = register_buffer("anchors", torch::zeros({kSsdAnchorCount, 4}));
}

std::pair<torch::Tensor, torch::Tensor> SsdMobilenetV1Impl::forward(const torch::Tensor& x)
{
    auto out = backbone_[0](x);
    torch::Tensor pair11;
    for (std::size_t i = 1; i < backbone_.size(); ++i) {
        out = backbone_[i](out);
        if (i == 2 * kFeaturePair) pair11 = out;
    }
    // The maps the six predictors look at: pair 11, pair 13, prediction convs 1, 3, 5, 7.
    std::vector<torch::Tensor> maps{pair11, out};
    for (std::size_t i = 0; i < extra_.size(); ++i) {
        out = extra_[i](out);
        if (i % 2 == 1) maps.push_back(out);
    }
    const auto n = x.size(0);
    std::vector<torch::Tensor> boxes, classes;
    for (int i = 0; i < kHeads; ++i) {
        // NCHW -> NHWC, then anchors in (row, column, anchor) order as TF.js reshapes them.
        boxes.push_back(boxHeads_[i](maps[i]).permute({0, 2, 3, 1}).reshape({n, -1, 4}));
        classes.push_back(classHeads_[i](maps[i]).permute({0, 2, 3, 1}).reshape({n, -1, kClasses}));
    }
    return {torch::cat(boxes, 1), torch::cat(classes, 1)};
}

void SsdMobilenetV1Impl::load(const TfjsWeightMap& w)
{
    torch::NoGradGuard noGrad;
    loadPointwise(backbone_[0], w, "MobilenetV1/Conv2d_0_pointwise", 3, kConv0Out, 3);
    for (int p = 1; p <= kPairs; ++p) {
        const std::string prefix = "MobilenetV1/Conv2d_" + std::to_string(p);
        loadDepthwise(backbone_[2 * p - 1], w, prefix + "_depthwise", pairIn(p));
        loadPointwise(backbone_[2 * p], w, prefix + "_pointwise", pairIn(p), kPairOut[p - 1], 1);
    }
    for (int i = 0; i < 8; ++i) {
        const auto& s = kExtra[i];
        loadPointwise(extra_[i], w, "Prediction/Conv2d_" + std::to_string(i) + "_pointwise", s.in, s.out, s.kernel);
    }
    for (int i = 0; i < kHeads; ++i) {
        const std::string prefix = "Prediction/BoxPredictor_" + std::to_string(i);
        const auto loadHead = [&](SameConv& c, const std::string& name, std::int64_t out) {
            c->conv()->weight.copy_(tfFilterToTorch(w.at(prefix + "/" + name + "/weights", {1, 1, kHeadIn[i], out})));
            c->conv()->bias.copy_(w.at(prefix + "/" + name + "/biases", {out}));
        };
        loadHead(boxHeads_[i], "BoxEncodingPredictor", kHeadAnchors[i] * 4);
        loadHead(classHeads_[i], "ClassPredictor", kHeadAnchors[i] * kClasses);
    }
    anchors_.copy_(w.at("Output/extra_dim", {1, kSsdAnchorCount, 4})[0]);
}

SsdRawOutput SsdMobilenetV1Impl::rawOutput(const cv::Mat& rgb8)
{
    if (rgb8.empty()) throw std::invalid_argument("SSD face detector: empty image");
    torch::NoGradGuard noGrad;
    const auto x = (toBatchTensor(rgbToFloatTensor(rgb8), kSsdInputSize, false) / 127.5f - 1.0f).permute({2, 0, 1}).unsqueeze(0).contiguous();
    auto [enc, logits] = forward(x.to(anchors_.device()));
    enc = enc[0].to(torch::kCPU);
    const auto a = anchors_.to(torch::kCPU);
    // Anchor centre and size, then the encoding relative to them (outputLayer.ts, same op order).
    const auto sizeY = a.select(1, 2) - a.select(1, 0), sizeX = a.select(1, 3) - a.select(1, 1);
    const auto centreY = a.select(1, 0) + sizeY / 2, centreX = a.select(1, 1) + sizeX / 2;
    const auto halfH = (enc.select(1, 2) / 5).exp() * sizeY / 2, halfW = (enc.select(1, 3) / 5).exp() * sizeX / 2;
    const auto cy = enc.select(1, 0) / 10 * sizeY + centreY, cx = enc.select(1, 1) / 10 * sizeX + centreX;
    SsdRawOutput r;
    r.boxes = torch::stack({cy - halfH, cx - halfW, cy + halfH, cx + halfW}, 1).contiguous();
    r.scores = logits[0].select(1, 1).sigmoid().to(torch::kCPU).contiguous();
    return r;
}

std::vector<FaceDetection> SsdMobilenetV1Impl::detect(const cv::Mat& rgb8, const SsdDetectorOptions& o)
{
    if (!(o.minConfidence > 0 && o.minConfidence < 1))
        throw std::invalid_argument("SSD face detector: minConfidence must lie in (0, 1), got " + std::to_string(o.minConfidence));
    if (o.maxResults <= 0) throw std::invalid_argument("SSD face detector: maxResults must be positive, got " + std::to_string(o.maxResults));
    const auto raw = rawOutput(rgb8);
    // The image's share of the padded square, as the package computes it.
    const double scale = static_cast<double>(kSsdInputSize) / std::max(rgb8.cols, rgb8.rows);
    const double padX = kSsdInputSize / jsRound(rgb8.cols * scale), padY = kSsdInputSize / jsRound(rgb8.rows * scale);
    const auto b = raw.boxes.accessor<float, 2>();
    const float* s = raw.scores.data_ptr<float>();
    std::vector<FaceDetection> faces;
    for (int i : ssdNonMaxSuppression(raw.boxes, raw.scores, o.maxResults, kSsdIouThreshold, o.minConfidence)) {
        const double top = std::max(0.0, static_cast<double>(b[i][0])) * padY, bottom = std::min(1.0, static_cast<double>(b[i][2])) * padY;
        const double left = std::max(0.0, static_cast<double>(b[i][1])) * padX, right = std::min(1.0, static_cast<double>(b[i][3])) * padX;
        faces.push_back({{left * rgb8.cols, top * rgb8.rows, (right - left) * rgb8.cols, (bottom - top) * rgb8.rows}, static_cast<double>(s[i])});
    }
    return faces;
}

namespace {

// The package's IOU for SSD boxes: corners put in order first; 0 when either box is empty.
double ssdIou(const float* a, const float* b)
{
    const double ay0 = std::min(a[0], a[2]), ax0 = std::min(a[1], a[3]), ay1 = std::max(a[0], a[2]), ax1 = std::max(a[1], a[3]);
    const double by0 = std::min(b[0], b[2]), bx0 = std::min(b[1], b[3]), by1 = std::max(b[0], b[2]), bx1 = std::max(b[1], b[3]);
    const double areaA = (ay1 - ay0) * (ax1 - ax0), areaB = (by1 - by0) * (bx1 - bx0);
    if (areaA <= 0 || areaB <= 0) return 0.0;
    const double inter = std::max(std::min(ay1, by1) - std::max(ay0, by0), 0.0) * std::max(std::min(ax1, bx1) - std::max(ax0, bx0), 0.0);
    return inter / (areaA + areaB - inter);
}

}  // namespace

std::vector<int> ssdNonMaxSuppression(const torch::Tensor& boxes, const torch::Tensor& scores, int maxResults, double iouThreshold, double minScore)
{
    const auto bx = boxes.to(torch::kFloat32).contiguous();
    const auto sc = scores.to(torch::kFloat32).contiguous();
    const float* b = bx.data_ptr<float>();
    const float* s = sc.data_ptr<float>();
    std::vector<int> order;
    for (int i = 0; i < static_cast<int>(sc.numel()); ++i)
        if (static_cast<double>(s[i]) > minScore) order.push_back(i);
    // Array.prototype.sort is stable: equal scores keep the anchor order.
    std::stable_sort(order.begin(), order.end(), [&](int x, int y) { return s[x] > s[y]; });
    const std::size_t limit = std::min<std::size_t>(static_cast<std::size_t>(std::max(maxResults, 0)), static_cast<std::size_t>(sc.numel()));
    std::vector<int> kept;
    for (int c : order) {
        if (kept.size() >= limit) break;
        const bool suppressed = std::any_of(kept.begin(), kept.end(), [&](int k) { return ssdIou(b + 4 * c, b + 4 * k) > iouThreshold; });
        if (!suppressed) kept.push_back(c);
    }
    return kept;
}

SsdMobilenetV1 loadSsdMobilenetV1(const std::string& manifestPath)
{
    SsdMobilenetV1 net;
    net->load(readTfjsWeights(manifestPath));
    net->eval();
    return net;
}

}  // namespace carilab::pretrained
