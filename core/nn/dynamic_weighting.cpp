#include "nn/dynamic_weighting.h"

#include <cmath>
#include <stdexcept>

namespace carilab::nn {

namespace {

constexpr double kPsiInitStd = 0.1;  // official: truncated_normal_initializer(stddev=0.1)
constexpr double kTruncation = 2.0;  // TF's truncated normal redraws beyond 2 std
constexpr double kL2NormalizeEps = 1e-10;  // official: tf.nn.l2_normalize(..., epsilon=1e-10)

// tf.nn.l2_normalize semantics: x / sqrt(max(sum x^2, eps)) -- eps bounds the squared norm,
// unlike torch's F::normalize, which bounds the norm itself.
torch::Tensor tfL2Normalize(const torch::Tensor& x) { return x * torch::rsqrt(x.pow(2).sum(1, /*keepdim=*/true).clamp_min(kL2NormalizeEps)); }

torch::Tensor checkedFeatures(const torch::Tensor& z, std::int64_t featureDim)
{
    if (!z.defined() || z.dim() < 2 || z.size(0) == 0) throw std::invalid_argument("dynamic weights: shared features Z must be [N, d_z] with N > 0");
    torch::Tensor flat = z.dim() == 2 ? z : z.flatten(1);
    if (flat.size(1) != featureDim)
        throw std::invalid_argument("dynamic weights: Z has " + std::to_string(flat.size(1)) + " features, the weight module expects " +
                                    std::to_string(featureDim));
    return flat;
}

}  // namespace

torch::Tensor checkedTaskLosses(const torch::Tensor& losses)
{
    if (!losses.defined() || losses.numel() != kNumTasks) throw std::invalid_argument("weighting strategy: expected 3 task losses");
    return losses.reshape({kNumTasks});
}

// ---------------------------------------------------------------------------------------------
DynamicWeightModuleImpl::DynamicWeightModuleImpl(std::int64_t featureDim, DynamicWeightModuleOptions options)
    : featureDim_(featureDim), options_(options)
{
    if (featureDim < 1) throw std::invalid_argument("dynamic weights: feature dimension must be positive");
    if (!(options.temperature > 0.0) || !std::isfinite(options.temperature))
        throw std::invalid_argument("dynamic weights: temperature must be a positive number");
    psi = register_module("psi", torch::nn::Linear(featureDim, kNumTasks));
    resetParameters();
}

void DynamicWeightModuleImpl::resetParameters()
{
    torch::NoGradGuard noGrad;
    torch::Tensor w = psi->weight;
    w.normal_(0.0, kPsiInitStd);
    // Redraw the tail, as TF's truncated_normal does; a handful of passes empties it.
    for (torch::Tensor out = w.abs() > kTruncation * kPsiInitStd; out.any().item<bool>(); out = w.abs() > kTruncation * kPsiInitStd) {
        w.masked_scatter_(out, torch::randn_like(w).mul_(kPsiInitStd).masked_select(out));
    }
    psi->bias.zero_();
}

torch::Tensor DynamicWeightModuleImpl::logits(const torch::Tensor& z)
{
    torch::Tensor x = checkedFeatures(z, featureDim_);
    if (options_.normalizeInput) x = tfL2Normalize(x);
    torch::Tensor a = psi->forward(x);
    // Per-sample L2 normalisation of the 3 logits bounds them to [-T, T]: with T = 1 a sample's
    // weights stay within about 0.13..0.63, so no task can take all the weight (doc 1.2).
    if (options_.normalizeLogits) a = tfL2Normalize(a) * options_.temperature;
    return a;
}

torch::Tensor DynamicWeightModuleImpl::sampleWeights(const torch::Tensor& z) { return torch::softmax(logits(z), /*dim=*/1); }

torch::Tensor DynamicWeightModuleImpl::forward(const torch::Tensor& z) { return sampleWeights(z).mean(0); }

void DynamicWeightModuleImpl::clipGradients(double maxNorm)
{
    std::vector<torch::Tensor> grads;
    for (const auto& p : parameters())
        if (p.grad().defined()) grads.push_back(p.grad());
    if (grads.empty()) return;
    torch::NoGradGuard noGrad;
    torch::Tensor sq = torch::zeros({}, grads.front().options());
    for (const auto& g : grads) sq = sq + g.pow(2).sum();
    // TF: t * clip_norm / max(global_norm, clip_norm), so gradients under the bound are untouched.
    torch::Tensor scale = maxNorm / torch::sqrt(sq).clamp_min(maxNorm);
    for (auto& g : grads) g.mul_(scale);
}

// ---------------------------------------------------------------------------------------------
DynamicWeighting::DynamicWeighting(const StrategyOptions& options, std::int64_t featureDim, const OptimizerSpec& optimizer)
    : options_(options), module_(featureDim, DynamicWeightModuleOptions{/*normalizeInput=*/false, options.normalizeLogits, options.temperature})
{
    if (!(options.sigma > 0.0) || !std::isfinite(options.sigma)) throw std::invalid_argument("dynamic weights: sigma must be a positive number");
    // psi gets its own optimiser of the network's kind (official: two optimisers of one type);
    // WebCaricature runs it at 10x the network lr.
    own(module_.ptr(), optimizer, options.lrMultiplier);
}

StrategyOutput DynamicWeighting::forward(const StrategyInputs& in)
{
    const torch::Tensor losses = checkedTaskLosses(in.losses);
    const torch::Tensor z = in.sharedFeatures;

    // psi's own path sees Z detached, so L4 can never send gradient into theta. The weights are
    // the batch mean of the per-sample softmax, kept for the modality bands (weight_bands.h).
    const torch::Tensor perSample = module_->sampleWeights(z.detach());
    const torch::Tensor wPsi = perSample.mean(0);
    const torch::Tensor w = acrossRanks(in, wPsi);  // the global batch's (wPsi for one process)

    StrategyOutput out;
    out.weights = w;
    out.sampleWeights = perSample.detach();
    // Paper Eq. 7 with the official sigma: L4 = sum_i w_i / (L_i + sigma). The L_i are
    // constants for psi (paper: "L_i is constant for the dynamic weight update loss"); with
    // several ranks, the global batch's, so the mean of the ranks' L4 is the global one.
    out.strategyLoss = (wPsi / (taskLossValues(in) + options_.sigma)).sum();

    if (options_.detachWeights) {
        // Paper Sec. IV (VII): theta trained by sum_i w_i L_i with w a constant.
        out.networkLoss = (w * losses).sum();
    } else {
        // Official code: no stop_gradient anywhere, so d(sum w_i L_i)/d theta also flows
        // through w_i(Z(theta)). That needs psi applied to the *attached* Z; this second
        // application also leaves gradient in psi, which update() discards before L4. (With
        // several ranks each uses its own shard's w here: the variant is not exactly global.)
        out.networkLoss = (module_->forward(z) * losses).sum();
    }
    return out;
}

void DynamicWeighting::update(const StrategyOutput& out, const StrategyInputs& in)
{
    if (!out.strategyLoss.defined()) throw std::logic_error("dynamic weights: update() needs this step's forward() output");
    // psi must be trained by L4 alone: drop what networkLoss.backward() left in psi (only when
    // w is not detached). L4's graph is separate from the network's (Z and L_i are detached),
    // so the trainer's networkLoss.backward() needs no retain_graph.
    module_->zero_grad();
    out.strategyLoss.backward();
    averageAcrossRanks(in);
    module_->clipGradients(kPsiClipNorm);
    optimizer().step();
}

}  // namespace carilab::nn
