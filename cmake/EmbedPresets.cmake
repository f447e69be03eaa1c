# cmake -DDIR=<resources/presets> -DOUT=<file.cpp> -P EmbedPresets.cmake
# Writes the preset files into a C++ source, so the CLI and the GUI read the very same files
# without looking for them on disk at run time.
file(GLOB files RELATIVE "${DIR}" "${DIR}/*.json")
list(SORT files)
set(body "")
foreach(f IN LISTS files)
  file(READ "${DIR}/${f}" text)
  string(APPEND body "        {\"${f}\", R\"carilab_preset(${text})carilab_preset\"},\n")
endforeach()
file(WRITE "${OUT}.tmp"
"// Generated from resources/presets by cmake/EmbedPresets.cmake; edit the JSON files instead.
#include \"run/preset_sources.h\"

namespace carilab::run {

const std::vector<PresetSource>& presetSources()
{
    static const std::vector<PresetSource> sources = {
${body}    };
    return sources;
}

}  // namespace carilab::run
")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
