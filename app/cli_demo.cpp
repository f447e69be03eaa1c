#include "cli_args.h"
#include "cli_commands.h"
#include "cli_demo_dataset.h"

#include "data/carisynth.h"
#include "data/dataset_registry.h"
#include "data/dataset_summary.h"
#include "io/user_paths.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iostream>

namespace carilab::cli {

int runDemo(const Argv& argv)
{
    Args a("demo",
           "CariLab's main job on the built-in demo dataset: generate CariSynth (once), show what is in it, "
           "and train the paper's dynamic multi-task network on it for a short while.");
    a.option("data", "DIR", "where the demo dataset lives", io::defaultDemoDatasetDir())
        .option("runs", "DIR", "where the demo run is written", io::defaultRunsDir())
        .option("steps", "N", "training steps of the demo run (default: the Figure 3 demo preset's)")
        .option("strategy", "S", "weighting strategy of the demo run", "dynamic")
        .flag("no-train", "only generate and describe the dataset");
    if (!a.parse(argv)) return 0;
    const std::string dir = ensureDemoDataset(a.get("data"));
    std::cout << data::formatDatasetSummary(data::summarizeDataset(data::loadDataset(dir))) << "\n";
    if (a.flagSet("no-train")) return 0;

    char stamp[32];
    const std::time_t now = std::time(nullptr);
    std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", std::localtime(&now));
    const std::string runDir = (std::filesystem::path(a.get("runs")) / ("demo-" + a.get("strategy") + "-" + stamp)).string();
    // The GUI's "Figure 3 demo" preset, the same file (run/presets.h).
    Argv train = {"--preset", "figure3-demo", "--dataset", dir, "--run-dir", runDir, "--strategy", a.get("strategy")};
    if (a.has("steps")) train.insert(train.end(), {"--steps", a.get("steps")});
    return runTrain(train);
}

}  // namespace carilab::cli
