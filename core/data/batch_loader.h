#pragma once
// Background threads that turn dataset images into training batches ahead of the step.
#include "data/dataset_index.h"
#include "data/identity_sampler.h"
#include "data/image_cache.h"
#include "data/image_pipeline.h"

#include <torch/types.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

namespace carilab::data {

struct Batch {
    std::int64_t step = 0;
    torch::Tensor images;  // [N, 3, size, size] float32, standardised
    torch::Tensor labels;  // [N] int64 identity index
    torch::Tensor isCaricature;  // [N] bool
    std::vector<int> indices;  // image indices into the DatasetIndex
};

struct BatchLoaderOptions {
    int batchSize = 64;
    Sampler sampler = Sampler::Uniform;
    int identitiesPerBatch = 8;  // P, for Sampler::Identity (see identity_sampler.h)
    int workers = 1;  // loader threads
    int prefetch = 4;  // batches built ahead of the consumer
    std::uint64_t seed = 1;
    PipelineOptions pipeline;
    // Data-parallel ranks: batchSize is the global batch, and this loader builds only its
    // shard's slots, [shard * n / shards, (shard + 1) * n / shards); n divisible by shards.
    // Slot seeds stay global, so the ranks' shards together are the one-process batch.
    int shard = 0, shards = 1;
};

// Batch k is a pure function of (seed, k): with the uniform sampler, epoch e = k / batchesPerEpoch
// draws a fresh permutation of the subset (uniformly from one flat list, as the official code
// does, with no photo/caricature balancing); the identity sampler picks P identities x K images
// (identity_sampler.h). Augmentation is seeded by (seed, k, slot). A run resumed at step k
// therefore sees exactly the batches it would have seen. An epoch is subset / batch steps either way.
class BatchLoader {
public:
    BatchLoader(std::shared_ptr<const DatasetIndex> index, std::vector<int> subset, std::shared_ptr<ImageCache> cache, BatchLoaderOptions options,
                std::int64_t firstStep = 0);
    ~BatchLoader();
    BatchLoader(const BatchLoader&) = delete;
    BatchLoader& operator=(const BatchLoader&) = delete;

    // The next batch in step order; blocks until it is ready. Throws std::runtime_error if
    // every image of the subset failed to decode.
    Batch next();

    std::int64_t batchesPerEpoch() const { return batchesPerEpoch_; }
    double waitSeconds() const { return waitSeconds_; }  // total time next() blocked
    // Files that could not be decoded, with reasons (they were replaced by other images).
    std::vector<SkippedFile> failures() const;

    // Builds batch k synchronously on the calling thread (used by the workers and by tests).
    Batch build(std::int64_t step);

private:
    void work();
    std::vector<int> epochOrder(std::int64_t epoch) const;
    cv::Mat loadSample(int imageIndex, std::mt19937_64& rng);

    std::shared_ptr<const DatasetIndex> index_;
    std::vector<int> subset_;
    std::shared_ptr<ImageCache> cache_;
    BatchLoaderOptions options_;
    std::int64_t batchesPerEpoch_ = 1;
    std::unique_ptr<IdentitySampler> identitySampler_;  // set for Sampler::Identity

    mutable std::mutex mutex_;
    std::condition_variable ready_, space_;
    std::map<std::int64_t, Batch> done_;
    std::int64_t nextToBuild_ = 0, nextToServe_ = 0;
    std::map<std::string, std::string> failures_;
    std::set<int> bad_;
    std::string fatal_;
    bool stopping_ = false;
    double waitSeconds_ = 0.0;
    std::vector<std::thread> threads_;
};

}  // namespace carilab::data
