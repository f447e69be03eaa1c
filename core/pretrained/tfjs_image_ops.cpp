#include "pretrained/tfjs_image_ops.h"

#include "data/face_api_crop.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace carilab::pretrained {

double jsRound(double v) { return std::floor(v + 0.5); }

double iou(const FaceRect& a, const FaceRect& b)
{
    const double w = std::max(0.0, std::min(a.right(), b.right()) - std::max(a.x, b.x));
    const double h = std::max(0.0, std::min(a.bottom(), b.bottom()) - std::max(a.y, b.y));
    const double inter = w * h;
    const double uni = a.area() + b.area() - inter;
    return uni > 0 ? inter / uni : 0.0;
}

FaceRect clipAtImageBorders(const FaceRect& r, int imageWidth, int imageHeight)
{
    const double x = std::max(r.x, 0.0), y = std::max(r.y, 0.0);
    const double w = std::min(r.right() - x, imageWidth - x);
    const double h = std::min(r.bottom() - y, imageHeight - y);
    return {std::floor(x), std::floor(y), std::floor(w), std::floor(h)};
}

torch::Tensor rgbToFloatTensor(const cv::Mat& rgb8)
{
    if (rgb8.type() != CV_8UC3) throw std::invalid_argument("face-api input: expected an 8-bit RGB image");
    const cv::Mat c = rgb8.isContinuous() ? rgb8 : rgb8.clone();
    return torch::from_blob(c.data, {c.rows, c.cols, 3}, torch::kUInt8).to(torch::kFloat32);
}

torch::Tensor padToSquare(const torch::Tensor& hwc, bool centred)
{
    const auto h = hwc.size(0), w = hwc.size(1);
    if (h == w) return hwc;
    const auto diff = std::abs(h - w);
    const auto after = static_cast<std::int64_t>(jsRound(static_cast<double>(diff) * (centred ? 0.5 : 1.0)));
    const auto before = centred ? diff - after : 0;
    // F::pad takes (last dim left, right, then the one before ...): C, W, H.
    namespace F = torch::nn::functional;
    if (h > w) return F::pad(hwc, F::PadFuncOptions({0, 0, before, after, 0, 0}));
    return F::pad(hwc, F::PadFuncOptions({0, 0, 0, 0, before, after}));
}

torch::Tensor resizeBilinear(const torch::Tensor& hwc, int outHeight, int outWidth)
{
    const auto src = hwc.to(torch::kFloat32).contiguous();
    const int C = static_cast<int>(src.size(2));
    const cv::Mat in(static_cast<int>(src.size(0)), static_cast<int>(src.size(1)), CV_32FC(C), src.data_ptr<float>());
    cv::Mat out = data::resizeBilinearLegacy(in, outHeight, outWidth);
    return torch::from_blob(out.data, {outHeight, outWidth, C}, torch::kFloat32).clone();
}

torch::Tensor toBatchTensor(const torch::Tensor& hwc, int size, bool centred)
{
    auto sq = padToSquare(hwc.to(torch::kFloat32), centred);
    if (sq.size(0) != size || sq.size(1) != size) sq = resizeBilinear(sq, size, size);
    return sq.contiguous();
}

torch::Tensor sliceRegion(const cv::Mat& rgb8, const FaceRect& r)
{
    const int x = static_cast<int>(r.x), y = static_cast<int>(r.y), w = static_cast<int>(r.width), h = static_cast<int>(r.height);
    if (x < 0 || y < 0 || w <= 0 || h <= 0 || x + w > rgb8.cols || y + h > rgb8.rows)
        throw std::invalid_argument("face-api: face region outside the image");
    return rgbToFloatTensor(rgb8(cv::Rect(x, y, w, h)).clone());
}

}  // namespace carilab::pretrained
