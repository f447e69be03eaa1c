#pragma once
// The crop the pretrained face-resnet descriptor was made for, computed exactly as face-api
// computes it before its FaceRecognitionNet (extractFaceTensors, then NetInput.toBatchTensor):
// the box clipped to the image with every field floored, that region zero-padded, centred, to
// a square, and resized with TF.js's legacy bilinear resize (the source of output pixel i is
// i * in/out, not OpenCV's half-pixel convention). Every path that feeds face-resnet crops
// here -- training batches, evaluation, galleries, queries, `embed`, the browser's preview --
// so they all see the pixels face-api's own pipeline sees. The float crop of the face finder
// (pretrained::FacePipeline::alignedFaceTensor, torch, shared with the landmark and SSD inputs)
// is the reference checked against the JavaScript; this is its cacheable uint8 twin, held equal
// to it by test_face_pipeline.
#include "data/landmarks.h"

#include <opencv2/core.hpp>

#include <optional>

namespace carilab::data {

// size x size CV_8UC3 RGB (values rounded, as face-api's float crop rounds to the nearest
// level). No box, or one that misses the image: the whole image, padded and resized the same
// way (what face-api's computeFaceDescriptor does with a whole image).
cv::Mat faceApiCrop(const cv::Mat& rgb8, const std::optional<FaceBox>& box, int size);

// TF.js's legacy bilinear resize (alignCorners and halfPixelCenters false) of a float image of
// any channel count (CV_32FC(n)); fractions in double, values in float, as the JS kernel.
cv::Mat resizeBilinearLegacy(const cv::Mat& src32f, int outHeight, int outWidth);

// The centred zero padding to a square: round(diff / 2) (JavaScript's rounding) after, the
// rest before.
cv::Mat padToSquareCentred(const cv::Mat& image);

}  // namespace carilab::data
