#include "data/identity_sampler.h"

#include "data/seed_mix.h"

#include <algorithm>
#include <map>
#include <random>
#include <stdexcept>

namespace carilab::data {

namespace {

constexpr std::uint64_t kCycleKey = 0x1D0C0000ULL, kStreamKey = 0x57AE0000ULL, kRandomKey = 0x4A4D0000ULL;

void shuffleWith(std::vector<int>& v, std::uint64_t seed)
{
    std::mt19937_64 rng(seed);
    for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng() % i]);
}

// Entry n of the endless stream of seeded permutations of `list` (permutation n / size).
int streamEntry(const std::vector<int>& list, std::uint64_t key, std::int64_t n)
{
    const auto size = static_cast<std::int64_t>(list.size());
    std::vector<int> perm = list;
    shuffleWith(perm, seedMix(key, static_cast<std::uint64_t>(n / size)));
    return perm[static_cast<size_t>(n % size)];
}

}  // namespace

IdentitySampler::IdentitySampler(const DatasetIndex& index, const std::vector<int>& subset, int batchSize, int identitiesPerBatch, std::uint64_t seed)
    : subset_(subset), batchSize_(batchSize), seed_(seed)
{
    if (subset.empty()) throw std::runtime_error("no training images: the training split is empty");
    if (batchSize < 1 || identitiesPerBatch < 1) throw std::invalid_argument("identity sampler: batch and identities per batch must be >= 1");
    std::map<int, Pool> byIdentity;  // ordered, so pools_ does not depend on the subset's order
    for (int i : subset) {
        const ImageRecord& r = index.images[static_cast<size_t>(i)];
        auto& pool = byIdentity[r.identity];
        (r.modality == Modality::Caricature ? pool.caricatures : pool.photos).push_back(i);
    }
    for (auto& [id, pool] : byIdentity) {
        std::sort(pool.caricatures.begin(), pool.caricatures.end());
        std::sort(pool.photos.begin(), pool.photos.end());
        pools_.push_back(std::move(pool));
    }
    p_ = std::clamp(identitiesPerBatch, 1, std::min(batchSize, static_cast<int>(pools_.size())));
    k_ = batchSize / p_;
}

std::int64_t IdentitySampler::batchesPerCycle() const { return (static_cast<std::int64_t>(pools_.size()) + p_ - 1) / p_; }

std::vector<int> IdentitySampler::identityOrder(std::int64_t cycle) const
{
    std::vector<int> order(static_cast<size_t>(pools_.size()));
    for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
    shuffleWith(order, seedMix(seed_, kCycleKey + static_cast<std::uint64_t>(cycle)));
    return order;
}

// K images of one identity: its streams' next entries for this cycle, or random ones (top-up).
void IdentitySampler::appendVisit(std::vector<int>& out, int poolIndex, std::int64_t cycle, std::uint64_t* randomKey) const
{
    const Pool& pool = pools_[static_cast<size_t>(poolIndex)];
    const int kc = pool.photos.empty() ? k_ : pool.caricatures.empty() ? 0 : k_ / 2;
    std::mt19937_64 rng(randomKey ? *randomKey : 0);
    for (int modality = 0; modality < 2; ++modality) {
        const auto& list = modality == 0 ? pool.caricatures : pool.photos;
        const int count = modality == 0 ? kc : k_ - kc;
        const std::uint64_t key = seedMix(seed_, seedMix(kStreamKey + static_cast<std::uint64_t>(modality), static_cast<std::uint64_t>(poolIndex)));
        for (int i = 0; i < count; ++i) out.push_back(randomKey ? list[rng() % list.size()] : streamEntry(list, key, cycle * count + i));
    }
}

std::vector<int> IdentitySampler::batch(std::int64_t step) const
{
    const std::int64_t perCycle = batchesPerCycle();
    const std::int64_t cycle = step / perCycle;
    const std::int64_t first = (step % perCycle) * p_;
    const std::vector<int> order = identityOrder(cycle);
    std::vector<int> out;
    out.reserve(static_cast<size_t>(batchSize_));
    for (int j = 0; j < p_; ++j) {
        const std::int64_t pos = first + j;
        if (pos < static_cast<std::int64_t>(order.size())) {
            appendVisit(out, order[static_cast<size_t>(pos)], cycle, nullptr);
        } else {
            // Top-up of the cycle's last batch: identities from the cycle's start, which are not
            // among this batch's (there are at least P identities).
            std::uint64_t key = seedMix(seed_, seedMix(kRandomKey + static_cast<std::uint64_t>(step), static_cast<std::uint64_t>(j)));
            appendVisit(out, order[static_cast<size_t>(pos - static_cast<std::int64_t>(order.size()))], cycle, &key);
        }
    }
    std::mt19937_64 rng(seedMix(seed_, seedMix(kRandomKey + static_cast<std::uint64_t>(step), 0xFFFFULL)));
    while (static_cast<int>(out.size()) < batchSize_) out.push_back(subset_[rng() % subset_.size()]);
    return out;
}

}  // namespace carilab::data
