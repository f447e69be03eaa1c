#pragma once
// What a dataset protocol resolves to: verification pairs in folds, identification
// gallery/probe sets, with every line that could not be used reported.
#include "data/dataset_index.h"
#include "data/protocol_files.h"

#include <string>
#include <unordered_map>
#include <vector>

namespace carilab::data {

struct VerificationPair {
    int caricature = -1;  // index into DatasetIndex::images
    int photo = -1;
    bool same = false;
};

// Verification: folds of test pairs. Fold k's accuracy threshold is chosen on `tuning` when
// it is not empty (View 1: DevTrain), else on the union of the other folds (10-fold as LFW).
struct PairProtocol {
    std::string name;  // e.g. "cavi testing_1.txt"
    std::vector<std::vector<VerificationPair>> folds;
    std::vector<VerificationPair> tuning;
    std::vector<ProtocolIssue> issues;  // every skipped line or item
    std::size_t pairCount() const;
};

struct IdentificationFold {
    std::string name;  // "dev", "1".."10"
    std::vector<int> gallery;
    std::vector<int> probe;
};

struct IdentificationProtocol {
    std::string name;  // e.g. "webcari C2P view 2"
    std::vector<IdentificationFold> folds;
    std::vector<ProtocolIssue> issues;
};

// Finds images by their root-relative path: exactly, else case-insensitively (list files
// written on Windows do not keep the case of the folders on disk).
class ImageLookup {
public:
    explicit ImageLookup(const DatasetIndex& index);
    int find(const std::string& relativePath) const;  // -1 when absent
    // WebCaricature names images by subject folder and file stem ("Name", "C00012").
    int findStem(const std::string& subject, const std::string& stem) const;

private:
    std::unordered_map<std::string, int> exact_, folded_, stems_;
};

// Images used by a protocol, tuning pairs included (deduplicated, sorted).
std::vector<int> imagesOf(const PairProtocol& p);
std::vector<int> imagesOf(const IdentificationProtocol& p);

}  // namespace carilab::data
