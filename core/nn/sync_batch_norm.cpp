#include "nn/sync_batch_norm.h"

#include <cstdint>

namespace carilab::nn {

namespace {

thread_local Replicas* tCurrentReplicas = nullptr;

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// A per-channel vector shaped to broadcast over N,C,H,W.
torch::Tensor perChannel(const torch::Tensor& t) { return t.view({1, -1, 1, 1}); }

struct GlobalStats {
    torch::Tensor mean, var;  // fp32; var biased (what normalises)
    double count = 0;         // values per channel over all ranks
};

// Each rank contributes count, sum and sum of squares per channel. They come from its own mean
// and variance (LibTorch's batch-norm statistics kernel, fast on channels-last where var_mean is
// not; given fp32, since it answers in its input's dtype) and are summed in fp64, so that
// E[x²] - E[x]² does not lose the variance to cancellation when the mean is large.
GlobalStats globalStats(const torch::Tensor& x, Replicas& replicas)
{
    const std::int64_t c = x.size(1);
    const double n = static_cast<double>(x.numel() / c);
    std::vector<torch::Tensor> sums{torch::zeros({2 * c + 1}, x.options().dtype(torch::kFloat64))};
    torch::Tensor& local = sums.front();
    if (n > 0) {  // a rank with an empty share still takes part in the collective
        const auto [mean, var] = torch::batch_norm_update_stats(x.to(torch::kFloat), c10::nullopt, c10::nullopt, /*momentum=*/0);
        const auto m = mean.to(torch::kFloat64);
        local.narrow(0, 0, c).copy_(m * n);
        local.narrow(0, c, c).copy_((var.to(torch::kFloat64) + m * m) * n);
    }
    local[2 * c].fill_(n);
    replicas.sum(sums);
    GlobalStats s;
    s.count = sums.front()[2 * c].item<double>();
    TORCH_CHECK(s.count > 1, "sync batch norm: expected more than 1 value per channel in training, got ", s.count);
    const auto mean = sums.front().narrow(0, 0, c) / s.count;
    s.var = (sums.front().narrow(0, c, c) / s.count - mean * mean).clamp_min(0).to(torch::kFloat);
    s.mean = mean.to(torch::kFloat);
    return s;
}

// y = (x - mean)·scale + shift per channel by LibTorch's fused inference batch norm (one pass,
// any memory format, bf16 x with fp32 statistics); the output in x's dtype.
torch::Tensor affine(const torch::Tensor& x, const torch::Tensor& scaleTimesStd, const torch::Tensor& shift, const torch::Tensor& mean,
                     const torch::Tensor& var, double eps)
{
    return torch::batch_norm(x, scaleTimesStd, shift, mean, var, /*training=*/false, /*momentum=*/0, eps, at::globalContext().userEnabledCuDNN())
        .to(x.scalar_type());
}

void updateRunningStats(const GlobalStats& s, torch::Tensor& runningMean, torch::Tensor& runningVar, torch::Tensor& numBatchesTracked,
                        double momentum)
{
    if (runningMean.defined()) runningMean.mul_(1 - momentum).add_(s.mean, momentum);
    if (runningVar.defined()) runningVar.mul_(1 - momentum).add_(s.var * (s.count / (s.count - 1)), momentum);
    if (numBatchesTracked.defined()) numBatchesTracked.add_(1);
}

class SyncBatchNormFunction : public torch::autograd::Function<SyncBatchNormFunction> {
public:
    static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                                 torch::Tensor runningMean, torch::Tensor runningVar, torch::Tensor numBatchesTracked, double eps, double momentum,
                                 Replicas* replicas)
    {
        const GlobalStats s = globalStats(x, *replicas);
        updateRunningStats(s, runningMean, runningVar, numBatchesTracked, momentum);
        ctx->save_for_backward({x, weight, s.mean, s.var});
        ctx->saved_data["count"] = s.count;
        ctx->saved_data["eps"] = eps;
        // An IValue holds no raw pointer; the backward runs after the forward's scope closed.
        ctx->saved_data["replicas"] = static_cast<std::int64_t>(reinterpret_cast<std::intptr_t>(replicas));
        return affine(x, weight, bias, s.mean, s.var, eps);
    }

    static variable_list backward(AutogradContext* ctx, variable_list grads)
    {
        const auto saved = ctx->get_saved_variables();
        Saved v{saved[0], saved[1], saved[2], saved[3], ctx->saved_data["eps"].toDouble(), ctx->saved_data["count"].toDouble()};
        const auto invstd = torch::rsqrt(v.var + v.eps);
        // This rank's Σ dy·(x - mean)·invstd and Σ dy in one fused pass: its own gradients of
        // weight and bias (the trainer averages them over ranks with the other parameters).
        const auto [unused, gradWeight, gradBias] =
            torch::native_batch_norm_backward(grads[0], v.x, v.weight, c10::nullopt, c10::nullopt, v.mean, invstd, /*train=*/true, v.eps, {false, true, true});
        torch::Tensor gradX;
        if (ctx->needs_input_grad(0)) {
            auto* replicas = reinterpret_cast<Replicas*>(static_cast<std::intptr_t>(ctx->saved_data["replicas"].toInt()));
            gradX = inputGradient(v, grads[0], gradBias, gradWeight / invstd, *replicas);
        }
        return {gradX, ctx->needs_input_grad(1) ? gradWeight : torch::Tensor(), ctx->needs_input_grad(2) ? gradBias : torch::Tensor(), {}, {}, {}, {}, {},
                {}};
    }

private:
    struct Saved {
        torch::Tensor x, weight, mean, var;
        double eps, count;
    };

    // d(Σ over ranks of their losses)/dx = w·invstd·(dy - mean(dy) - (x - mean)·invstd²·mean(dy·(x - mean)))
    // with both means over every rank's share: k·dy plus a per-channel affine map of x - mean.
    static torch::Tensor inputGradient(const Saved& v, const torch::Tensor& dy, const torch::Tensor& sumDy, const torch::Tensor& sumDyXmu, Replicas& replicas)
    {
        const std::int64_t c = sumDy.size(0);
        std::vector<torch::Tensor> sums{torch::cat({sumDy, sumDyXmu}).to(torch::kFloat64)};
        replicas.sum(sums);
        const auto means = (sums.front() / v.count).to(torch::kFloat);
        const auto meanDy = means.narrow(0, 0, c), meanDyXmu = means.narrow(0, c, c);
        const auto invstd = torch::rsqrt(v.var + v.eps);
        const auto w = v.weight.to(torch::kFloat);
        auto gradX = affine(v.x, -w * invstd * invstd * meanDyXmu, -w * invstd * meanDy, v.mean, v.var, v.eps);
        const auto k = perChannel(w * invstd).to(dy.scalar_type());
        // LibTorch 1.13 has no vectorised bf16 addcmul_ on the CPU (5x slower than this pair).
        return dy.scalar_type() == torch::kFloat ? gradX.addcmul_(dy, k) : gradX.add_(dy * k);
    }
};

}  // namespace

SyncBatchNormScope::SyncBatchNormScope(Replicas* replicas) : previous_(tCurrentReplicas) { tCurrentReplicas = replicas; }

SyncBatchNormScope::~SyncBatchNormScope() { tCurrentReplicas = previous_; }

Replicas* syncBatchNormReplicas() { return tCurrentReplicas; }

torch::Tensor syncBatchNorm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias, torch::Tensor& runningMean,
                            torch::Tensor& runningVar, torch::Tensor& numBatchesTracked, double eps, double momentum, Replicas& replicas)
{
    TORCH_CHECK(x.dim() == 4, "sync batch norm: expected an N,C,H,W input, got ", x.dim(), " dimensions");
    TORCH_CHECK(weight.defined() && bias.defined(), "sync batch norm: needs an affine batch norm (weight and bias)");
    return SyncBatchNormFunction::apply(x, weight, bias, runningMean, runningVar, numBatchesTracked, eps, momentum, &replicas);
}

}  // namespace carilab::nn
