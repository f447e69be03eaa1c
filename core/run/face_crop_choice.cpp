// The crop a run's images get, resolved from its config and backbone (run/train_config.h). Kept
// apart from the config parser, which builds without OpenCV (tests/fuzz/fuzz_config).
#include "data/image_pipeline.h"
#include "nn/backbone.h"
#include "run/train_config.h"

namespace carilab::run {

FaceCrop resolvedFaceCrop(const TrainConfig& c, const nn::BackboneInfo& backbone)
{
    if (c.faceCrop != FaceCrop::Auto) return c.faceCrop;
    return backbone.faceApiCrop ? FaceCrop::FaceApi : FaceCrop::Align;
}

void applyFaceCrop(const TrainConfig& c, const nn::BackboneInfo& backbone, data::PipelineOptions& pipeline)
{
    const FaceCrop crop = resolvedFaceCrop(c, backbone);
    pipeline.alignWithLandmarks = c.align;
    pipeline.cropToBox = crop == FaceCrop::Box;
    pipeline.faceApiCrop = crop == FaceCrop::FaceApi;
}

}  // namespace carilab::run
