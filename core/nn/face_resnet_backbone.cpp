#include "nn/face_resnet_backbone.h"

#include "pretrained/face_recognition_net.h"
#include "pretrained/pretrained_store.h"
#include "pretrained/tfjs_weights.h"

#include <cmath>

namespace carilab::nn {

namespace {

using pretrained::FaceResidual;
using pretrained::ScaledConv;

// Blocks [0, kTrunkBlocks) of faceRecognitionBlocks() are shared; the rest are per branch.
constexpr std::size_t kTrunkBlocks = 11;   // through conv256_down
constexpr std::int64_t kZChannels = 256, kZSide = 4;

class FaceResnetTrunkImpl : public torch::nn::Module {
public:
    explicit FaceResnetTrunkImpl(const pretrained::TfjsWeightMap* w)
    {
        stem_ = register_module("conv32_down", ScaledConv(pretrained::faceStemOptions()));
        if (w) stem_->load(*w, "conv32_down");
        const auto& specs = pretrained::faceRecognitionBlocks();
        for (std::size_t i = 0; i < kTrunkBlocks; ++i) {
            const auto& b = specs[i];
            blocks_.push_back(register_module(b.name, FaceResidual(b.in, b.out, b.down)));
            if (w) blocks_.back()->load(*w, b.name);
        }
    }
    torch::Tensor forward(const torch::Tensor& x)
    {
        auto y = pretrained::faceStemPool(stem_(x));
        for (auto& b : blocks_) y = b(y);
        return y;
    }

private:
    ScaledConv stem_{nullptr};
    std::vector<FaceResidual> blocks_;
};
TORCH_MODULE(FaceResnetTrunk);

class FaceResnetBranchImpl : public torch::nn::Module {
public:
    FaceResnetBranchImpl(const pretrained::TfjsWeightMap* w, double dropout) : dropoutP_(dropout)
    {
        const auto& specs = pretrained::faceRecognitionBlocks();
        for (std::size_t i = kTrunkBlocks; i < specs.size(); ++i) {
            const auto& b = specs[i];
            blocks_.push_back(register_module(b.name, FaceResidual(b.in, b.out, b.down)));
            if (w) blocks_.back()->load(*w, b.name);
        }
        // Dropout on the pooled features, before the projection: the embedding itself stays
        // the network's descriptor space.
        dropout_ = register_module("dropout", torch::nn::Dropout(dropout));
        // Kept as stored, [256,128] for features @ fc, so at init the branch computes exactly
        // what FaceRecognitionNet does.
        projection_ = register_parameter("fc", torch::empty({pretrained::kFaceFeatureDim, pretrained::kFaceDescriptorDim}));
        torch::NoGradGuard ng;
        if (w)
            projection_.copy_(w->at("fc", {pretrained::kFaceFeatureDim, pretrained::kFaceDescriptorDim}));
        else   // a Linear layer's default: uniform in +-1/sqrt(fan_in)
            projection_.uniform_(-1.0 / std::sqrt((double)pretrained::kFaceFeatureDim), 1.0 / std::sqrt((double)pretrained::kFaceFeatureDim));
    }
    torch::Tensor forward(const torch::Tensor& x)
    {
        auto y = x;
        for (auto& b : blocks_) y = b(y);
        // Dropout 0 (the fine-tune recipe) skips the layer outright: the pretrained projection
        // then sees exactly the pooled features, in training as in evaluation.
        auto pooled = y.mean({2, 3});
        if (dropoutP_ > 0) pooled = dropout_(pooled);
        return pooled.matmul(projection_);
    }

private:
    std::vector<FaceResidual> blocks_;
    double dropoutP_ = 0.0;
    torch::nn::Dropout dropout_{nullptr};   // registered even at 0, so checkpoints keep their layout
    torch::Tensor projection_;
};
TORCH_MODULE(FaceResnetBranch);

}  // namespace

FaceResnetBackbone::FaceResnetBackbone(bool pretrainedWeights) : pretrained_(pretrainedWeights) {}

FaceResnetBackbone::~FaceResnetBackbone() = default;

BackboneInfo FaceResnetBackbone::info() const
{
    BackboneInfo i{"face-resnet", pretrained::kFaceDescriptorInput, pretrained::kFaceDescriptorDim, kZChannels * kZSide * kZSide};
    i.inputMeanRgb = std::array<float, 3>{pretrained::kFaceMeanRgb[0], pretrained::kFaceMeanRgb[1], pretrained::kFaceMeanRgb[2]};
    i.faceApiCrop = true;
    i.inputPixelScale = pretrained::kFacePixelScale;
    return i;
}

const pretrained::TfjsWeightMap* FaceResnetBackbone::weights() const
{
    if (!pretrained_) return nullptr;
    if (!weights_) {
        const std::string manifest = pretrained::requireModelManifest("face_recognition_model");
        weights_ = std::make_unique<pretrained::TfjsWeightMap>(pretrained::readTfjsWeights(manifest));
    }
    return weights_.get();
}

torch::nn::AnyModule FaceResnetBackbone::makeTrunk() const { return torch::nn::AnyModule(FaceResnetTrunk(weights())); }

torch::nn::AnyModule FaceResnetBackbone::makeBranch(double dropout) const
{
    return torch::nn::AnyModule(FaceResnetBranch(weights(), dropout));
}

}  // namespace carilab::nn
