#include "data/image_pipeline.h"

#include "data/face_api_crop.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

namespace carilab::data {

namespace {

// ArcFace's 112x112 five-point template, as fractions of the side: the common reference, so
// crops made here look like those every face-recognition model was trained on.
constexpr float kTemplate[5][2] = {{38.2946f / 112.f, 51.6963f / 112.f},
                                   {73.5318f / 112.f, 51.5014f / 112.f},
                                   {56.0252f / 112.f, 71.7366f / 112.f},
                                   {41.5493f / 112.f, 92.3655f / 112.f},
                                   {70.7299f / 112.f, 92.2041f / 112.f}};

double uniform(std::mt19937_64& rng, double lo, double hi) { return lo + (hi - lo) * static_cast<double>(rng() >> 11) * (1.0 / 9007199254740992.0); }

cv::Mat augmentTransform(int size, const AugmentOptions& a, std::mt19937_64& rng)
{
    const double angle = uniform(rng, -a.maxRotationDeg, a.maxRotationDeg);
    const double scale = 1.0 + uniform(rng, -a.maxScale, a.maxScale);
    const cv::Point2f centre(size / 2.f, size / 2.f);
    cv::Mat m = cv::getRotationMatrix2D(centre, angle, scale);
    m.at<double>(0, 2) += uniform(rng, -a.maxShift, a.maxShift) * size;
    m.at<double>(1, 2) += uniform(rng, -a.maxShift, a.maxShift) * size;
    return m;
}

void jitterColour(cv::Mat& rgb8, float amp, std::mt19937_64& rng)
{
    const double brightness = uniform(rng, -amp, amp) * 255.0;
    const double contrast = 1.0 + uniform(rng, -amp, amp);
    const double saturation = 1.0 + uniform(rng, -amp, amp);
    cv::Mat f;
    rgb8.convertTo(f, CV_32FC3);
    cv::Mat grey;
    cv::cvtColor(f, grey, cv::COLOR_RGB2GRAY);
    cv::Mat grey3;
    cv::cvtColor(grey, grey3, cv::COLOR_GRAY2RGB);
    f = grey3 + (f - grey3) * saturation;
    const cv::Scalar mean = cv::mean(f);
    f = (f - mean) * contrast + mean + cv::Scalar::all(brightness);
    f.convertTo(rgb8, CV_8UC3);
}

}  // namespace

cv::Mat alignmentTransform(const Landmarks5& lm, int size, float padding)
{
    // Umeyama's closed form for a 2-D similarity (rotation, uniform scale, translation).
    double sx = 0, sy = 0, dx = 0, dy = 0;
    double dst[5][2];
    const double shrink = 1.0 - padding;
    for (int i = 0; i < 5; ++i) {
        dst[i][0] = ((kTemplate[i][0] - 0.5) * shrink + 0.5) * size;
        dst[i][1] = ((kTemplate[i][1] - 0.5) * shrink + 0.5) * size;
        sx += lm[i].x;
        sy += lm[i].y;
        dx += dst[i][0];
        dy += dst[i][1];
    }
    sx /= 5;
    sy /= 5;
    dx /= 5;
    dy /= 5;
    double a = 0, b = 0, var = 0;
    for (int i = 0; i < 5; ++i) {
        const double px = lm[i].x - sx, py = lm[i].y - sy;
        const double qx = dst[i][0] - dx, qy = dst[i][1] - dy;
        a += px * qx + py * qy;
        b += px * qy - py * qx;
        var += px * px + py * py;
    }
    cv::Mat m(2, 3, CV_64F);
    if (var < 1e-9) {
        // Degenerate landmarks (all on one point): fall back to identity-like placement.
        m = (cv::Mat_<double>(2, 3) << 1, 0, dx - sx, 0, 1, dy - sy);
        return m;
    }
    const double c = a / var, s = b / var;
    m.at<double>(0, 0) = c;
    m.at<double>(0, 1) = -s;
    m.at<double>(0, 2) = dx - (c * sx - s * sy);
    m.at<double>(1, 0) = s;
    m.at<double>(1, 1) = c;
    m.at<double>(1, 2) = dy - (s * sx + c * sy);
    return m;
}

namespace {

void eraseRectangle(cv::Mat& rgb8, std::mt19937_64& rng)
{
    const double cropArea = static_cast<double>(rgb8.cols) * rgb8.rows;
    for (int attempt = 0; attempt < 10; ++attempt) {  // the paper's retry when the box does not fit
        const double area = uniform(rng, 0.02, 0.33) * cropArea;
        const double aspect = std::exp(uniform(rng, std::log(0.3), std::log(1 / 0.3)));
        const int w = static_cast<int>(std::lround(std::sqrt(area / aspect))), h = static_cast<int>(std::lround(std::sqrt(area * aspect)));
        if (w < 1 || h < 1 || w >= rgb8.cols || h >= rgb8.rows) continue;
        const int x = static_cast<int>(uniform(rng, 0, rgb8.cols - w)), y = static_cast<int>(uniform(rng, 0, rgb8.rows - h));
        cv::Mat patch = rgb8(cv::Rect(x, y, w, h));
        cv::RNG fill(rng());
        fill.fill(patch, cv::RNG::UNIFORM, cv::Scalar::all(0), cv::Scalar::all(256));
        return;
    }
}

void flipAndJitter(cv::Mat& crop, const AugmentOptions& a, std::mt19937_64& rng)
{
    if (a.flip && (rng() & 1)) cv::flip(crop, crop, 1);
    if (a.colourJitter > 0.f) jitterColour(crop, a.colourJitter, rng);
    if (a.eraseProbability > 0.f && uniform(rng, 0, 1) < a.eraseProbability) eraseRectangle(crop, rng);
}

// face-api's own crop, then (training) the augmentation's rotation, scale and shift about its
// centre: the pretrained network sees its usual framing, moved a little.
cv::Mat faceApiCropAugmented(const cv::Mat& rgb8, const std::optional<FaceBox>& box, const PipelineOptions& options, std::mt19937_64* rng)
{
    cv::Mat out = faceApiCrop(rgb8, box, options.size);
    if (!rng || !options.augment.enabled) return out;
    cv::Mat moved;
    cv::warpAffine(out, moved, augmentTransform(options.size, options.augment, *rng), out.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT,
                   cv::Scalar::all(0));
    flipAndJitter(moved, options.augment, *rng);
    return moved;
}

}  // namespace

std::optional<FaceBox> cropBoxFor(const ImageRecord& record, const PipelineOptions& options)
{
    return options.faceApiCrop ? record.faceApiBox : record.box;
}

cv::Mat cropFace(const cv::Mat& rgb8, const std::optional<Landmarks5>& landmarks, const PipelineOptions& options, std::mt19937_64* rng,
                 const std::optional<FaceBox>& box)
{
    if (options.faceApiCrop) return faceApiCropAugmented(rgb8, box, options, rng);
    const int size = options.size;
    cv::Mat m;
    if (box && options.cropToBox) {
        // Clamp to the image as the official get_faces_webcari.py does, then stretch to a square.
        const double x0 = std::clamp<double>(box->x, 0.0, rgb8.cols), y0 = std::clamp<double>(box->y, 0.0, rgb8.rows);
        const double x1 = std::clamp<double>(box->x + box->width, 0.0, rgb8.cols);
        const double y1 = std::clamp<double>(box->y + box->height, 0.0, rgb8.rows);
        const double w = std::max(1.0, x1 - x0), h = std::max(1.0, y1 - y0);
        const double sx = size / w, sy = size / h;
        m = (cv::Mat_<double>(2, 3) << sx, 0, (0.5 - x0) * sx - 0.5, 0, sy, (0.5 - y0) * sy - 0.5);
    } else if (landmarks && options.alignWithLandmarks) {
        m = alignmentTransform(*landmarks, size, options.alignPadding);
    } else {
        // Pixel centres map to pixel centres (as cv::resize): x' = (x + 0.5) * s - 0.5.
        const double sx = static_cast<double>(size) / rgb8.cols, sy = static_cast<double>(size) / rgb8.rows;
        m = (cv::Mat_<double>(2, 3) << sx, 0, 0.5 * sx - 0.5, 0, sy, 0.5 * sy - 0.5);
    }
    if (rng && options.augment.enabled) {
        // Compose so the image is resampled once, not twice.
        cv::Mat a = augmentTransform(size, options.augment, *rng);
        cv::Mat m3 = cv::Mat::eye(3, 3, CV_64F), a3 = cv::Mat::eye(3, 3, CV_64F);
        m.copyTo(m3(cv::Rect(0, 0, 3, 2)));
        a.copyTo(a3(cv::Rect(0, 0, 3, 2)));
        cv::Mat composed = a3 * m3;
        m = composed(cv::Rect(0, 0, 3, 2)).clone();
    }
    cv::Mat out;
    // Downscaling by more than 2x with bilinear aliases badly; pre-shrink with INTER_AREA.
    const double scale = std::sqrt(std::abs(cv::determinant(m(cv::Rect(0, 0, 2, 2)))));
    if (scale < 0.5) {
        cv::Mat small;
        const double f = std::min(1.0, 2.0 * scale);
        cv::resize(rgb8, small, cv::Size(), f, f, cv::INTER_AREA);
        // Source pixel u of the original is at u' = (u + 0.5) * f - 0.5 in the shrunk image,
        // so s(u') = m(u) needs both the linear part and the offset adjusted.
        cv::Mat s = m.clone();
        const double k = 0.5 / f - 0.5;
        s.at<double>(0, 2) += k * (m.at<double>(0, 0) + m.at<double>(0, 1));
        s.at<double>(1, 2) += k * (m.at<double>(1, 0) + m.at<double>(1, 1));
        s(cv::Rect(0, 0, 2, 2)) /= f;
        cv::warpAffine(small, out, s, cv::Size(size, size), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
    } else {
        cv::warpAffine(rgb8, out, m, cv::Size(size, size), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
    }
    if (rng && options.augment.enabled) flipAndJitter(out, options.augment, *rng);
    return out;
}

std::optional<Landmarks5> scaled(const std::optional<Landmarks5>& landmarks, double scale)
{
    if (!landmarks || scale == 1.0) return landmarks;
    Landmarks5 lm = *landmarks;
    for (auto& p : lm) {
        p.x *= static_cast<float>(scale);
        p.y *= static_cast<float>(scale);
    }
    return lm;
}

std::optional<FaceBox> scaled(const std::optional<FaceBox>& box, double scale)
{
    if (!box || scale == 1.0) return box;
    const auto f = static_cast<float>(scale);
    return FaceBox{box->x * f, box->y * f, box->width * f, box->height * f};
}

cv::Mat preprocess(const cv::Mat& rgb8, const std::optional<Landmarks5>& landmarks, const PipelineOptions& options, std::mt19937_64* rng,
                   const std::optional<FaceBox>& box)
{
    return normalizeCrop(cropFace(rgb8, landmarks, options, rng, box), options);
}

cv::Mat normalizeCrop(const cv::Mat& crop, const PipelineOptions& options)
{
    cv::Mat f;
    if (options.meanRgb) {
        // Subtract then divide, in float32, as the pretrained network's own preprocessing.
        const auto& m = *options.meanRgb;
        f.create(crop.size(), CV_32FC3);
        for (int y = 0; y < crop.rows; ++y) {
            const auto* in = crop.ptr<cv::Vec3b>(y);
            auto* out = f.ptr<cv::Vec3f>(y);
            for (int x = 0; x < crop.cols; ++x)
                for (int c = 0; c < 3; ++c) out[x][c] = (static_cast<float>(in[x][c]) - m[static_cast<size_t>(c)]) / options.pixelScale;
        }
    } else if (options.standardize) {
        crop.convertTo(f, CV_32FC3);
        cv::Scalar mean, stddev;
        cv::meanStdDev(f.reshape(1), mean, stddev);
        const double n = static_cast<double>(f.total()) * f.channels();
        const double adjusted = std::max(stddev[0], 1.0 / std::sqrt(n));
        f = (f - cv::Scalar::all(mean[0])) / adjusted;
    } else {
        crop.convertTo(f, CV_32FC3, 1.0 / 255.0);
    }
    return f;
}

}  // namespace carilab::data
