#include "data/batch_loader.h"

#include "io/thread_priority.h"

#include "data/image_decode.h"
#include "data/seed_mix.h"

#include <torch/torch.h>

#include <chrono>
#include <cstring>
#include <stdexcept>

namespace carilab::data {

BatchLoader::BatchLoader(std::shared_ptr<const DatasetIndex> index, std::vector<int> subset, std::shared_ptr<ImageCache> cache,
                         BatchLoaderOptions options, std::int64_t firstStep)
    : index_(std::move(index)), subset_(std::move(subset)), cache_(std::move(cache)), options_(options), nextToBuild_(firstStep),
      nextToServe_(firstStep)
{
    if (subset_.empty()) throw std::runtime_error("no training images: the training split is empty");
    if (options_.batchSize < 1) throw std::invalid_argument("batch size must be at least 1");
    if (options_.shards < 1 || options_.shard < 0 || options_.shard >= options_.shards || options_.batchSize % options_.shards != 0)
        throw std::invalid_argument("batch " + std::to_string(options_.batchSize) + " cannot be split evenly across " + std::to_string(options_.shards) +
                                    " ranks; give a batch that is a multiple of the number of processes");
    batchesPerEpoch_ = std::max<std::int64_t>(1, static_cast<std::int64_t>(subset_.size()) / options_.batchSize);
    if (options_.sampler == Sampler::Identity)
        identitySampler_ = std::make_unique<IdentitySampler>(*index_, subset_, options_.batchSize, options_.identitiesPerBatch, options_.seed);
    for (int i = 0; i < std::max(1, options_.workers); ++i)
        threads_.emplace_back([this] {
            io::deprioritizeThisThread();  // decode in LibTorch's gaps, not in its parallel ops
            work();
        });
}

BatchLoader::~BatchLoader()
{
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    space_.notify_all();
    ready_.notify_all();
    for (auto& t : threads_) t.join();
}

std::vector<int> BatchLoader::epochOrder(std::int64_t epoch) const
{
    std::vector<int> order = subset_;
    std::mt19937_64 rng(seedMix(options_.seed, 0xE90C0000ULL + static_cast<std::uint64_t>(epoch)));
    for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng() % i]);
    return order;
}

cv::Mat BatchLoader::loadSample(int imageIndex, std::mt19937_64& rng)
{
    const ImageRecord& r = index_->images[static_cast<size_t>(imageIndex)];
    double scale = 1.0;
    cv::Mat img = cache_->get(index_->absolutePath(r), &scale);
    return preprocess(img, scaled(r.landmarks, scale), options_.pipeline, &rng, scaled(cropBoxFor(r, options_.pipeline), scale));
}

Batch BatchLoader::build(std::int64_t step)
{
    const std::int64_t epoch = step / batchesPerEpoch_;
    const std::int64_t inEpoch = step % batchesPerEpoch_;
    const std::vector<int> order = epochOrder(epoch);
    const std::vector<int> planned = identitySampler_ ? identitySampler_->batch(step) : std::vector<int>{};
    const int n = options_.batchSize;
    const int size = options_.pipeline.size;
    const int firstSlot = options_.shard * (n / options_.shards), local = n / options_.shards;

    Batch b;
    b.step = step;
    b.images = torch::empty({local, size, size, 3}, torch::kFloat32);
    b.labels = torch::empty({local}, torch::kInt64);
    b.isCaricature = torch::empty({local}, torch::kBool);
    auto labels = b.labels.accessor<std::int64_t, 1>();
    auto cari = b.isCaricature.accessor<bool, 1>();
    float* dst = b.images.data_ptr<float>();
    const size_t sampleFloats = static_cast<size_t>(size) * size * 3;

    for (int slot = firstSlot; slot < firstSlot + local; ++slot) {
        // When the subset is smaller than a batch the order wraps around (with repeats).
        std::size_t pos = static_cast<std::size_t>(inEpoch * n + slot) % order.size();
        std::mt19937_64 rng(seedMix(options_.seed, seedMix(static_cast<std::uint64_t>(step), static_cast<std::uint64_t>(slot))));
        cv::Mat sample;
        int chosen = -1;
        // The sampler's image first (identity sampler), then the epoch's flat order: a file that
        // fails to decode is replaced by the next image there.
        const std::size_t first = planned.empty() ? 0 : 1;
        for (std::size_t attempt = 0; attempt < order.size() + first; ++attempt) {
            const int candidate = attempt < first ? planned[static_cast<size_t>(slot)] : order[(pos + attempt - first) % order.size()];
            {
                std::lock_guard<std::mutex> lock(mutex_);
                if (bad_.count(candidate)) continue;
            }
            try {
                sample = loadSample(candidate, rng);
                chosen = candidate;
                break;
            } catch (const std::exception& e) {
                // A file that fails to decode is replaced by the next image, and reported once.
                std::lock_guard<std::mutex> lock(mutex_);
                bad_.insert(candidate);
                failures_[index_->images[static_cast<size_t>(candidate)].path] = e.what();
            }
        }
        if (chosen < 0) throw std::runtime_error("every training image failed to decode; see the skipped-files list");
        const int row = slot - firstSlot;
        std::memcpy(dst + row * sampleFloats, sample.ptr<float>(), sampleFloats * sizeof(float));
        const ImageRecord& r = index_->images[static_cast<size_t>(chosen)];
        labels[row] = r.identity;
        cari[row] = r.modality == Modality::Caricature;
        b.indices.push_back(chosen);
    }
    // NCHW shape over NHWC memory, i.e. channels-last strides: the network computes in that
    // layout, so no copy here or there (nn::MultiTaskOptions::channelsLast).
    b.images = b.images.permute({0, 3, 1, 2});
    return b;
}

void BatchLoader::work()
{
    for (;;) {
        std::int64_t step;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            space_.wait(lock, [&] { return stopping_ || nextToBuild_ - nextToServe_ < options_.prefetch; });
            if (stopping_) return;
            step = nextToBuild_++;
        }
        Batch b;
        std::string error;
        try {
            b = build(step);
        } catch (const std::exception& e) {
            error = e.what();
        }
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (!error.empty())
                fatal_ = error;
            else
                done_.emplace(step, std::move(b));
        }
        ready_.notify_all();
    }
}

Batch BatchLoader::next()
{
    const auto t0 = std::chrono::steady_clock::now();
    std::unique_lock<std::mutex> lock(mutex_);
    ready_.wait(lock, [&] { return !fatal_.empty() || done_.count(nextToServe_); });
    if (!fatal_.empty()) throw std::runtime_error(fatal_);
    Batch b = std::move(done_.at(nextToServe_));
    done_.erase(nextToServe_);
    ++nextToServe_;
    waitSeconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    lock.unlock();
    space_.notify_all();
    return b;
}

std::vector<SkippedFile> BatchLoader::failures() const
{
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<SkippedFile> out;
    for (const auto& [p, why] : failures_) out.push_back({p, why});
    return out;
}

}  // namespace carilab::data
