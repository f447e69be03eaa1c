#include "cli_args.h"
#include "cli_commands.h"

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
    Args a("demo", "CariLab's main job on the built-in demo dataset: generate CariSynth (once), show what is in it, "
                   "and train the paper's dynamic multi-task network on it for a short while.");
    a.option("data", "DIR", "where the demo dataset lives", io::defaultDemoDatasetDir())
        .option("runs", "DIR", "where the demo run is written", io::defaultRunsDir())
        .option("steps", "N", "training steps of the demo run", "300")
        .option("strategy", "S", "weighting strategy of the demo run", "dynamic")
        .flag("no-train", "only generate and describe the dataset");
    if (!a.parse(argv)) return 0;
    const std::string dir = a.get("data");
    const data::CariSynthOptions opts;
    if (!data::isCariSynthSet(dir, opts)) {
        const auto r = data::generateCariSynth(dir, opts);
        std::printf("generated the CariSynth demo set in %.2f s\n", r.seconds);
    }
    std::cout << data::formatDatasetSummary(data::summarizeDataset(data::loadDataset(dir))) << "\n";
    if (a.flagSet("no-train")) return 0;

    char stamp[32];
    const std::time_t now = std::time(nullptr);
    std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", std::localtime(&now));
    const std::string runDir = (std::filesystem::path(a.get("runs")) / ("demo-" + a.get("strategy") + "-" + stamp)).string();
    return runTrain({"--dataset", dir, "--run-dir", runDir, "--strategy", a.get("strategy"), "--steps", a.get("steps"),
                     "--batch", "64", "--eval-every", "100"});
}

}  // namespace carilab::cli
