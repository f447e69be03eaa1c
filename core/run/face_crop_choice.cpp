// The crop a run's images get, resolved from its config and backbone (run/train_config.h). Kept
// apart from the config parser, which builds without OpenCV (tests/fuzz/fuzz_config).
#include "data/image_pipeline.h"
#include "nn/backbone.h"
#include "run/train_config.h"

namespace carilab::run {

std::string resolvedFaceCrop(const TrainConfig& c, const nn::BackboneInfo& backbone)
{
    if (c.faceCrop != "auto") return c.faceCrop;
    return backbone.faceApiCrop ? "face-api" : "align";
}

void applyFaceCrop(const TrainConfig& c, const nn::BackboneInfo& backbone, data::PipelineOptions& pipeline)
{
    const std::string crop = resolvedFaceCrop(c, backbone);
    pipeline.alignWithLandmarks = c.align;
    pipeline.cropToBox = crop == "box";
    pipeline.faceApiCrop = crop == "face-api";
}

}  // namespace carilab::run
