#pragma once
// "inception-resnet-v1": the official code's slim Inception-ResNet-v1 (160x160 input).
// Shared: stem, 1x block35, reduction-A (Mixed_6a), 1x block17, reduction-B (Mixed_7a) ->
// Z = 3x3x1792. Each branch: block8 + block8 (no activation) + global average pool + dropout
// -> 1792-d embedding. (The full network has 5/10/5 repeats; the official model uses 1/1/1.)
#include "nn/backbone.h"

namespace carilab::nn {

class InceptionResnetV1Backbone final : public Backbone {
public:
    BackboneInfo info() const override;
    torch::nn::AnyModule makeTrunk() const override;
    torch::nn::AnyModule makeBranch(double dropout) const override;
};

}  // namespace carilab::nn
