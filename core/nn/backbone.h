#pragma once
// A backbone = the shared layers (trunk) plus a recipe for one task branch.
//
// The multi-task network owns one trunk and calls makeBranch() three times, so every branch
// has its own weights. A pretrained backbone is a factory that fills the trunk's weights after
// building it (loadPretrained); nothing else in the network needs to know.
#include "nn/weight_source.h"

#include <torch/torch.h>

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace carilab::nn {

struct BackboneInfo {
    BackboneInfo() = default;
    BackboneInfo(std::string name_, std::int64_t inputSize_, std::int64_t embeddingDim_, std::int64_t zDim_)
        : name(std::move(name_)), inputSize(inputSize_), embeddingDim(embeddingDim_), zDim(zDim_)
    {}

    std::string name;
    std::int64_t inputSize = 0;  // square input side the architecture is built for
    std::int64_t embeddingDim = 0;  // each branch's output (pooled) feature size
    std::int64_t zDim = 0;  // flattened trunk output size (the dynamic module's input)
    // Pretrained weights expect the pixel statistics they were trained with: (rgb - mean) / scale
    // per channel. Unset: the official per-image standardisation.
    std::optional<std::array<float, 3>> inputMeanRgb;
    float inputPixelScale = 255.f;
    // The weights were trained on face-api's aligned crop (data/face_api_crop.h): face_crop
    // "auto" crops that way for this backbone.
    bool faceApiCrop = false;
};

class Backbone {
public:
    virtual ~Backbone() = default;
    virtual BackboneInfo info() const = 0;
    // [N,3,S,S] -> last shared feature map [N,C,H,W]; Z is its flattening.
    virtual torch::nn::AnyModule makeTrunk() const = 0;
    // last shared feature map -> [N, embeddingDim] (pooled, after dropout in training).
    virtual torch::nn::AnyModule makeBranch(double dropout) const = 0;
};

// "tiny" (fast CPU demos and tests), "inception-resnet-v1" (the official slim variant) or
// "face-resnet" (pretrained shared layers and branches). `weights` (pretrained::backboneWeights)
// fills a pretrained backbone; null builds it with random weights (from scratch, or before
// loading a checkpoint). Throws std::invalid_argument listing the known names, or when weights
// are given to a backbone that has none.
std::unique_ptr<Backbone> makeBackbone(const std::string& name, std::shared_ptr<const WeightSource> weights = nullptr);
std::vector<std::string> backboneNames();

}  // namespace carilab::nn
