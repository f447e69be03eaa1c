#pragma once
// Finding the face in a dropped photo: OpenCV's frontal-face Haar cascade from opencv-data.
// Caricatures often defeat it; callers then use the whole image or a user-drawn box.
#include "data/landmarks.h"

#include <opencv2/core.hpp>

#include <memory>
#include <optional>
#include <string>

namespace carilab::match {

class FaceDetector {
public:
    // The cascade file: $CARILAB_FACE_CASCADE, else opencv-data's install location.
    static std::string defaultCascadePath();
    // Throws std::runtime_error naming the file (and the package to install) when it cannot load.
    explicit FaceDetector(const std::string& cascadePath = defaultCascadePath());
    ~FaceDetector();
    FaceDetector(FaceDetector&&) noexcept;

    // The largest face, as the detector's box widened to the loose head crop the training data
    // has (the cascade's box is tight around eyes and mouth). nullopt when none is found.
    std::optional<data::FaceBox> detect(const cv::Mat& rgb8) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace carilab::match
