#pragma once
// A backbone = the shared layers (trunk) plus a recipe for one task branch.
//
// The multi-task network owns one trunk and calls makeBranch() three times, so every branch
// has its own weights. A pretrained backbone is a factory that fills the trunk's weights after
// building it (loadPretrained); nothing else in the network needs to know.
#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

namespace carilab::nn {

struct BackboneInfo {
    std::string name;
    std::int64_t inputSize = 0;     // square input side the architecture is built for
    std::int64_t embeddingDim = 0;  // each branch's output (pooled) feature size
    std::int64_t zDim = 0;          // flattened trunk output size (the dynamic module's input)
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

// "tiny" (fast CPU demos and tests) or "inception-resnet-v1" (the official slim variant).
// Throws std::invalid_argument listing the known names.
std::unique_ptr<Backbone> makeBackbone(const std::string& name);
std::vector<std::string> backboneNames();

}  // namespace carilab::nn
