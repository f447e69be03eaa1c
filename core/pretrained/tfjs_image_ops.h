#pragma once
// The few image operations face-api applies before its networks, reproduced exactly as
// TensorFlow.js's CPU backend computes them, so CariLab's pretrained networks see the same
// input values as the reference:
//   - padToSquare: zero rows/columns appended (or split around the image, "centred") until
//     width == height (face-api's ops/padToSquare; the centred split puts round(diff/2) after
//     and the rest before);
//   - resizeBilinear with alignCorners = false and halfPixelCenters = false: the source of
//     output pixel i is i * in/out (not OpenCV's half-pixel convention, which shifts faces by
//     a fraction of a pixel and moves landmarks measurably);
//   - toBatchTensor: both, as NetInput.toBatchTensor does for one image.
// Boxes are kept as face-api's Box (double x, y, width, height) so rounding happens where the
// package rounds.
#include <opencv2/core.hpp>
#include <torch/types.h>

namespace carilab::pretrained {

struct FaceRect {
    double x = 0, y = 0, width = 0, height = 0;
    double right() const { return x + width; }
    double bottom() const { return y + height; }
    double area() const { return width * height; }
};

// JavaScript's Math.round: halves go up (-2.5 -> -2), unlike std::round.
double jsRound(double v);

// Intersection over union (0 when either box is empty).
double iou(const FaceRect& a, const FaceRect& b);

// face-api's Box.clipAtImageBorders: clipped to the image, then every field floored.
FaceRect clipAtImageBorders(const FaceRect& r, int imageWidth, int imageHeight);

// A continuous CV_8UC3 RGB image as a float32 [H,W,3] tensor (copied).
torch::Tensor rgbToFloatTensor(const cv::Mat& rgb8);

// [H,W,C] float32 -> [S,S,C], S = max(H,W).
torch::Tensor padToSquare(const torch::Tensor& hwc, bool centred);

// [H,W,C] float32 -> [outH,outW,C] float32, TF.js's legacy bilinear resize.
torch::Tensor resizeBilinear(const torch::Tensor& hwc, int outHeight, int outWidth);

// padToSquare then, unless already that size, resizeBilinear to size x size: [size,size,3].
torch::Tensor toBatchTensor(const torch::Tensor& hwc, int size, bool centred);

// The region `r` (already clipped and integral, inside the image) of an RGB image, as float
// [h,w,3]: tf.slice3d of the image tensor.
torch::Tensor sliceRegion(const cv::Mat& rgb8, const FaceRect& r);

}  // namespace carilab::pretrained
