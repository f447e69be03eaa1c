#pragma once
// The layers of face-api's FaceRecognitionNet (pretrained/face_recognition_net.h has the whole
// network and its layout), shared by that network and the face-resnet training backbone, which
// splits the blocks between its trunk and branches. Weights load by face-api's tensor names.
#include "nn/weight_source.h"

#include <torch/torch.h>

#include <string>
#include <vector>

namespace carilab::nn {

// Input side, mean RGB and scale of the package's preprocessing.
constexpr int kFaceDescriptorInput = 150;
constexpr int kFaceDescriptorDim = 128;
constexpr float kFaceMeanRgb[3] = {122.782f, 117.001f, 104.298f};
constexpr float kFacePixelScale = 255.0f;  // (rgb - mean) / 255, as FaceRecognitionNet.forwardInput

// The residual stages in order: name in the weights, channels, whether the block halves the
// resolution. Shared with the face-resnet training backbone, which splits them between its
// trunk and branches.
struct FaceBlockSpec {
    const char* name;
    std::int64_t in, out;
    bool down;
};
const std::vector<FaceBlockSpec>& faceRecognitionBlocks();
constexpr std::int64_t kFaceFeatureDim = 256;  // pooled features before the 256x128 projection

// conv (+bias) -> per-channel affine "scale" -> optional ReLU.
struct ScaledConvOptions {
    std::int64_t in = 0, out = 0, kernel = 3, stride = 1;
    bool same = true;  // SAME padding (stride 1 only here) or VALID
    bool relu = true;
};

class ScaledConvImpl : public torch::nn::Module {
public:
    explicit ScaledConvImpl(const ScaledConvOptions& o);
    torch::Tensor forward(const torch::Tensor& x);
    // Loads "<prefix>/conv/filters" [k,k,in,out], "<prefix>/conv/bias", "<prefix>/scale/weights",
    // "<prefix>/scale/biases" [out].
    void load(const WeightSource& w, const std::string& prefix);

private:
    ScaledConvOptions o_;
    torch::nn::Conv2d conv_{nullptr};
    torch::Tensor scaleWeight_, scaleBias_;
};
TORCH_MODULE(ScaledConv);

// The 7x7/2 VALID 3->32 stem conv (name "conv32_down" in the weights); max-pool 3x3/2 follows it.
ScaledConvOptions faceStemOptions();
torch::Tensor faceStemPool(const torch::Tensor& x);

// Two scaled convs with an identity (or, `down`, an average-pool) shortcut, then ReLU.
class FaceResidualImpl : public torch::nn::Module {
public:
    FaceResidualImpl(std::int64_t in, std::int64_t out, bool down);
    torch::Tensor forward(const torch::Tensor& x);
    void load(const WeightSource& w, const std::string& prefix);  // "<prefix>/conv1", "<prefix>/conv2"

private:
    bool down_;
    ScaledConv conv1_{nullptr}, conv2_{nullptr};
};
TORCH_MODULE(FaceResidual);

}  // namespace carilab::nn
