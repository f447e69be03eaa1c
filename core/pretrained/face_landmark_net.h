#pragma once
// face-api's FaceLandmark68Net (`face_landmark_68_model`, 350 KiB): 68 facial landmarks from a
// face crop, in LibTorch, loading the package's weights. Layout (read off the package's
// source, faceFeatureExtractor/FaceFeatureExtractor + faceLandmarkNet/FaceLandmark68NetBase):
//   input 112x112 RGB, x = (rgb - [122.782, 117.001, 104.298]) / 255
//   4 dense blocks (32, 64, 128, 256 channels), each halving the resolution:
//     out1 = relu(conv0(x))  (dense0: a 3x3/2 conv; the others a separable 3x3/2 conv)
//     out2 = sep(out1), out3 = sep(relu(out1 + out2)), out4 = sep(relu(out1 + out2 + out3))
//     relu(out1 + out2 + out3 + out4)      (sep: 3x3 depthwise + 1x1 pointwise + bias, SAME)
//   7x7 average pool -> 256 -> fully connected 256x136 (+bias): (x, y) pairs in [0, 1] of the
//   padded square input.
// The crop is zero-padded around its shorter side to a square (centred), bilinear-resized to
// 112 (TF.js's legacy resize); the output is mapped back through that padding to the crop's
// pixels. SAME padding with stride 2 pads only the bottom and right, as TensorFlow does.
#include <opencv2/core.hpp>
#include <torch/torch.h>

#include <array>
#include <string>
#include <vector>

namespace carilab::pretrained {

class TfjsWeightMap;

constexpr int kLandmarkInput = 112;
constexpr int kLandmarkCount = 68;

struct LandmarkPoint {
    double x = 0, y = 0;
};
using FaceLandmarks68 = std::array<LandmarkPoint, kLandmarkCount>;

// 3x3 depthwise (stride 1 or 2, TF SAME) + 1x1 pointwise + bias, no activation.
class SameSeparableConvImpl : public torch::nn::Module {
public:
    SameSeparableConvImpl(std::int64_t in, std::int64_t out, std::int64_t stride);
    torch::Tensor forward(const torch::Tensor& x);
    void load(const TfjsWeightMap& w, const std::string& prefix);

private:
    std::int64_t in_, out_, stride_;
    torch::nn::Conv2d depthwise_{nullptr}, pointwise_{nullptr};
};
TORCH_MODULE(SameSeparableConv);

class DenseBlock4Impl : public torch::nn::Module {
public:
    // first: conv0 is a plain 3x3/2 convolution (dense0) rather than a separable one.
    DenseBlock4Impl(std::int64_t in, std::int64_t out, bool first);
    torch::Tensor forward(const torch::Tensor& x);
    void load(const TfjsWeightMap& w, const std::string& prefix);

private:
    std::int64_t in_, out_;
    bool first_;
    torch::nn::Conv2d conv0_{nullptr};
    SameSeparableConv sep0_{nullptr};
    std::vector<SameSeparableConv> seps_;
};
TORCH_MODULE(DenseBlock4);

class FaceLandmark68NetImpl : public torch::nn::Module {
public:
    FaceLandmark68NetImpl();
    // x: [N,3,112,112] normalised. Returns [N,136], (x, y) pairs relative to the input square.
    torch::Tensor forward(const torch::Tensor& x);
    void load(const TfjsWeightMap& w);  // the package's 47 tensors, names and shapes checked

    // The network's output for one face crop (any size, CV_8UC3 RGB): [1,136].
    torch::Tensor rawOutput(const cv::Mat& crop);
    // The 68 landmarks of a face crop, in the crop's pixels.
    FaceLandmarks68 detectLandmarks(const cv::Mat& crop);
    // The same for a crop given as float [h,w,3] RGB values (what the full pipeline slices).
    FaceLandmarks68 detectLandmarks(const torch::Tensor& cropHwc);

private:
    std::vector<DenseBlock4> blocks_;
    torch::Tensor fcWeight_, fcBias_;  // [256,136] as stored (features @ weight), [136]
};
TORCH_MODULE(FaceLandmark68Net);

// A FaceLandmark68Net in eval mode with the weights of `manifestPath`
// (face_landmark_68_model-weights_manifest.json).
FaceLandmark68Net loadFaceLandmark68Net(const std::string& manifestPath);

// TF SAME zero padding for a k x k window at `stride` (bottom/right get the odd pixel).
torch::Tensor padSame(const torch::Tensor& x, std::int64_t kernel, std::int64_t stride);

}  // namespace carilab::pretrained
