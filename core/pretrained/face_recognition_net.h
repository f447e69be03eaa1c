#pragma once
// The 128-d face descriptor of @vladmandic/face-api's `face_recognition_model` (face-api.js's
// FaceRecognitionNet, a ResNet-34-like network after dlib's face recognition model), in LibTorch,
// loading the package's TensorFlow.js weights. Layout (read off the package's own source):
//   input 150x150 RGB, x = (rgb - [122.782, 117.001, 104.298]) / 255
//   conv 7x7/2 VALID 3->32 (+bias, per-channel scale, ReLU), max-pool 3x3/2 VALID
//   3 residual blocks of 32, a down block to 64 + 3 of 64, a down block to 128 + 2 of 128,
//   a down block to 256 + 2 of 256, a last down block 256->256
//   global mean over H,W, then a 256x128 matrix (no bias): the descriptor (not normalised).
// Each "conv layer" is conv (+bias), then x*scale_weight + scale_bias per channel (a folded
// batch-norm), ReLU except on a block's second conv. Stride-1 convs are 3x3 SAME; a down block's
// first conv is 3x3/2 VALID and its shortcut a 2x2/2 average pool, zero-padded in channels (and
// the conv branch zero-padded by a bottom row / right column when the pool is one larger).
#include "nn/face_resnet_layers.h"

#include <opencv2/core.hpp>
#include <torch/torch.h>

#include <string>
#include <vector>

namespace carilab::pretrained {

class TfjsWeightMap;
// The layers and the package's constants (nn/face_resnet_layers.h), under the descriptor's name.
using nn::faceRecognitionBlocks;
using nn::FaceResidual;
using nn::faceStemOptions;
using nn::faceStemPool;
using nn::kFaceDescriptorDim;
using nn::kFaceDescriptorInput;
using nn::kFaceFeatureDim;
using nn::kFaceMeanRgb;
using nn::kFacePixelScale;
using nn::ScaledConv;

class FaceRecognitionNetImpl : public torch::nn::Module {
public:
    FaceRecognitionNetImpl();
    // x: [N,3,150,150] float, already normalised (see normalize()). Returns [N,128].
    torch::Tensor forward(const torch::Tensor& x);
    // The 256-d pooled features before the final projection, [N,256].
    torch::Tensor features(const torch::Tensor& x);
    // Copies every tensor of the package's weights (117 of them), checking names and shapes.
    void load(const TfjsWeightMap& w);

    // uint8 [N,150,150,3] RGB (or [150,150,3]) -> normalised float [N,3,150,150].
    static torch::Tensor normalize(const torch::Tensor& rgb8);

    // The descriptor of one 150x150 RGB face (CV_8UC3, RGB order): eval mode, no grad.
    std::vector<float> computeDescriptor(const cv::Mat& rgb150);
    // Descriptors of a batch of uint8 [N,150,150,3] RGB faces: [N,128].
    torch::Tensor computeDescriptors(const torch::Tensor& rgb8);

private:
    ScaledConv stem_{nullptr};
    std::vector<std::pair<std::string, FaceResidual>> blocks_;
    torch::Tensor fc_;  // [256,128], as stored (features @ fc)
};
TORCH_MODULE(FaceRecognitionNet);

// A FaceRecognitionNet in eval mode with the weights of `manifestPath`
// (face_recognition_model-weights_manifest.json).
FaceRecognitionNet loadFaceRecognitionNet(const std::string& manifestPath);

}  // namespace carilab::pretrained
