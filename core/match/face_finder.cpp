#include "match/face_finder.h"

#include "match/face_detector.h"
#include "pretrained/face_alignment.h"

#include <opencv2/core.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace carilab::match {

namespace {

data::Point2 mean(const std::vector<data::Point2>& p, int first, int last)
{
    double x = 0, y = 0;
    for (int i = first; i <= last; ++i) {
        x += p[static_cast<size_t>(i)].x;
        y += p[static_cast<size_t>(i)].y;
    }
    const double n = last - first + 1;
    return {static_cast<float>(x / n), static_cast<float>(y / n)};
}

}  // namespace

data::Landmarks5 landmarks5From68(const std::vector<data::Point2>& p)
{
    if (p.size() != 68) throw std::invalid_argument("68 landmarks expected, got " + std::to_string(p.size()));
    // iBUG 68: 36-41 the eye on the image's left, 42-47 the other, 30 the nose tip, 48 and 54
    // the mouth corners -- the same image-left-first order as Landmarks5.
    return {mean(p, 36, 41), mean(p, 42, 47), p[30], p[48], p[54]};
}

FaceApiDetector parseFaceApiDetector(const std::string& name)
{
    if (name == "ssd") return FaceApiDetector::Ssd;
    if (name == "tiny") return FaceApiDetector::Tiny;
    throw std::invalid_argument("unknown face detector '" + name + "' (known: ssd, tiny)");
}

const char* faceApiDetectorName(FaceApiDetector d) { return d == FaceApiDetector::Tiny ? "tiny" : "ssd"; }

FaceFinder::FaceFinder(const FaceFinderOptions& options) : options_(options)
{
    try {
        faceApi_ = std::make_shared<pretrained::FacePipeline>();
    } catch (const std::exception& e) {
        fallbackReason_ = e.what();
    }
    if (!faceApi_) haar_ = std::make_unique<FaceDetector>();
}

FaceFinder::FaceFinder(std::shared_ptr<pretrained::FacePipeline> faceApi, const FaceFinderOptions& options)
    : options_(options), faceApi_(std::move(faceApi))
{
    if (!faceApi_) {
        fallbackReason_ = "face-api not given";
        haar_ = std::make_unique<FaceDetector>();
    }
}

FaceFinder::~FaceFinder() = default;
FaceFinder::FaceFinder(FaceFinder&&) noexcept = default;

std::string FaceFinder::detectorName() const
{
    if (!faceApi_) return "OpenCV Haar cascade";
    return options_.detector == FaceApiDetector::Ssd ? "face-api SSD MobileNet v1 + 68 landmarks" : "face-api tiny face detector + 68 landmarks";
}

const char* faceDetectorKindName(FaceDetectorKind k) { return k == FaceDetectorKind::Haar ? "haar" : "face-api"; }

std::string FaceFinder::detectorTag() const { return faceApi_ ? faceApiDetectorName(options_.detector) : "haar"; }

std::optional<FoundFace> FaceFinder::find(const cv::Mat& rgb8)
{
    if (rgb8.empty()) return std::nullopt;
    if (!faceApi_) {
        const auto box = haar_->detect(rgb8);
        if (!box) return std::nullopt;
        FoundFace f;
        f.detector = FaceDetectorKind::Haar;
        f.detection = *box;
        f.headBox = *box;  // FaceDetector already widens its box to a square head crop
        f.headSquare = *box;
        return f;
    }
    // The tiny detector at its default 416 input misses faces under ~60 px there (a person in
    // a wider photo): retry it larger. Both detectors miss faces that fill the frame (CaVI's
    // tight head shots): retry with a border around the image.
    if (auto f = findWith(rgb8, pretrained::kTinyDetectorDefaultInput)) return f;
    if (options_.detector == FaceApiDetector::Tiny)
        if (auto f = findWith(rgb8, 608)) return f;
    const int pad = std::max(rgb8.cols, rgb8.rows) / 4;
    cv::Mat padded;
    cv::copyMakeBorder(rgb8, padded, pad, pad, pad, pad, cv::BORDER_CONSTANT, cv::Scalar(128, 128, 128));
    auto f = findWith(padded, pretrained::kTinyDetectorDefaultInput);
    if (!f) return std::nullopt;
    auto shift = [&](data::FaceBox& b) { b.x -= static_cast<float>(pad), b.y -= static_cast<float>(pad); };
    shift(f->detection);
    shift(f->headBox);
    shift(f->headSquare);
    if (f->faceApiBox) shift(*f->faceApiBox);
    for (auto& p : f->landmarks68) p.x -= static_cast<float>(pad), p.y -= static_cast<float>(pad);
    if (f->landmarks5)
        for (auto& p : *f->landmarks5) p.x -= static_cast<float>(pad), p.y -= static_cast<float>(pad);
    return f;
}

std::vector<pretrained::FaceDetection> FaceFinder::detect(const cv::Mat& rgb8, int tinyInputSize)
{
    if (options_.detector == FaceApiDetector::Ssd) return faceApi_->detectFacesSsd(rgb8);
    pretrained::TinyDetectorOptions o;
    o.inputSize = tinyInputSize;
    return faceApi_->detectFaces(rgb8, o);
}

std::optional<FoundFace> FaceFinder::findWith(const cv::Mat& rgb8, int tinyInputSize)
{
    for (const auto& det : detect(rgb8, tinyInputSize)) {
        const auto lm = faceApi_->landmarks(rgb8, det);
        // A face cut by the border so far that its aligned square misses the image is not one
        // a match can use (face-api skips it too).
        const auto aligned = pretrained::FacePipeline::alignedBox(lm);
        const auto region = pretrained::clipAtImageBorders(aligned, rgb8.cols, rgb8.rows);
        if (region.width <= 0 || region.height <= 0) continue;
        FoundFace f;
        f.detector = FaceDetectorKind::FaceApi;  // FaceFinder::detectorTag() says which of its detectors
        f.score = det.score;
        f.detection = {static_cast<float>(det.box.x), static_cast<float>(det.box.y), static_cast<float>(det.box.width),
                       static_cast<float>(det.box.height)};
        float x0 = 1e30f, y0 = 1e30f, x1 = -1e30f, y1 = -1e30f;
        std::vector<data::Point2> points;
        for (const auto& p : lm.points) {
            points.push_back({static_cast<float>(p.x), static_cast<float>(p.y)});
            x0 = std::min(x0, static_cast<float>(p.x)), y0 = std::min(y0, static_cast<float>(p.y));
            x1 = std::max(x1, static_cast<float>(p.x)), y1 = std::max(y1, static_cast<float>(p.y));
        }
        const auto l5 = landmarks5From68(points);
        const float eyeMouth = std::hypot((l5[0].x + l5[1].x - l5[3].x - l5[4].x) / 2, (l5[0].y + l5[1].y - l5[3].y - l5[4].y) / 2);
        // The landmark net sometimes collapses on faces far from its training poses (a wide
        // laugh with the head thrown back): all 68 points in a small knot. Aligning on those
        // would crop a few pixels of cheek, so such a face keeps only its detection box.
        const bool plausible =
            (x1 - x0) >= 0.35f * f.detection.width && (y1 - y0) >= 0.35f * f.detection.height && eyeMouth >= 0.2f * f.detection.height;
        if (plausible) {
            f.faceApiBox = data::FaceBox{static_cast<float>(aligned.x), static_cast<float>(aligned.y), static_cast<float>(aligned.width),
                                         static_cast<float>(aligned.height)};
            f.landmarks68 = std::move(points);
            f.landmarks5 = l5;
            // The 68 points run from the brows to the chin; widen as WebCaricature's official
            // crop widens its landmarks' box (x1.5, y1.2) and add the forehead the brows leave out.
            const float w = (x1 - x0) * 1.5f, h = (y1 - y0) * 1.2f;
            const float cx = (x0 + x1) / 2, cy = (y0 + y1) / 2 - 0.1f * (y1 - y0);
            f.headBox = {cx - w / 2, cy - h / 2, w, h};
            // Framed as CaVI frames its photos, measured on cavi-dev's first photo of each of 35
            // identities: the side is 4.1x the eye-to-mouth distance (quartiles 3.6-5.2), the centre
            // 0.18 of it above the midpoint of eyes and mouth.
            const float mx = (l5[0].x + l5[1].x + l5[3].x + l5[4].x) / 4, my = (l5[0].y + l5[1].y + l5[3].y + l5[4].y) / 4;
            const float side = 4.1f * eyeMouth;
            f.headSquare = {mx - side / 2, my - 0.18f * eyeMouth - side / 2, side, side};
        } else {
            // The detector's box spans brows to chin, as the landmarks do.
            const auto& b = f.detection;
            const float cx = b.x + b.width / 2, cy = b.y + b.height / 2 - 0.1f * b.height;
            f.headBox = {cx - 0.75f * b.width, cy - 0.6f * b.height, 1.5f * b.width, 1.2f * b.height};
            const float side = 2.0f * std::max(b.width, b.height);  // CaVI's framing, as above
            f.headSquare = {cx - side / 2, cy - side / 2, side, side};
            const float s = std::max(b.width, b.height);  // face-api's aligned box is about the detection's size
            f.faceApiBox = data::FaceBox{b.x + b.width / 2 - s / 2, b.y + b.height / 2 - s / 2, s, s};
        }
        return f;
    }
    return std::nullopt;
}

}  // namespace carilab::match
