#include "eval/input_normalisation.h"

namespace carilab::eval {

void applyInputNormalisation(const nn::BackboneInfo& info, data::PipelineOptions& pipeline)
{
    pipeline.meanRgb = info.inputMeanRgb;
    pipeline.pixelScale = info.inputPixelScale;
}

}  // namespace carilab::eval
