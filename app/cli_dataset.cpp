#include "cli_args.h"
#include "cli_commands.h"

#include "data/dataset_registry.h"
#include "data/dataset_summary.h"

#include <iostream>

namespace carilab::cli {

int runDataset(const Argv& argv)
{
    if (argv.empty() || argv[0] == "--help") {
        std::cout << "usage: carilab-cli dataset info PATH [--format F] [--json]\n\n"
                     "Inspect a dataset: identities, images per modality, per-identity min/max, skipped files.\n";
        return argv.empty() ? 2 : 0;
    }
    if (argv[0] != "info") throw UsageError("unknown dataset subcommand '" + argv[0] + "' (expected: info)");
    Args a("dataset info", "Identities, images per modality, per-identity min/max, and skipped files with reasons.");
    std::string formats = "auto";
    for (const auto& n : data::datasetFormatNames()) formats += "|" + n;
    a.positional("PATH", "dataset root folder")
        .option("format", formats, "dataset layout", "auto")
        .flag("json", "print one JSON object instead of text");
    if (!a.parse(Argv(argv.begin() + 1, argv.end()))) return 0;
    const auto index = data::loadDataset(a.get("PATH"), a.get("format"));
    const auto summary = data::summarizeDataset(index);
    if (a.flagSet("json")) std::cout << summary.dump(2) << "\n";
    else std::cout << data::formatDatasetSummary(summary);
    return 0;
}

}  // namespace carilab::cli
