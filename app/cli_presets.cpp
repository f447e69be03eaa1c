#include "cli_args.h"
#include "cli_commands.h"

#include "run/presets.h"

#include <iostream>

namespace carilab::cli {

int runPresets(const Argv& argv)
{
    Args a("presets", "The training presets (the GUI's Train view offers the same): their ids for 'train --preset', and what each sets.");
    a.option("show", "ID", "print the config keys one preset sets (a file 'train --config' takes)");
    if (!a.parse(argv)) return 0;
    if (a.has("show")) {
        const run::Preset* found = nullptr;
        try {
            found = &run::findPreset(a.get("show"));
        } catch (const std::invalid_argument& e) {
            throw UsageError(std::string("--show: ") + e.what());
        }
        const run::Preset& p = *found;
        std::cout << p.fields.dump(2) << "\n";
        return 0;
    }
    for (const auto& p : run::builtinPresets()) {
        std::cout << p.id << "  (" << p.name << ")\n    " << p.description << "\n";
        if (p.demoDataset) std::cout << "    without --dataset: the built-in CariSynth demo set\n";
    }
    return 0;
}

}  // namespace carilab::cli
