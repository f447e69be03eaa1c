#pragma once
// face-api's SSD MobileNet v1 face detector (`ssd_mobilenetv1_model`, 5.4 MiB), the package's
// default detector for detectAllFaces/detectSingleFace, in LibTorch, loading the package's
// weights. Layout (read off the package's source, ssdMobilenetv1/*.ts):
//   input 512 x 512 RGB, x = rgb / 127.5 - 1 (the image zero-padded at the bottom or right to a
//   square, then TF.js's legacy bilinear resize)
//   MobileNet v1: conv 3x3/2 3->32, then 13 pairs of (3x3 depthwise + batch norm, 1x1 pointwise),
//   stride 2 at pairs 2, 4, 6 and 12: 32->64->128->128->256->256->512 (x6)->1024->1024; every
//   convolution uses TF "SAME" padding, adds its stored offset and is clipped to [0, 6]
//   prediction: 8 more convolutions (1x1, 3x3/2 alternating) on the 16x16 map down to 1x1, and
//   six box predictors (1x1 convs, box encoding + 3 class logits per anchor) on pair 11's 32x32
//   map (3 anchors a cell), the 16x16, 8x8, 4x4, 2x2 and 1x1 maps (6 anchors): 5118 anchors
//   output: each encoding (ty, tx, th, tw) is decoded against the anchor stored in the weights
//   (Output/extra_dim, [ymin, xmin, ymax, xmax]): centre + t/10 * size, size * exp(t/5); the
//   score is sigmoid of class logit 1
// Detections: scores > minConfidence, greedy non-maximum suppression at IoU 0.5 on the relative
// boxes (best first, at most maxResults), clipped to [0, 1], corrected for the padding and scaled
// to the image's pixels.
#include "pretrained/tiny_face_detector.h"

#include <opencv2/core.hpp>
#include <torch/torch.h>

#include <string>
#include <utility>
#include <vector>

namespace carilab::pretrained {

class TfjsWeightMap;

constexpr int kSsdInputSize = 512;
constexpr std::int64_t kSsdAnchorCount = 5118;
constexpr double kSsdIouThreshold = 0.5;

struct SsdDetectorOptions {
    double minConfidence = 0.5;  // in (0, 1)
    int maxResults = 100;  // > 0
};

// The decoded network output for one image, before non-maximum suppression.
struct SsdRawOutput {
    torch::Tensor boxes;  // [5118, 4] float: top, left, bottom, right relative to the 512 input
    torch::Tensor scores;  // [5118] float: sigmoid of the face logit
};

// A convolution with TF's "SAME" padding (asymmetric, extra row/column after) and a bias,
// optionally clipped to [0, 6]. groups == in makes it depthwise.
class SameConvImpl : public torch::nn::Module {
public:
    SameConvImpl(std::int64_t in, std::int64_t out, std::int64_t kernel, std::int64_t stride, bool depthwise, bool relu6);
    torch::Tensor forward(const torch::Tensor& x);
    torch::nn::Conv2d& conv() { return conv_; }

private:
    std::int64_t kernel_, stride_;
    bool relu6_;
    torch::nn::Conv2d conv_{nullptr};
};
TORCH_MODULE(SameConv);

class SsdMobilenetV1Impl : public torch::nn::Module {
public:
    SsdMobilenetV1Impl();
    // x: [N,3,512,512] in [-1, 1]. Returns the box encodings [N,5118,4] (ty, tx, th, tw) and the
    // class logits [N,5118,3], anchors in the package's order.
    std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& x);
    void load(const TfjsWeightMap& w);  // the package's tensors, names and shapes checked

    // Boxes and scores of every anchor for one RGB image (CV_8UC3), as the package's
    // SsdMobilenetv1.forwardInput returns them.
    SsdRawOutput rawOutput(const cv::Mat& rgb8);
    // Faces in `rgb8`, image pixels, best score first; empty when there is none.
    std::vector<FaceDetection> detect(const cv::Mat& rgb8, const SsdDetectorOptions& o = {});

private:
    std::vector<SameConv> backbone_;  // conv 0, then depthwise/pointwise pairs 1..13
    std::vector<SameConv> extra_;  // prediction layer convs 0..7
    std::vector<SameConv> boxHeads_, classHeads_;  // box predictors 0..5
    torch::Tensor anchors_;  // [5118, 4] ymin, xmin, ymax, xmax
};
TORCH_MODULE(SsdMobilenetV1);

// An SsdMobilenetV1 in eval mode with the weights of `manifestPath`
// (ssd_mobilenetv1_model-weights_manifest.json).
SsdMobilenetV1 loadSsdMobilenetV1(const std::string& manifestPath);

// The package's SSD non-maximum suppression: candidates scoring above `minScore`, best first
// (ties in anchor order), each kept unless its IoU with a kept box exceeds `iouThreshold`;
// at most `maxResults`. `boxes` as SsdRawOutput::boxes (corners in either order).
std::vector<int> ssdNonMaxSuppression(const torch::Tensor& boxes, const torch::Tensor& scores, int maxResults, double iouThreshold, double minScore);

}  // namespace carilab::pretrained
