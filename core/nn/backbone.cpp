#include "nn/backbone.h"

#include "nn/face_resnet_backbone.h"
#include "nn/inception_resnet_v1.h"
#include "nn/tiny_backbone.h"

#include <stdexcept>

namespace carilab::nn {

std::vector<std::string> backboneNames() { return {"tiny", "inception-resnet-v1", "face-resnet"}; }

std::unique_ptr<Backbone> makeBackbone(const std::string& name, std::shared_ptr<const WeightSource> weights)
{
    if (name == "face-resnet") return std::make_unique<FaceResnetBackbone>(std::move(weights));
    if (weights && (name == "tiny" || name == "inception-resnet-v1"))
        throw std::invalid_argument("backbone '" + name + "' has no pretrained weights (only face-resnet has)");
    if (name == "tiny") return std::make_unique<TinyBackbone>();
    if (name == "inception-resnet-v1") return std::make_unique<InceptionResnetV1Backbone>();
    std::string known;
    for (const auto& n : backboneNames()) known += (known.empty() ? "" : ", ") + n;
    throw std::invalid_argument("unknown backbone '" + name + "' (known: " + known + ")");
}

}  // namespace carilab::nn
