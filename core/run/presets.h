#pragma once
// Training presets: named partial configs (the keys of config.json they fix) shared by the GUI's
// Train view and `carilab-cli train --preset`. They are the files in resources/presets, each a
// valid `train --config` file; index.json gives their ids, names and descriptions.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace carilab::run {

struct Preset {
    std::string id;  // the file name without .json: what --preset takes
    std::string name;  // what the GUI shows
    std::string description;
    bool demoDataset = false;  // trains on the built-in CariSynth set unless a dataset is given
    nlohmann::json fields;  // the config keys it sets
};

// In index.json's order. Throws std::logic_error when the compiled-in files disagree with the
// index (a build problem, caught by the tests).
const std::vector<Preset>& builtinPresets();
// By id or display name; throws std::invalid_argument listing the ids when there is none.
const Preset& findPreset(const std::string& idOrName);

}  // namespace carilab::run
