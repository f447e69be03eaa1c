#pragma once
// Identity-balanced batches: P identities x K images each, half caricatures and half photos
// where the identity has both, so every batch holds same-identity caricature/photo pairs (the
// flat uniform list gives few of them with 200 identities).
//
// Batch k is a pure function of (seed, k). Identities come in cycles: cycle c is a seeded
// permutation of the identities cut into ceil(#identities / P) batches, the last one topped up
// with identities from the cycle's start. Each identity's caricatures (photos) are one endless
// stream of seeded permutations; its visit in cycle c takes the stream's entries
// [c x Kc, (c + 1) x Kc), so every image of the subset comes round within a few cycles.
// Top-up visits and the batch - P x K slots left over draw at random (seeded by (seed, k)).
#include "data/dataset_index.h"

#include <cstdint>
#include <vector>

namespace carilab::data {

// How a loader draws batches: Uniform, one flat shuffled list (the official code); Identity,
// the identity-balanced batches below.
enum class Sampler { Uniform, Identity };

class IdentitySampler {
public:
    // identitiesPerBatch: P, clamped to the identities present in the subset (>= 1).
    IdentitySampler(const DatasetIndex& index, const std::vector<int>& subset, int batchSize, int identitiesPerBatch, std::uint64_t seed);

    // The batchSize image indices (into the DatasetIndex) of batch `step`, identity by identity.
    std::vector<int> batch(std::int64_t step) const;

    int identitiesPerBatch() const { return p_; }
    int imagesPerIdentity() const { return k_; }

private:
    struct Pool {
        std::vector<int> caricatures, photos;
    };
    std::int64_t batchesPerCycle() const;
    std::vector<int> identityOrder(std::int64_t cycle) const;
    void appendVisit(std::vector<int>& out, int pool, std::int64_t cycle, std::uint64_t* randomKey) const;

    std::vector<Pool> pools_;  // identities with at least one image in the subset
    std::vector<int> subset_;
    int batchSize_ = 0, p_ = 1, k_ = 1;
    std::uint64_t seed_ = 1;
};

}  // namespace carilab::data
