#pragma once
// Analytic FLOPs of whatever LibTorch ops a piece of code runs, from the shapes it really uses.
//
// The C++ frontend has no forward hooks, so the counter observes LibTorch's own op dispatch
// (RecordFunction) on the calling thread while `work` runs, and computes each counted op's cost
// from its input shapes. Convention (the usual one for CNNs, and that of bench/pytorch_reference.py):
//   - a multiply-add is 2 FLOPs; a bias adds 1 per output element;
//   - convolution: 2 * N * C_out * H_out * W_out * (C_in / groups) * kh * kw;
//   - linear / matrix products: 2 * M * K * N;
//   - batch norm: 2 per element (the scale and shift it costs in inference);
//   - activations, pooling, additions and losses are not counted (a few percent at most here).
// Only the outermost counted op is charged, so linear -> addmm or conv2d -> convolution ->
// mkldnn_convolution is counted once. A training step is counted as 3x the forward pass
// (backward costs about twice the forward: gradients for inputs and for weights).
#include <functional>

namespace carilab::perf {

struct FlopCount {
    double conv = 0.0;
    double linear = 0.0;
    double batchNorm = 0.0;
    long long convOps = 0, linearOps = 0, batchNormOps = 0;
    double total() const { return conv + linear + batchNorm; }
};

// Runs work() on this thread and returns the FLOPs of the ops it dispatched. Not reentrant.
FlopCount countFlops(const std::function<void()>& work);

}  // namespace carilab::perf
