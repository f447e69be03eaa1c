#pragma once
// CaVI's pair lists (train-test-files/testing_1.txt, validation.txt):
//   <id> Caricature/<Name>\<file>.jpg <id> Real/<Name>\<file>.jpg <0|1>
// and the training split the official code uses: every image not in the test pairs.
#include "data/protocol_types.h"

#include <cstdint>

namespace carilab::data {

// The list file for a name ("testing_1", "validation", a file name, or a path). Throws with
// the folders searched when it is not found.
std::string findCaviPairList(const DatasetIndex& index, const std::string& nameOrPath);

// Reads the pairs. Lines naming a missing image, an identity that is not the image's folder,
// a caricature/photo in the wrong place, a path escaping the dataset ('..'), a label other than
// 0/1, or the wrong field count are skipped into issues. The list is in sorted order (all
// positives first), so, as the official evaluate_cavi.py does, the pairs are shuffled (with
// `seed`, reproducibly) before being cut into `folds` contiguous folds.
PairProtocol readCaviPairs(const DatasetIndex& index, const std::string& file, int folds = 10, std::uint64_t seed = 1);

// The same pairs in the file's order, unshuffled (the official split down-samples them by
// position); skipped lines go to `issues` when given.
std::vector<VerificationPair> readCaviPairsInFileOrder(const DatasetIndex& index, const std::string& file,
                                                       std::vector<ProtocolIssue>* issues = nullptr);

}  // namespace carilab::data
