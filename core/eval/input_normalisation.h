#pragma once
// Where a backbone meets the image pipeline: the pixel statistics its weights expect. It lives
// here, above both, so that nn (LibTorch only) never sees the OpenCV pipeline.
#include "data/image_pipeline.h"
#include "nn/backbone.h"

namespace carilab::eval {

// Sets the pipeline's pixel normalisation to what the backbone's weights expect (everywhere
// images enter its network: training batches, evaluation, matching). Size and crop are left alone.
void applyInputNormalisation(const nn::BackboneInfo& info, data::PipelineOptions& pipeline);

}  // namespace carilab::eval
