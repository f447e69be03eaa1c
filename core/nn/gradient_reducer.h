#pragma once
// Averages a network's gradients over the ranks of a data-parallel job while its backward pass
// is still running, as PyTorch DDP's Reducer does (whose headers Debian's LibTorch lacks): each
// parameter's gradient is copied into a flat bucket as soon as autograd has it, and a bucket's
// all-reduce starts once all its gradients are in, in bucket order on every rank (so the ranks
// issue the same collectives in the same order even when their graphs differ). The first bucket
// is small, so the all-reduce starts early; later ones hold up to 25 MB, DDP's defaults.
// A parameter that got no gradient on a rank counts as zeros there.
#include "nn/replicas.h"

#include <torch/torch.h>

#include <memory>
#include <mutex>
#include <vector>

namespace carilab::nn {

struct GradientBucketSizes {
    std::int64_t firstBytes = 1 << 20;
    std::int64_t bytes = 25 << 20;  // PyTorch DDP's bucket_cap_mb
};

// `tensors` laid end to end in buckets, in their order: one dtype and device per bucket, the
// first bucket up to sizes.firstBytes and the others up to sizes.bytes (a larger tensor is a
// bucket of its own). Each bucket's tensor indices, buckets in the order they were opened.
std::vector<std::vector<size_t>> planBuckets(const std::vector<torch::Tensor>& tensors, GradientBucketSizes sizes);

class GradientReducer {
public:
    // `params`: those that require a gradient are averaged; backward order is assumed to be
    // roughly their reverse (the last layers' gradients come first).
    GradientReducer(const std::vector<torch::Tensor>& params, Replicas& replicas, GradientBucketSizes sizes = {});
    ~GradientReducer();
    GradientReducer(const GradientReducer&) = delete;
    GradientReducer& operator=(const GradientReducer&) = delete;

    // Call right before the backward pass whose gradients are to be averaged, with the
    // gradients cleared (none or zeros); gradients that other backward passes produce
    // (strategies, inspection) pass untouched.
    void arm();
    // Call after it: starts what is left, waits for every bucket, and leaves each parameter's
    // .grad holding the mean over ranks.
    void finish();

    int buckets() const;
    // Buckets whose all-reduce started during the last backward pass (not in finish()).
    int startedDuringBackward() const { return startedEarly_; }

private:
    struct Bucket;
    void onGradient(size_t param, const torch::Tensor& grad);
    void startReady();

    Replicas& replicas_;
    std::vector<torch::Tensor> params_;
    std::vector<size_t> bucketOf_;  // per parameter
    std::vector<std::int64_t> offsetOf_;  // per parameter, in its bucket
    std::vector<char> arrived_;  // per parameter, this backward
    std::vector<Bucket> buckets_;
    std::vector<unsigned> hooks_;
    std::mutex mutex_;  // CUDA's backward runs hooks on the device's autograd thread
    bool armed_ = false;
    size_t next_ = 0;  // the next bucket to start; they start in order
    int startedEarly_ = 0;
};

}  // namespace carilab::nn
