#pragma once
// One function per carilab-cli subcommand, each in its own cli_<name>.cpp.
#include <string>
#include <vector>

namespace carilab::cli {

using Argv = std::vector<std::string>;

int runSynth(const Argv& argv);
int runDataset(const Argv& argv);
int runDemo(const Argv& argv);
int runTrain(const Argv& argv);
int runPresets(const Argv& argv);
int runEval(const Argv& argv);
int runRoc(const Argv& argv);
int runFailures(const Argv& argv);
int runMatch(const Argv& argv);
int runPretrained(const Argv& argv);
int runEmbed(const Argv& argv);
int runProject(const Argv& argv);
int runBench(const Argv& argv);
#ifdef CARILAB_HAS_GUI
int runExport(const Argv& argv);
#endif

}  // namespace carilab::cli
