#pragma once
// "tiny": a small CNN for CPU demos and tests (64x64 input, several hundred images/s on 2 cores).
#include "nn/backbone.h"

namespace carilab::nn {

class TinyBackbone final : public Backbone {
public:
    BackboneInfo info() const override;
    torch::nn::AnyModule makeTrunk() const override;
    torch::nn::AnyModule makeBranch(double dropout) const override;
};

}  // namespace carilab::nn
