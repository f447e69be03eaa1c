#include "data/face_api_crop.h"

#include <opencv2/core.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

namespace carilab::data {

cv::Mat resizeBilinearLegacy(const cv::Mat& src32f, int outHeight, int outWidth)
{
    if (src32f.depth() != CV_32F) throw std::invalid_argument("resizeBilinearLegacy: float image expected");
    const cv::Mat src = src32f.isContinuous() ? src32f : src32f.clone();
    const int inH = src.rows, inW = src.cols, C = src.channels();
    cv::Mat out(outHeight, outWidth, CV_32FC(C));
    const double rowRatio = static_cast<double>(inH) / outHeight, colRatio = static_cast<double>(inW) / outWidth;
    std::vector<int> c0(outWidth), c1(outWidth);
    std::vector<double> cf(outWidth);
    for (int c = 0; c < outWidth; ++c) {
        const double fc = colRatio * c;
        c0[c] = std::max(0, static_cast<int>(std::floor(fc)));
        cf[c] = fc - c0[c];
        c1[c] = std::min(inW - 1, static_cast<int>(std::ceil(fc)));
    }
    for (int r = 0; r < outHeight; ++r) {
        const double fr = rowRatio * r;
        const int r0 = std::max(0, static_cast<int>(std::floor(fr)));
        const double rf = fr - r0;
        const int r1 = std::min(inH - 1, static_cast<int>(std::ceil(fr)));
        const float* top = src.ptr<float>(r0);
        const float* bot = src.ptr<float>(r1);
        float* o = out.ptr<float>(r);
        for (int c = 0; c < outWidth; ++c) {
            for (int d = 0; d < C; ++d) {
                const double tl = top[c0[c] * C + d], tr = top[c1[c] * C + d];
                const double bl = bot[c0[c] * C + d], br = bot[c1[c] * C + d];
                const double t = tl + (tr - tl) * cf[c];
                const double b = bl + (br - bl) * cf[c];
                *o++ = static_cast<float>(t + (b - t) * rf);
            }
        }
    }
    return out;
}

cv::Mat padToSquareCentred(const cv::Mat& image)
{
    const int h = image.rows, w = image.cols;
    if (h == w) return image;
    const int diff = std::abs(h - w);
    const int after = static_cast<int>(std::floor(diff * 0.5 + 0.5));
    const int before = diff - after;
    cv::Mat out;
    if (h > w)
        cv::copyMakeBorder(image, out, 0, 0, before, after, cv::BORDER_CONSTANT, cv::Scalar::all(0));
    else
        cv::copyMakeBorder(image, out, before, after, 0, 0, cv::BORDER_CONSTANT, cv::Scalar::all(0));
    return out;
}

cv::Mat faceApiCrop(const cv::Mat& rgb8, const std::optional<FaceBox>& box, int size)
{
    cv::Rect region(0, 0, rgb8.cols, rgb8.rows);
    if (box) {
        // face-api's Box.clipAtImageBorders: clipped, then every field floored.
        const double x = std::max<double>(box->x, 0.0), y = std::max<double>(box->y, 0.0);
        const double w = std::min<double>(box->x + box->width - x, rgb8.cols - x);
        const double h = std::min<double>(box->y + box->height - y, rgb8.rows - y);
        const cv::Rect r(static_cast<int>(std::floor(x)), static_cast<int>(std::floor(y)), static_cast<int>(std::floor(w)),
                         static_cast<int>(std::floor(h)));
        if (r.width > 0 && r.height > 0 && r.x + r.width <= rgb8.cols && r.y + r.height <= rgb8.rows) region = r;
    }
    cv::Mat f;
    rgb8(region).convertTo(f, CV_32FC3);
    f = padToSquareCentred(f);
    if (f.rows != size) f = resizeBilinearLegacy(f, size, size);
    cv::Mat out;
    f.convertTo(out, CV_8UC3);  // nearest level, halves to even, as torch::round does
    return out;
}

}  // namespace carilab::data
