#pragma once
// Dynamic loss scaling for fp16 training (CUDA autocast), as torch.cuda.amp.GradScaler does it
// in Python (LibTorch 1.13's C++ API has none): fp16 gradients below ~6e-8 flush to zero, so
// the loss is multiplied by a large scale before backward, the gradients divided by it before
// the optimiser sees them, and a step whose gradients overflowed is skipped while the scale
// halves. After growthInterval steps without overflow the scale doubles. bf16 has fp32's
// exponent range and needs none of this.
#include <torch/torch.h>

#include <vector>

namespace carilab::nn {

struct LossScalerOptions {
    double initScale = 65536.0;  // 2^16, GradScaler's default
    double growthFactor = 2.0;
    double backoffFactor = 0.5;
    long long growthInterval = 2000;
};

class LossScaler {
public:
    explicit LossScaler(LossScalerOptions options = {});

    // loss x the current scale, for backward().
    torch::Tensor scale(const torch::Tensor& loss) const;
    // Divides every defined gradient of params by the scale. True when all are finite, i.e.
    // the optimiser may step; false: skip the step (the gradients are garbage).
    bool unscale(const std::vector<torch::Tensor>& params) const;
    // After each step: halve on an overflow, grow after growthInterval clean steps in a row.
    void update(bool finite);

    double value() const { return scale_; }
    long long skippedSteps() const { return skipped_; }

private:
    LossScalerOptions options_;
    double scale_;
    long long cleanSteps_ = 0;
    long long skipped_ = 0;
};

}  // namespace carilab::nn
