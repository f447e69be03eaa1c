#include "cli_demo_dataset.h"

#include "data/carisynth.h"

#include <cstdio>

namespace carilab::cli {

std::string ensureDemoDataset(const std::string& dir)
{
    const data::CariSynthOptions opts;
    if (!data::isCariSynthSet(dir, opts)) {
        const auto r = data::generateCariSynth(dir, opts);
        std::printf("generated the CariSynth demo set in %s (%.2f s)\n", dir.c_str(), r.seconds);
    }
    return dir;
}

}  // namespace carilab::cli
