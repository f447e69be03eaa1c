#include "run/presets.h"

#include "run/preset_sources.h"

#include <stdexcept>

namespace carilab::run {

namespace {

nlohmann::json parseSource(const std::string& file)
{
    for (const auto& s : presetSources()) {
        if (file != s.file) continue;
        const auto j = nlohmann::json::parse(s.text, nullptr, false);
        if (j.is_discarded()) throw std::logic_error("built-in preset " + file + " is not valid JSON");
        return j;
    }
    throw std::logic_error("built-in preset " + file + " is named in index.json but not compiled in");
}

std::vector<Preset> loadPresets()
{
    const nlohmann::json index = parseSource("index.json");
    if (!index.is_array()) throw std::logic_error("built-in presets: index.json is not a list");
    std::vector<Preset> presets;
    for (const auto& e : index) {
        Preset p;
        p.id = e.at("id").get<std::string>();
        p.name = e.at("name").get<std::string>();
        p.description = e.value("description", std::string());
        p.demoDataset = e.value("demo_dataset", false);
        p.fields = parseSource(p.id + ".json");
        if (!p.fields.is_object()) throw std::logic_error("built-in preset " + p.id + ".json is not a JSON object");
        presets.push_back(std::move(p));
    }
    return presets;
}

}  // namespace

const std::vector<Preset>& builtinPresets()
{
    static const std::vector<Preset> presets = loadPresets();
    return presets;
}

const Preset& findPreset(const std::string& idOrName)
{
    std::string ids;
    for (const auto& p : builtinPresets()) {
        if (p.id == idOrName || p.name == idOrName) return p;
        ids += (ids.empty() ? "" : ", ") + p.id;
    }
    throw std::invalid_argument("no preset '" + idOrName + "'; the presets are " + ids);
}

}  // namespace carilab::run
