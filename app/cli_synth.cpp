#include "cli_args.h"
#include "cli_commands.h"

#include "data/carisynth.h"

#include <cstdio>
#include <iostream>

namespace carilab::cli {

int runSynth(const Argv& argv)
{
    data::CariSynthOptions d;
    Args a("synth", "Generate CariSynth, a procedural caricature/photo face dataset, deterministic from its seed.");
    a.option("out", "DIR", "output folder (replaced if it holds a CariSynth set; refused if it holds anything else)")
        .option("identities", "N", "number of identities", std::to_string(d.identities))
        .option("photos", "N", "photos per identity", std::to_string(d.photosPerIdentity))
        .option("caricatures", "N", "caricatures per identity", std::to_string(d.caricaturesPerIdentity))
        .option("size", "PX", "image side in pixels", std::to_string(d.size))
        .option("seed", "S", "random seed", std::to_string(d.seed));
    if (!a.parse(argv)) return 0;
    data::CariSynthOptions o;
    o.identities = a.getInt("identities");
    o.photosPerIdentity = a.getInt("photos");
    o.caricaturesPerIdentity = a.getInt("caricatures");
    o.size = a.getInt("size");
    o.seed = static_cast<std::uint64_t>(a.getLong("seed"));
    const auto r = data::generateCariSynth(a.get("out"), o);
    std::printf("CariSynth: %d identities, %d photos, %d caricatures (%dx%d) in %.2f s -> %s\n", r.identities, r.photos, r.caricatures, o.size,
                o.size, r.seconds, r.root.c_str());
    return 0;
}

}  // namespace carilab::cli
