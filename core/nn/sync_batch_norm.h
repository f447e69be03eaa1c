#pragma once
// Synchronised batch norm (--sync-bn): in training, every rank of a data-parallel job normalises
// with the statistics of all ranks' batches together, as one process would on the whole batch
// (PyTorch's SyncBatchNorm). It matters when each rank's share of the batch is small: per-rank
// statistics of a few images are noisy, and the running statistics then describe no rank well.
#include "nn/replicas.h"

#include <torch/torch.h>

namespace carilab::nn {

// While alive, ConvBn layers in training mode on this thread synchronise their batch norms over
// `replicas` (nullptr: not at all). Thread-local, since every rank's forward runs on its own
// thread in the tests and the trainer's forward on its worker thread; nests, restoring the
// previous one on destruction.
class SyncBatchNormScope {
public:
    explicit SyncBatchNormScope(Replicas* replicas);
    ~SyncBatchNormScope();
    SyncBatchNormScope(const SyncBatchNormScope&) = delete;
    SyncBatchNormScope& operator=(const SyncBatchNormScope&) = delete;

private:
    Replicas* previous_;
};

// The Replicas of the innermost SyncBatchNormScope on this thread; nullptr outside any.
Replicas* syncBatchNormReplicas();

// Training-mode batch norm of an N,C,H,W `x` (any memory format, fp32 or bf16) with per-channel
// statistics over N,H,W of every rank's x: one replicas.sum in the forward, one in the backward
// (both collective: every rank must call this, in the same order). The statistics are computed
// in fp32 and reduced in fp64; the output has x's dtype. Updates the running mean and the running
// unbiased variance with `momentum` and adds 1 to numBatchesTracked. The gradients of weight and
// bias are this rank's own (DDP averages parameter gradients over ranks afterwards); x's is the
// gradient of the sum of all ranks' losses. `replicas` must outlive the backward.
torch::Tensor syncBatchNorm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias, torch::Tensor& runningMean,
                            torch::Tensor& runningVar, torch::Tensor& numBatchesTracked, double eps, double momentum, Replicas& replicas);

}  // namespace carilab::nn
