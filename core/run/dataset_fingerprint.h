#pragma once
// What a run was trained on, so that a resume or an evaluation of the run's own dataset notices
// when that dataset changed (an identity removed, images added, another folder behind the same
// relative path). Kept in the run folder as dataset.json.
#include "data/dataset_index.h"
#include "run/run_directory.h"

#include <nlohmann/json.hpp>

#include <string>

namespace carilab::run {

// {"root", "identities": [names], "images": N, "files_sha256": hash of the sorted image paths}
nlohmann::json datasetFingerprint(const data::DatasetIndex& index);

// What differs between two fingerprints, e.g. "identities 6 -> 5 (removed: Bob)"; "" when none.
std::string describeDatasetChange(const nlohmann::json& was, const nlohmann::json& now);

// Records the fingerprint in a run that has none yet (new runs, and runs from before
// fingerprints); otherwise compares and throws std::runtime_error saying what changed.
void recordOrCheckRunDataset(const RunDirectory& rd, const data::DatasetIndex& index);
// Compares only (nothing is written); a run without a fingerprint passes.
void checkRunDataset(const RunDirectory& rd, const data::DatasetIndex& index);

}  // namespace carilab::run
