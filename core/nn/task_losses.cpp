#include "nn/task_losses.h"

namespace carilab::nn {

namespace {

torch::Tensor l2normalize(const torch::Tensor& x)
{
    return torch::nn::functional::normalize(x, torch::nn::functional::NormalizeFuncOptions().dim(1).eps(1e-10));
}

}  // namespace

TaskLosses computeTaskLosses(const MultiTaskOutput& out, const torch::Tensor& labels, const torch::Tensor& isCaricature, CenterLoss& center,
                             const TaskLossOptions& options)
{
    TaskLosses r;
    const auto cariIdx = isCaricature.nonzero().squeeze(1);
    const auto photoIdx = (~isCaricature).nonzero().squeeze(1);
    r.caricatures = cariIdx.size(0);
    r.photos = photoIdx.size(0);

    std::array<torch::Tensor, kNumTasks> loss, ce;
    const auto allIdx = torch::arange(labels.size(0), labels.options().dtype(torch::kLong));
    std::array<torch::Tensor, kNumTasks> rows = {torch::Tensor(), options.idHead.caricatureHeadOnPhotos ? allIdx : cariIdx, photoIdx};
    for (int t = 0; t < kNumTasks; ++t) {
        torch::Tensor logits = out.logits[t], emb = out.embeddings[t], y = labels;
        if (t != kVerification) {
            if (rows[t].numel() == 0) {
                // Keep the graph so backward works, but contribute nothing.
                loss[t] = out.logits[t].sum() * 0.0;
                ce[t] = loss[t].detach();
                continue;
            }
            logits = logits.index_select(0, rows[t]);
            emb = emb.index_select(0, rows[t]);
            y = labels.index_select(0, rows[t]);
        }
        namespace F = torch::nn::functional;
        const double smoothing = t == kVerification ? 0.0 : options.idHead.labelSmoothing;
        ce[t] = F::cross_entropy(withMargin(logits, y, options.idHead), y, F::CrossEntropyFuncOptions().label_smoothing(smoothing));
        loss[t] = ce[t];
        if (options.centerLossFactor > 0 && (t == kVerification || options.centerLossAllBranches)) {
            auto c = center(l2normalize(emb), y).mean();
            loss[t] = loss[t] + options.centerLossFactor * c;
            if (t == kVerification) r.center = c.detach();
        }
        ce[t] = ce[t].detach();
    }
    if (!r.center.defined()) r.center = torch::zeros({});
    r.losses = torch::stack({loss[0], loss[1], loss[2]});
    r.crossEntropy = torch::stack({ce[0], ce[1], ce[2]});
    return r;
}

}  // namespace carilab::nn
