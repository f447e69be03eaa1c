#pragma once
// From a decoded RGB image to the float tensor input the network sees.
#include "data/dataset_index.h"
#include "data/landmarks.h"

#include <opencv2/core.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <random>
#include <vector>

namespace carilab::data {

struct AugmentOptions {
    bool enabled = false;
    bool flip = true;  // horizontal flip with probability 1/2
    float maxRotationDeg = 8.f;
    float maxScale = 0.06f;  // relative
    float maxShift = 0.04f;  // relative to the side
    float colourJitter = 0.15f;  // brightness/contrast/saturation amplitude
    // Random erasing (Zhong et al., AAAI 2020): with this probability one rectangle of 2-33 % of
    // the crop, aspect 0.3-3.3, is filled with uniform noise, so no single part decides.
    float eraseProbability = 0.f;
};

struct PipelineOptions {
    int size = 128;  // output side in pixels
    bool alignWithLandmarks = true;  // similarity-align to the 5-point template when landmarks exist
    // Crop the record's face box (clamped to the image, resized to size x size without keeping
    // the aspect, as the official WebCaricature code) instead of aligning. Needs a box.
    bool cropToBox = false;
    // Crop face-api's aligned box as face-api does for its descriptor (data/face_api_crop.h); the
    // box argument of cropFace/preprocess is then that box (cropBoxFor). Wins over the two above.
    // Augmentation, when on, moves the crop afterwards. Set for face-resnet.
    bool faceApiCrop = false;
    float alignPadding = 0.10f;  // template shrink, leaves forehead and chin in the crop
    bool standardize = true;  // per-image (x - mean) / max(std, 1/sqrt(N)), as the official code
    // Fixed per-channel (rgb - meanRgb) / pixelScale instead: the statistics a pretrained network
    // was trained with (nn::applyInputNormalisation sets it from the backbone). Wins over standardize.
    std::optional<std::array<float, 3>> meanRgb;
    float pixelScale = 255.f;
    AugmentOptions augment;
    // Test time only: embed each crop and its mirror and average them (eval::embedImages).
    bool mirrorAverage = false;
    // Test time only: zoomed-out views of each crop, averaged in as well (nn/test_views.h).
    std::vector<double> zoomOut;
};

// Similarity transform (2x3, CV_64F) that maps the landmarks onto the template of a
// size x size crop. Least squares over the 5 points (Umeyama, no reflection).
cv::Mat alignmentTransform(const Landmarks5& landmarks, int size, float padding);

// Geometry only: the size x size uint8 RGB crop (aligned when landmarks are given and
// alignment is on, else the whole image resized), with augmentation when rng is given.
cv::Mat cropFace(const cv::Mat& rgb8, const std::optional<Landmarks5>& landmarks, const PipelineOptions& options, std::mt19937_64* rng = nullptr,
                 const std::optional<FaceBox>& box = std::nullopt);

// The box cropFace takes for a record under these options: its face-api box when faceApiCrop,
// else its dataset box.
std::optional<FaceBox> cropBoxFor(const ImageRecord& record, const PipelineOptions& options);

// Full pipeline: crop, augment, convert to float32 RGB HWC, normalise (meanRgb or standardize).
cv::Mat preprocess(const cv::Mat& rgb8, const std::optional<Landmarks5>& landmarks, const PipelineOptions& options, std::mt19937_64* rng = nullptr,
                   const std::optional<FaceBox>& box = std::nullopt);

// The normalisation step of preprocess alone, on a crop cropFace made (or another face crop of
// the same size, e.g. a detector's aligned face): float32 RGB HWC.
cv::Mat normalizeCrop(const cv::Mat& crop8, const PipelineOptions& options);

// Landmarks and box of an image that was decoded at `scale` times its file's size (the image
// cache shrinks large images), so geometry stored in file pixels lines up with the pixels.
std::optional<Landmarks5> scaled(const std::optional<Landmarks5>& landmarks, double scale);
std::optional<FaceBox> scaled(const std::optional<FaceBox>& box, double scale);

}  // namespace carilab::data
