#include "nn/face_resnet_backbone.h"

#include "nn/face_resnet_layers.h"

#include <cmath>

namespace carilab::nn {

namespace {

// Blocks [0, kTrunkBlocks) of faceRecognitionBlocks() are shared; the rest are per branch.
constexpr std::size_t kTrunkBlocks = 11;  // through conv256_down
constexpr std::int64_t kZChannels = 256, kZSide = 4;

class FaceResnetTrunkImpl : public torch::nn::Module {
public:
    explicit FaceResnetTrunkImpl(const WeightSource* w)
    {
        stem_ = register_module("conv32_down", ScaledConv(faceStemOptions()));
        if (w) stem_->load(*w, "conv32_down");
        const auto& specs = faceRecognitionBlocks();
        for (std::size_t i = 0; i < kTrunkBlocks; ++i) {
            const auto& b = specs[i];
            blocks_.push_back(register_module(b.name, FaceResidual(b.in, b.out, b.down)));
            if (w) blocks_.back()->load(*w, b.name);
        }
    }
    torch::Tensor forward(const torch::Tensor& x)
    {
        auto y = faceStemPool(stem_(x));
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
    FaceResnetBranchImpl(const WeightSource* w, double dropout) : dropoutP_(dropout)
    {
        const auto& specs = faceRecognitionBlocks();
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
        projection_ = register_parameter("fc", torch::empty({kFaceFeatureDim, kFaceDescriptorDim}));
        torch::NoGradGuard ng;
        if (w)
            projection_.copy_(w->at("fc", {kFaceFeatureDim, kFaceDescriptorDim}));
        else  // a Linear layer's default: uniform in +-1/sqrt(fan_in)
            projection_.uniform_(-1.0 / std::sqrt(static_cast<double>(kFaceFeatureDim)), 1.0 / std::sqrt(static_cast<double>(kFaceFeatureDim)));
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
    torch::nn::Dropout dropout_{nullptr};  // registered even at 0, so checkpoints keep their layout
    torch::Tensor projection_;
};
TORCH_MODULE(FaceResnetBranch);

}  // namespace

FaceResnetBackbone::FaceResnetBackbone(std::shared_ptr<const WeightSource> weights) : weights_(std::move(weights)) {}

FaceResnetBackbone::~FaceResnetBackbone() = default;

BackboneInfo FaceResnetBackbone::info() const
{
    BackboneInfo i{"face-resnet", kFaceDescriptorInput, kFaceDescriptorDim, kZChannels * kZSide * kZSide};
    i.inputMeanRgb = std::array<float, 3>{kFaceMeanRgb[0], kFaceMeanRgb[1], kFaceMeanRgb[2]};
    i.faceApiCrop = true;
    i.inputPixelScale = kFacePixelScale;
    return i;
}

torch::nn::AnyModule FaceResnetBackbone::makeTrunk() const { return torch::nn::AnyModule(FaceResnetTrunk(weights_.get())); }

torch::nn::AnyModule FaceResnetBackbone::makeBranch(double dropout) const { return torch::nn::AnyModule(FaceResnetBranch(weights_.get(), dropout)); }

}  // namespace carilab::nn
