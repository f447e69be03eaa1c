#pragma once
// "face-resnet": the pretrained face-recognition ResNet (face-api's FaceRecognitionNet, see
// pretrained/face_recognition_net.h and nn/face_resnet_layers.h) cut into the paper's shared layers and three branches, so
// multi-task training starts from a network that already tells faces apart, as the paper's does.
//   trunk:  stem, max pool, the 32/64/128 stages and the first 256 block (conv256_down):
//           150 -> 72 -> 35 -> 17 -> 8 -> 4, Z = 256 x 4 x 4. Nearly all of the network's
//           computation, the part every task shares.
//   branch: a copy of the remaining blocks (conv256_1, conv256_2, conv256_down_out), global mean
//           pool, dropout, and the pretrained 256x128 projection: a 128-d embedding.
// The embedding is the 128-d projection rather than the 256 pooled features because that
// projection is what the network was trained to compare faces with: at step 0 the verification
// branch is exactly the zero-shot descriptor, so training moves from the baseline, not from a
// fresh random layer.
// Input: 150x150, (rgb - [122.782, 117.001, 104.298]) / 255 (BackboneInfo carries it).
#include "nn/backbone.h"
#include "nn/weight_source.h"

#include <memory>

namespace carilab::nn {

class FaceResnetBackbone final : public Backbone {
public:
    // weights: face-api's face_recognition_model tensors (pretrained::backboneWeights); null:
    // random initialisation (training from scratch, or a network whose checkpoint overwrites
    // every weight anyway).
    explicit FaceResnetBackbone(std::shared_ptr<const WeightSource> weights = nullptr);
    ~FaceResnetBackbone() override;
    BackboneInfo info() const override;
    torch::nn::AnyModule makeTrunk() const override;
    torch::nn::AnyModule makeBranch(double dropout) const override;

private:
    std::shared_ptr<const WeightSource> weights_;  // read once, for the trunk and all three branches
};

}  // namespace carilab::nn
