#pragma once
// What is in a dataset, as numbers a person (or the GUI's statistics panel) reads.
#include "data/dataset_index.h"

#include <nlohmann/json.hpp>

namespace carilab::data {

// {"root","format","identities","photos","caricatures","per_identity":{"photo":{"min","max","mean"},
//  "caricature":{...}},"identities_with_both","skipped":[{"path","reason"}],"warnings":[...]}
nlohmann::json summarizeDataset(const DatasetIndex& index);

// The same as aligned human-readable text.
std::string formatDatasetSummary(const nlohmann::json& summary, std::size_t maxListed = 20);

}  // namespace carilab::data
