#include "match/face_detector.h"

#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include <cstdlib>
#include <fstream>
#include <mutex>
#include <stdexcept>

namespace carilab::match {

struct FaceDetector::Impl {
    cv::CascadeClassifier cascade;
    std::mutex mutex;  // CascadeClassifier::detectMultiScale is not documented as thread-safe
};

std::string FaceDetector::defaultCascadePath()
{
    if (const char* env = std::getenv("CARILAB_FACE_CASCADE"); env && *env) return env;
    for (const char* p : {"/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml",
                          "/usr/local/share/opencv4/haarcascades/haarcascade_frontalface_default.xml",
                          "/usr/share/opencv/haarcascades/haarcascade_frontalface_default.xml"})
        if (std::ifstream(p).good()) return p;
    return "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml";
}

FaceDetector::FaceDetector(const std::string& cascadePath) : impl_(std::make_unique<Impl>())
{
    if (!impl_->cascade.load(cascadePath))
        throw std::runtime_error(cascadePath +
                                 ": cannot load the face detector cascade (install the opencv-data package, "
                                 "or point CARILAB_FACE_CASCADE at a Haar cascade XML)");
}

FaceDetector::~FaceDetector() = default;
FaceDetector::FaceDetector(FaceDetector&&) noexcept = default;

std::optional<data::FaceBox> FaceDetector::detect(const cv::Mat& rgb8) const
{
    if (rgb8.empty()) return std::nullopt;
    // Detect on a copy at most 640 px on its long side: the cascade's cost grows with area and
    // faces in dropped photos are large.
    const double scale = std::min(1.0, 640.0 / std::max(rgb8.cols, rgb8.rows));
    cv::Mat gray;
    cv::cvtColor(rgb8, gray, cv::COLOR_RGB2GRAY);
    if (scale < 1.0) cv::resize(gray, gray, cv::Size(), scale, scale, cv::INTER_AREA);
    cv::equalizeHist(gray, gray);
    std::vector<cv::Rect> faces;
    const int minSide = std::max(24, std::min(gray.cols, gray.rows) / 8);
    {
        std::lock_guard<std::mutex> lock(impl_->mutex);
        impl_->cascade.detectMultiScale(gray, faces, 1.1, 4, 0, cv::Size(minSide, minSide));
    }
    if (faces.empty()) return std::nullopt;
    const cv::Rect best = *std::max_element(faces.begin(), faces.end(), [](const cv::Rect& a, const cv::Rect& b) { return a.area() < b.area(); });
    // The cascade box spans brows to mouth; a head crop is about 1.6x wider and taller, with
    // more room above (forehead, hair) than below.
    const double w = best.width / scale, h = best.height / scale;
    const double cx = (best.x + best.width / 2.0) / scale, cy = (best.y + best.height / 2.0) / scale;
    const double side = 1.6 * std::max(w, h);
    return data::FaceBox{static_cast<float>(cx - side / 2), static_cast<float>(cy - side / 2 - 0.05 * side), static_cast<float>(side),
                         static_cast<float>(side)};
}

}  // namespace carilab::match
