// carilab-cli: the headless twin of every GUI action.
#include "cli_args.h"
#include "cli_commands.h"

#include "io/crash_report.h"
#include "process_launcher.h"

#include "perf/machine_info.h"
#include "pretrained/pretrained_store.h"
#include "run/user_message.h"

#include <opencv2/core/version.hpp>
#include <torch/version.h>

#include <cstring>
#include <functional>
#include <iostream>
#include <map>

namespace {

struct Command {
    std::function<int(const carilab::cli::Argv&)> run;
    const char* summary;
};

const std::map<std::string, Command>& commands()
{
    using namespace carilab::cli;
    static const std::map<std::string, Command> c = {
        {"synth", {runSynth, "generate the CariSynth demo dataset"}},
        {"dataset", {runDataset, "inspect a dataset folder (dataset info PATH)"}},
        {"demo", {runDemo, "the main job on the built-in demo dataset"}},
        {"train", {runTrain, "train the multi-task network into a run directory"}},
        {"presets", {runPresets, "list the training presets (train --preset ID)"}},
        {"eval", {runEval, "evaluate a run by a dataset protocol (CaVI, WebCaricature)"}},
        {"match", {runMatch, "rank a gallery against a caricature or photo with a trained run"}},
        {"pretrained", {runPretrained, "fetch or list the pretrained face networks (face-api, MIT)"}},
        {"embed", {runEmbed, "the pretrained 128-d face descriptor of an image (--json: a JSON array)"}},
        {"bench", {runBench, "measure training/evaluation speed, FLOPs and the machine's fp32 peak"}},
        {"project", {runProject, "a dataset's embeddings as a 2-D map (PCA or t-SNE) with its trustworthiness: csv/png/pdf/svg"}},
        {"failures", {runFailures, "the worst false accepts/rejects of an evaluated run on a CaVI list, as an HTML page"}},
        {"roc", {runRoc, "verification metrics of an external score,label file"}},
#ifdef CARILAB_HAS_GUI
        {"export", {runExport, "render a run's Figure 3 (png/pdf/svg) or its curves (csv)"}},
#endif
    };
    return c;
}

void printHelp()
{
    std::cout << "usage: carilab-cli <command> [options]\n"
                 "       carilab-cli --help | --version\n\n"
                 "CariLab: caricature-photo face recognition with dynamic multi-task learning.\n\ncommands:\n";
    for (const auto& [name, cmd] : commands()) std::cout << "  " << name << std::string(12 - name.size(), ' ') << cmd.summary << "\n";
    std::cout << "\noptions:\n"
                 "  --help      show this help and exit\n"
                 "  --version   show the versions of CariLab and of the libraries it runs with, and whether the\n"
                 "              pretrained face networks are fetched\n"
                 "\nRun 'carilab-cli <command> --help' for a command's options.\n";
}

// The first line is the GNU one (program and version); the rest says what a bug report needs:
// the libraries this process runs with and whether the pretrained networks are there.
void printVersion()
{
    std::cout << "carilab-cli " << CARILAB_VERSION << "\n"
              << "LibTorch " << TORCH_VERSION << ", OpenCV " << CV_VERSION << "\n"
              << "BLAS: " << carilab::perf::describeMachine().blas << "\n";
    const auto status = carilab::pretrained::inspectPackage(carilab::pretrained::faceApiPackage());
    std::cout << "pretrained face networks: ";
    if (status.verified)
        std::cout << "fetched and verified, " << status.dir << "\n";
    else
        std::cout << (status.fetched ? "unusable, " + status.problem : std::string("not fetched")) << " (carilab-cli pretrained fetch)\n";
}

}  // namespace

int main(int argc, char** argv)
{
    carilab::app::launchWithTunedRuntime(argv);  // before any torch work; see the header
    // A crash (a fatal signal, an exception no one caught) leaves a report, not just a dead job.
    carilab::io::installCrashReporter(carilab::io::defaultCrashReportDir(), "carilab-cli", CARILAB_VERSION);
    if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "help")) {
        printHelp();
        return argc < 2 ? 2 : 0;
    }
    if (!std::strcmp(argv[1], "--version")) {
        printVersion();
        return 0;
    }
    const std::string name = argv[1];
    const auto it = commands().find(name);
    if (it == commands().end()) {
        std::cerr << "carilab-cli: unknown command '" << name << "' (see carilab-cli --help)\n";
        return 2;
    }
    try {
        return it->second.run(carilab::cli::Argv(argv + 2, argv + argc));
    } catch (const carilab::cli::UsageError& e) {
        std::cerr << "carilab-cli " << name << ": " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "carilab-cli " << name << ": error: " << carilab::run::userMessage(e) << "\n";
        return 1;
    }
}
