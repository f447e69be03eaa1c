#include "pretrained/backbone_weights.h"

#include "pretrained/pretrained_store.h"
#include "pretrained/tfjs_weights.h"

namespace carilab::pretrained {

std::shared_ptr<const nn::WeightSource> backboneWeights(const std::string& backbone)
{
    if (backbone != "face-resnet") return nullptr;
    return std::make_shared<const TfjsWeightMap>(readTfjsWeights(requireModelManifest("face_recognition_model")));
}

}  // namespace carilab::pretrained
