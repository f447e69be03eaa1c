#pragma once
// The processes that train one model together (data-parallel training), as the layers above the
// network see them: collective operations on tensors, nothing about how the processes talk.
// The c10d implementation (Gloo on CPU, NCCL on CUDA) is dist/process_group_replicas.h; a
// single process is simply no Replicas at all (the callers test for nullptr).
#include <torch/torch.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace carilab::nn {

// A sum still under way; wait() finishes it (and throws as Replicas::sum would).
class PendingSum {
public:
    virtual ~PendingSum() = default;
    virtual void wait() = 0;
};

class Replicas {
public:
    virtual ~Replicas() = default;
    virtual int rank() const = 0;
    virtual int size() const = 0;
    // The rank's index on its machine (its GPU on CUDA) and how the ranks talk, for run records.
    virtual int localRank() const { return rank(); }
    virtual std::string backendName() const { return "local"; }

    // Element-wise sum over every rank, in place; afterwards all ranks hold the same bits.
    virtual void sum(std::vector<torch::Tensor>& tensors) = 0;
    // Every rank's tensor (equal shapes on all ranks) concatenated along dim 0, in rank order.
    virtual torch::Tensor gather(const torch::Tensor& tensor) = 0;
    // root's values into every rank's tensors, in place.
    virtual void broadcast(std::vector<torch::Tensor>& tensors, int root) = 0;
    // Waits for every rank, for up to `timeout` (longer than the collectives' own timeout: the
    // others wait here while rank 0 evaluates or writes a checkpoint).
    virtual void barrier(std::chrono::milliseconds timeout) = 0;

    // The mean over ranks, in place.
    void average(std::vector<torch::Tensor>& tensors);
    torch::Tensor averaged(const torch::Tensor& tensor);
    // True when `value` is true on every rank.
    bool everywhere(bool value);
    // Gradient buckets (nn/gradient_reducer.h). With overlapsGradients(), startGradientSum
    // starts the in-place sum of a flat tensor and returns at once, on a channel that only
    // gradient buckets use: it may run during a backward pass that has collectives of its own
    // (sync-BN's). Ranks start them in the same order. Otherwise it sums before returning and
    // the reducer calls it only after the backward pass.
    virtual bool overlapsGradients() const { return false; }
    virtual std::unique_ptr<PendingSum> startGradientSum(torch::Tensor flat);
    // Where a gradient bucket lives for parameters on `d` (host memory for Gloo).
    virtual torch::Device gradientDevice(torch::Device d) const { return d; }

    // Averages the gradients of `params` that have one (a parameter without a gradient on one
    // rank gets zeros there, so every rank takes part in the same collective).
    void averageGradients(const std::vector<torch::Tensor>& params);
};

}  // namespace carilab::nn
