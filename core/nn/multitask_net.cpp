#include "nn/multitask_net.h"

#include <stdexcept>

namespace carilab::nn {

namespace {

torch::nn::AnyModule makeHead(const MultiTaskOptions& options, std::int64_t embeddingDim)
{
    validate(options.idHead);
    if (options.idHead.isCosine()) return torch::nn::AnyModule(CosineHead(embeddingDim, options.numClasses, options.idHead.scale));
    torch::nn::Linear head(embeddingDim, options.numClasses);
    // Official init: truncated normal, std 0.1; a plain normal clamped at 2 sigma is the same.
    torch::NoGradGuard ng;
    head->weight.normal_(0.0, 0.1).clamp_(-0.2, 0.2);
    head->bias.zero_();
    return torch::nn::AnyModule(head);
}

}  // namespace

MultiTaskNetImpl::MultiTaskNetImpl(const MultiTaskOptions& options) : options_(options)
{
    if (options.numClasses == 1 || options.numClasses < 0) throw std::invalid_argument("the network needs at least 2 identities to classify");
    auto backbone = makeBackbone(options.backbone, options.pretrainedWeights);
    info_ = backbone->info();
    trunk_ = backbone->makeTrunk();
    trunkModule_ = trunk_.ptr();
    register_module("trunk", trunkModule_);
    static const std::array<const char*, kNumTasks> kBranchNames = {"branch_verification", "branch_caricature", "branch_visual"};
    static const std::array<const char*, kNumTasks> kHeadNames = {"logits_verification", "logits_caricature", "logits_visual"};
    for (int t = 0; t < kNumTasks; ++t) {
        branches_[t] = backbone->makeBranch(options.dropout);
        register_module(kBranchNames[t], branches_[t].ptr());
        if (!hasClassifiers()) continue;
        heads_[t] = makeHead(options, info_.embeddingDim);
        register_module(kHeadNames[t], heads_[t].ptr());
    }
    if (options.channelsLast) {
        // Weights follow the activations' layout (else each conv call reorders its weight);
        // .to(device) and checkpoint loading (copy_ into the existing tensors) keep the strides.
        torch::NoGradGuard ng;
        for (auto& p : parameters())
            if (p.dim() == 4) p.set_data(p.contiguous(torch::MemoryFormat::ChannelsLast));
    }
}

torch::Tensor MultiTaskNetImpl::toLayout(const torch::Tensor& images) const
{
    // A batch permuted from NHWC ([N,H,W,C].permute(0,3,1,2)) is already channels-last: no copy.
    return options_.channelsLast ? images.contiguous(torch::MemoryFormat::ChannelsLast) : images.contiguous();
}

MultiTaskOutput MultiTaskNetImpl::forward(const torch::Tensor& images)
{
    MultiTaskOutput out;
    out.sharedMap = trunk_.forward(toLayout(images));
    out.z = out.sharedMap.flatten(1);
    for (int t = 0; t < kNumTasks; ++t) {
        out.embeddings[t] = branches_[t].forward(out.sharedMap);
        if (!hasClassifiers()) continue;
        auto logits = heads_[t].forward(out.embeddings[t]);
        if (options_.reluOnIdLogits && t != kVerification) logits = torch::relu(logits);
        out.logits[t] = logits;
    }
    return out;
}

namespace {
// Unit rows in fp32, whatever the arithmetic before.
torch::Tensor unitRows(const torch::Tensor& t)
{
    return torch::nn::functional::normalize(t.to(torch::kFloat32), torch::nn::functional::NormalizeFuncOptions().dim(1).eps(1e-10));
}
// The views' embeddings back to one per image: each view's unit embedding counts once, however
// long its raw vector.
torch::Tensor embeddingOf(const torch::Tensor& e, const TestViews& views)
{
    return views.count() > 1 ? unitRows(sumViews(unitRows(e), views.count())) : unitRows(e);
}
}  // namespace

torch::Tensor MultiTaskNetImpl::embed(const torch::Tensor& images, const TestViews& views)
{
    torch::Tensor e;
    {
        PrecisionScope scope(is_training() ? Precision::Fp32 : precision_, images.device());
        e = branches_[kVerification].forward(trunk_.forward(toLayout(expandViews(images, views))));
    }
    return embeddingOf(e, views);
}

MultiTaskNetImpl::Predictions MultiTaskNetImpl::predict(const torch::Tensor& images, const torch::Tensor& isCaricature, const TestViews& views)
{
    if (!hasClassifiers()) throw std::logic_error("predict() needs a network with classification heads");
    PrecisionScope scope(is_training() ? Precision::Fp32 : precision_, images.device());
    const auto shared = trunk_.forward(toLayout(expandViews(images, views)));
    // Logits of the views' batch back to one row per image: the views' logits summed.
    const auto merge = [&](const torch::Tensor& t) { return sumViews(t, views.count()); };
    const auto e = branches_[kVerification].forward(shared);
    Predictions p;
    p.embedding = embeddingOf(e, views);
    const auto onDevice = torch::TensorOptions().device(images.device());
    p.predicted = torch::full({images.size(0), kNumTasks}, -1, onDevice.dtype(torch::kInt64));
    const auto verificationLogits = merge(heads_[kVerification].forward(e).to(torch::kFloat32));
    p.probabilities = torch::zeros({images.size(0), kNumTasks, verificationLogits.size(1)}, onDevice.dtype(torch::kFloat32));
    const auto keep = [&](int t, const torch::Tensor& rows, const torch::Tensor& logits) {
        p.predicted.select(1, t).index_copy_(0, rows, logits.argmax(1));
        p.probabilities.select(1, t).index_copy_(0, rows, torch::softmax(logits, 1));
    };
    keep(kVerification, torch::arange(images.size(0), onDevice.dtype(torch::kInt64)), verificationLogits);
    const auto cari = isCaricature.to(images.device(), torch::kBool);
    for (int t : {static_cast<int>(kCaricature), static_cast<int>(kVisual)}) {
        const auto rows = (t == kCaricature ? cari : cari.logical_not()).nonzero().squeeze(1);
        if (rows.numel() == 0) continue;
        auto logits = heads_[t].forward(branches_[t].forward(shared.index_select(0, viewRows(rows, images.size(0), views.count()))));
        // The ReLU (reluOnIdLogits) cannot change which logit is largest unless all are <= 0;
        // keep it anyway so ties resolve as in forward().
        if (options_.reluOnIdLogits) logits = torch::relu(logits);
        keep(t, rows, merge(logits.to(torch::kFloat32)));
    }
    return p;
}

std::vector<torch::Tensor> MultiTaskNetImpl::lastSharedParameters()
{
    // The last registered parameterised child of the trunk holds the last shared weights.
    auto mods = trunkModule_->modules(/*include_self=*/false);
    for (auto it = mods.rbegin(); it != mods.rend(); ++it) {
        if (auto conv = std::dynamic_pointer_cast<torch::nn::Conv2dImpl>(*it)) return {conv->weight};
    }
    return trunkModule_->parameters();
}

std::vector<torch::Tensor> MultiTaskNetImpl::groupParameters(ParamGroup group)
{
    if (group == ParamGroup::Trunk) return trunkModule_->parameters();
    std::vector<torch::Tensor> out;
    for (int t = 0; t < kNumTasks; ++t) {
        if (group == ParamGroup::Branches) {
            const auto p = branches_[static_cast<std::size_t>(t)].ptr()->parameters();
            out.insert(out.end(), p.begin(), p.end());
        } else if (!heads_[static_cast<std::size_t>(t)].is_empty()) {
            const auto p = heads_[static_cast<std::size_t>(t)].ptr()->parameters();
            out.insert(out.end(), p.begin(), p.end());
        }
    }
    return out;
}

}  // namespace carilab::nn
