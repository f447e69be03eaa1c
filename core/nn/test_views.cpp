#include "nn/test_views.h"

#include <cmath>
#include <sstream>
#include <stdexcept>

namespace carilab::nn {

namespace F = torch::nn::functional;

namespace {

// The crop shrunk by 1/scale about its centre, back to H x W with its edge pixels repeated.
torch::Tensor zoomedOut(const torch::Tensor& images, double scale)
{
    const std::int64_t h = images.size(2), w = images.size(3);
    const auto sh = static_cast<std::int64_t>(std::lround(static_cast<double>(h) / scale));
    const auto sw = static_cast<std::int64_t>(std::lround(static_cast<double>(w) / scale));
    const auto small = F::interpolate(images, F::InterpolateFuncOptions().size(std::vector<std::int64_t>{sh, sw}).mode(torch::kBilinear).align_corners(false));
    const std::int64_t top = (h - sh) / 2, left = (w - sw) / 2;
    return F::pad(small, F::PadFuncOptions({left, w - sw - left, top, h - sh - top}).mode(torch::kReplicate));
}

}  // namespace

void validate(const TestViews& views)
{
    for (double s : views.zoomOut)
        if (!(s > 1.0 && s <= 2.0))
            throw std::invalid_argument("zoom-out scale " + std::to_string(s) + " must be in (1, 2] (1.1: the crop shrunk by 10 %)");
}

torch::Tensor expandViews(const torch::Tensor& images, const TestViews& views)
{
    std::vector<torch::Tensor> all;
    const auto add = [&](const torch::Tensor& v) {
        all.push_back(v);
        if (views.mirror) all.push_back(v.flip({3}));
    };
    add(images);
    for (double s : views.zoomOut) add(zoomedOut(images, s));
    return all.size() == 1 ? images : torch::cat(all);
}

torch::Tensor sumViews(const torch::Tensor& t, std::int64_t count)
{
    if (count == 1) return t;
    const std::int64_t n = t.size(0) / count;
    auto sum = t.narrow(0, 0, n);
    for (std::int64_t v = 1; v < count; ++v) sum = sum + t.narrow(0, v * n, n);
    return sum;
}

torch::Tensor viewRows(const torch::Tensor& rows, std::int64_t batch, std::int64_t count)
{
    if (count == 1) return rows;
    std::vector<torch::Tensor> all;
    for (std::int64_t v = 0; v < count; ++v) all.push_back(rows + v * batch);
    return torch::cat(all);
}

std::string viewsSuffix(const TestViews& views)
{
    std::ostringstream s;
    if (views.mirror) s << "+mirror";
    for (double z : views.zoomOut) s << "+zoom" << z;
    return s.str();
}

}  // namespace carilab::nn
