#pragma once
// The fetched weights a training backbone starts from (nn knows only nn::WeightSource).
#include "nn/weight_source.h"

#include <memory>
#include <string>

namespace carilab::pretrained {

// face-resnet: face-api's face_recognition_model, read from the fetched package (throws
// PretrainedMissing naming `carilab-cli pretrained fetch` without it). Backbones without
// pretrained weights (tiny, inception-resnet-v1): null.
std::shared_ptr<const nn::WeightSource> backboneWeights(const std::string& backbone);

}  // namespace carilab::pretrained
