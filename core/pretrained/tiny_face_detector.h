#pragma once
// face-api's TinyFaceDetector (`tiny_face_detector_model`, 190 KiB): a Tiny-YOLOv2 with
// depthwise-separable convolutions and one class, in LibTorch, loading the package's weights.
// Layout (read off the package's source, tinyYolov2/TinyYolov2Base.runMobilenet):
//   input S x S RGB (S = 416 by default, a multiple of 32), x = (rgb - [117.001, 114.697, 97.404]) / 255
//   conv0 3x3 VALID 3->16 (+bias), leaky ReLU (0.1)
//   max-pool 2x2/2 SAME, then conv1..conv5 (3->3 zero-padded depthwise + 1x1 pointwise + bias,
//   leaky ReLU) with a 2x2/2 SAME max-pool after conv1..conv4 and a 2x2/1 SAME one after conv5:
//   16->32->64->128->256->512
//   conv8 1x1 512->25 (+bias): per cell of the S/32 x S/32 grid, 5 anchors x (x, y, w, h, score).
// Input: the image zero-padded at the bottom or right to a square, bilinear-resized to S (TF.js's
// legacy resize). Boxes: centre (col + sigmoid(tx)) / grid, size exp(tw) * anchor / grid,
// corrected for the padding, kept when sigmoid(score) > threshold, then greedy non-maximum
// suppression at IoU 0.4, best score first; finally scaled to the original image's pixels.
#include "pretrained/tfjs_image_ops.h"

#include <opencv2/core.hpp>
#include <torch/torch.h>

#include <string>
#include <vector>

namespace carilab::pretrained {

class TfjsWeightMap;

constexpr int kTinyDetectorDefaultInput = 416;
constexpr double kTinyDetectorDefaultThreshold = 0.5;
constexpr double kTinyDetectorIouThreshold = 0.4;
constexpr int kTinyDetectorAnchors = 5;

struct TinyDetectorOptions {
    int inputSize = kTinyDetectorDefaultInput;  // multiple of 32
    double scoreThreshold = kTinyDetectorDefaultThreshold;  // in (0, 1)
};

struct FaceDetection {
    FaceRect box;  // in image pixels (may reach outside the image)
    double score = 0;  // sigmoid of the anchor's objectness
};

// conv(3x3 depthwise, zero padding 1) -> conv(1x1) + bias -> leaky ReLU.
class SeparableConvImpl : public torch::nn::Module {
public:
    SeparableConvImpl(std::int64_t in, std::int64_t out);
    torch::Tensor forward(const torch::Tensor& x);
    // "<prefix>/depthwise_filter" [3,3,in,1], "<prefix>/pointwise_filter" [1,1,in,out], "<prefix>/bias".
    void load(const TfjsWeightMap& w, const std::string& prefix);

private:
    std::int64_t in_, out_;
    torch::nn::Conv2d depthwise_{nullptr}, pointwise_{nullptr};
};
TORCH_MODULE(SeparableConv);

class TinyFaceDetectorImpl : public torch::nn::Module {
public:
    TinyFaceDetectorImpl();
    // x: [N,3,S,S] normalised. Returns [N,25,S/32,S/32].
    torch::Tensor forward(const torch::Tensor& x);
    void load(const TfjsWeightMap& w);  // the package's 19 tensors, names and shapes checked

    // The network's output for one image, as TF.js lays it out: [1, S/32, S/32, 25].
    torch::Tensor rawOutput(const cv::Mat& rgb8, int inputSize = kTinyDetectorDefaultInput);
    // Faces in `rgb8` (CV_8UC3 RGB), best score first. Empty when there is none.
    std::vector<FaceDetection> detect(const cv::Mat& rgb8, const TinyDetectorOptions& o = {});

private:
    torch::nn::Conv2d conv0_{nullptr}, conv8_{nullptr};
    std::vector<SeparableConv> separable_;
};
TORCH_MODULE(TinyFaceDetector);

// A TinyFaceDetector in eval mode with the weights of `manifestPath`
// (tiny_face_detector_model-weights_manifest.json).
TinyFaceDetector loadTinyFaceDetector(const std::string& manifestPath);

// The package's greedy non-maximum suppression: indices kept, highest score first.
std::vector<int> nonMaxSuppression(const std::vector<FaceRect>& boxes, const std::vector<double>& scores, double iouThreshold);

// TF.js's max-pool with SAME padding (the padding never wins the max).
torch::Tensor maxPoolSame(const torch::Tensor& x, std::int64_t kernel, std::int64_t stride);

}  // namespace carilab::pretrained
