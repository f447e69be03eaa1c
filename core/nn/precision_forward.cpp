#include "nn/precision_forward.h"

namespace carilab::nn {

MultiTaskOutput forwardInPrecision(Precision precision, MultiTaskNet& net, const torch::Tensor& images)
{
    MultiTaskOutput out;
    {
        PrecisionScope scope(precision, images.device());
        out = net->forward(images);
    }
    if (precision == Precision::Fp32) return out;
    const auto fp32 = [](torch::Tensor& t) {
        if (t.defined() && t.scalar_type() != torch::kFloat32) t = t.to(torch::kFloat32);
    };
    fp32(out.sharedMap);
    fp32(out.z);
    for (auto& e : out.embeddings) fp32(e);
    for (auto& l : out.logits) fp32(l);
    return out;
}

}  // namespace carilab::nn
