#include "nn/naive_weighting.h"

#include <stdexcept>

namespace carilab::nn {

NaiveWeighting::NaiveWeighting(const StrategyOptions& options, std::int64_t featureDim, const OptimizerSpec& optimizer)
    : options_(options),
      // The official naive code feeds psi the L2-normalised Z (doc 1.3); its temperature (0.5
      // there) comes from the options like the dynamic one's.
      module_(featureDim, DynamicWeightModuleOptions{/*normalizeInput=*/true, options.normalizeLogits, options.temperature})
{
    own(module_.ptr(), optimizer, options.lrMultiplier);
}

StrategyOutput NaiveWeighting::forward(const StrategyInputs& in)
{
    const torch::Tensor losses = checkedTaskLosses(in.losses);
    // Z detached: psi's path never reaches theta, so theta's gradient is sum_i w_i dL_i with w
    // constant, exactly as for "dynamic" with detached weights.
    const torch::Tensor perSample = module_->sampleWeights(in.sharedFeatures.detach());
    const torch::Tensor w = perSample.mean(0);

    StrategyOutput out;
    out.weights = w.detach();
    out.sampleWeights = perSample.detach();
    // Paper Eq. 1, left attached on both sides: theta learns from L_i, and psi learns from the
    // same total loss (official naive: one optimiser on L_full over all variables). Minimising
    // it over w pushes the weight of the largest loss down.
    out.networkLoss = (w * losses).sum();
    if (in.replicas) {
        // The global w_g . L_g's gradients from shards: theta's is w_g . dL (each rank's L is its
        // share), psi's is dw . L_g; the value's mean over ranks is still w_g . L_g.
        const torch::Tensor wg = acrossRanks(in, w), lg = taskLossValues(in);
        out.weights = wg;
        out.networkLoss = (wg * losses).sum() + (w * lg).sum() - (wg * lg).sum();
    }
    out.strategyLoss = out.networkLoss.detach();  // what psi minimises, for logging
    return out;
}

void NaiveWeighting::update(const StrategyOutput& /*out*/, const StrategyInputs& in)
{
    // psi's gradient is what the trainer's networkLoss.backward() left there (after zeroGrad()).
    averageAcrossRanks(in);
    module_->clipGradients(kPsiClipNorm);
    optimizer().step();
}

}  // namespace carilab::nn
