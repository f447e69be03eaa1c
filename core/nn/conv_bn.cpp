#include "nn/conv_bn.h"

#include "nn/inference_precision.h"
#include "nn/sync_batch_norm.h"

namespace carilab::nn {

ConvBnImpl::ConvBnImpl(const ConvBnOptions& o) : relu_(o.relu)
{
    pad_ = o.same ? std::vector<std::int64_t>{o.kh / 2, o.kw / 2} : std::vector<std::int64_t>{0, 0};
    stride_ = o.stride;
    conv_ =
        register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(o.in, o.out, {o.kh, o.kw}).stride(o.stride).padding(pad_).bias(false)));
    bn_ = register_module("bn", torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(o.out).eps(kBnEps).momentum(kBnMomentum)));
    torch::nn::init::xavier_uniform_(conv_->weight);
}

std::array<std::int64_t, 10> ConvBnImpl::foldKey() const
{
    // A tensor's version counter moves on every in-place change (optimiser steps, running
    // statistics updates, load_state_dict's copies); its storage moves with .to(device).
    const torch::Tensor* ts[] = {&conv_->weight, &bn_->weight, &bn_->bias, &bn_->running_mean, &bn_->running_var};
    std::array<std::int64_t, 10> k{};
    for (std::size_t i = 0; i < 5; ++i) {
        k[2 * i] = static_cast<std::int64_t>(ts[i]->_version());
        k[2 * i + 1] = static_cast<std::int64_t>(reinterpret_cast<std::intptr_t>(ts[i]->data_ptr()));
    }
    return k;
}

torch::Tensor ConvBnImpl::forward(const torch::Tensor& x)
{
    if (!is_training() && !torch::GradMode::is_enabled()) {
        // Inference: batch norm folded into the convolution (one pass over the activations
        // instead of three, and no batch-norm kernel), recomputed whenever a parameter changed.
        const auto key = foldKey();
        if (!foldedWeight_.defined() || key != foldedKey_) {
            const auto scale = bn_->weight / torch::sqrt(bn_->running_var + kBnEps);
            foldedWeight_ = (conv_->weight * scale.view({-1, 1, 1, 1})).contiguous(conv_->weight.suggest_memory_format());
            foldedBias_ = (bn_->bias - bn_->running_mean * scale).contiguous();
            foldedKey_ = key;
            foldedWeightBf16_ = foldedBiasBf16_ = torch::Tensor();
        }
        if (cpuAutocastBf16() && x.device().is_cpu()) {
            // Under bf16 autocast: bf16 copies made once, which autocast passes through, instead
            // of converting the fp32 weights on every call.
            if (!foldedWeightBf16_.defined()) {
                foldedWeightBf16_ = foldedWeight_.to(torch::kBFloat16);
                foldedBiasBf16_ = foldedBias_.to(torch::kBFloat16);
            }
            auto y = torch::conv2d(x, foldedWeightBf16_, foldedBiasBf16_, {stride_, stride_}, pad_);
            return relu_ ? y.relu_() : y;
        }
        auto y = torch::conv2d(x, foldedWeight_, foldedBias_, {stride_, stride_}, pad_);
        return relu_ ? y.relu_() : y;
    }
    foldedWeight_ = foldedBias_ = foldedWeightBf16_ = foldedBiasBf16_ = torch::Tensor();  // training moves the weights; do not keep a stale copy
    // ReLU in place on the batch norm's output: its backward needs only its input and the saved
    // statistics, so autograd allows it, and the step allocates one activation less per layer.
    auto y = conv_(x);
    // --sync-bn in a data-parallel job: the statistics of every rank's batch (sync_batch_norm.h).
    Replicas* replicas = is_training() ? syncBatchNormReplicas() : nullptr;
    y = replicas ? syncBatchNorm(y, bn_->weight, bn_->bias, bn_->running_mean, bn_->running_var, bn_->num_batches_tracked, bn_->options.eps(),
                                 bn_->options.momentum().value(), *replicas)
                 : bn_(y);
    return relu_ ? y.relu_() : y;
}

}  // namespace carilab::nn
