#pragma once
// The files of resources/presets as compiled in (cmake/EmbedPresets.cmake writes the source).
#include <vector>

namespace carilab::run {

struct PresetSource {
    const char* file;  // e.g. "cavi-finetune.json"
    const char* text;
};

const std::vector<PresetSource>& presetSources();

}  // namespace carilab::run
