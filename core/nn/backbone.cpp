#include "nn/backbone.h"

#include "nn/face_resnet_backbone.h"
#include "nn/inception_resnet_v1.h"
#include "nn/tiny_backbone.h"

#include <stdexcept>

namespace carilab::nn {

std::vector<std::string> backboneNames() { return {"tiny", "inception-resnet-v1", "face-resnet"}; }

std::unique_ptr<Backbone> makeBackbone(const std::string& name, bool pretrainedWeights)
{
    if (name == "tiny") return std::make_unique<TinyBackbone>();
    if (name == "inception-resnet-v1") return std::make_unique<InceptionResnetV1Backbone>();
    if (name == "face-resnet") return std::make_unique<FaceResnetBackbone>(pretrainedWeights);
    std::string known;
    for (const auto& n : backboneNames()) known += (known.empty() ? "" : ", ") + n;
    throw std::invalid_argument("unknown backbone '" + name + "' (known: " + known + ")");
}

void applyInputNormalisation(const BackboneInfo& info, data::PipelineOptions& pipeline)
{
    pipeline.meanRgb = info.inputMeanRgb;
    pipeline.pixelScale = info.inputPixelScale;
}

}  // namespace carilab::nn
