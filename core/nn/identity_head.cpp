#include "nn/identity_head.h"

#include <cmath>
#include <stdexcept>

namespace carilab::nn {

IdentityHeadKind parseIdentityHeadKind(const std::string& name)
{
    if (name == "softmax") return IdentityHeadKind::Softmax;
    if (name == "cosface") return IdentityHeadKind::CosFace;
    throw std::invalid_argument("'" + name + "' is not an identity head; valid: softmax (the paper's), cosface (large-margin cosine)");
}

const char* identityHeadKindName(IdentityHeadKind k) { return k == IdentityHeadKind::CosFace ? "cosface" : "softmax"; }

void validate(const IdentityHeadOptions& o)
{
    if (!(o.scale > 0) || !std::isfinite(o.scale)) throw std::invalid_argument("id_head.scale must be a positive number (CosFace: 30)");
    if (!(o.margin >= 0 && o.margin < 1)) throw std::invalid_argument("id_head.margin must be in [0, 1) (CosFace: 0.35)");
    if (!(o.labelSmoothing >= 0 && o.labelSmoothing < 1)) throw std::invalid_argument("id_head.label_smoothing must be in [0, 1) (0: hard targets, 0.1: usual)");
}

CosineHeadImpl::CosineHeadImpl(std::int64_t inFeatures, std::int64_t numClasses, double scale) : scale_(scale)
{
    // Only the direction of a row matters; N(0, 1/D) entries give rows of about unit norm.
    weight = register_parameter("weight", torch::randn({numClasses, inFeatures}) / std::sqrt(static_cast<double>(inFeatures)));
}

torch::Tensor CosineHeadImpl::forward(const torch::Tensor& x)
{
    namespace F = torch::nn::functional;
    const auto opts = F::NormalizeFuncOptions().dim(1).eps(1e-10);
    return scale_ * torch::mm(F::normalize(x, opts), F::normalize(weight, opts).t());
}

torch::Tensor withMargin(const torch::Tensor& logits, const torch::Tensor& labels, const IdentityHeadOptions& o)
{
    if (!o.isCosine() || o.margin == 0 || logits.size(0) == 0) return logits;
    const auto hit = torch::zeros_like(logits).scatter_(1, labels.view({-1, 1}), o.scale * o.margin);
    return logits - hit;
}

}  // namespace carilab::nn
