#pragma once
// Reproducible train/test splits of a dataset index.
#include "data/dataset_index.h"

#include <cstdint>

namespace carilab::data {

struct Split {
    std::vector<int> train;  // indices into DatasetIndex::images
    std::vector<int> test;
    // Held out for model selection (training's held-out evaluation, the best checkpoint) when
    // the protocol has a list of its own for it (CaVI's validation.txt); empty: the held-out
    // evaluation uses `test`.
    std::vector<int> validation;
};

// Image-level: every identity appears in both parts (closed-set identification, as the
// paper's CaVI protocol). testFraction of each identity's images per modality go to test,
// at least one when the identity has two or more images of that modality.
Split splitByImage(const DatasetIndex& index, double testFraction, std::uint64_t seed);

// Identity-level: testFraction of identities go entirely to test (open-set verification).
Split splitByIdentity(const DatasetIndex& index, double testFraction, std::uint64_t seed);

}  // namespace carilab::data
