#include "cli_bench_scaling.h"

#include "process_launcher.h"

#include "data/carisynth.h"
#include "dist/launch_env.h"
#include "perf/machine_info.h"
#include "perf/scaling_bench.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace carilab::cli {

// Named, so that a unity build's other files' helpers in carilab::cli's anonymous namespace
// (fixed, ...) are not redefinitions.
namespace scaling {

namespace {

namespace fs = std::filesystem;

// Steps between evaluations and checkpoints that no bench run reaches.
constexpr int kNever = 1000000000;
// Lines of a failed training's output quoted in the error.
constexpr size_t kTailLines = 12;
// CariSynth images generated per image the measured run reads: the image split holds out a
// fifth, and an epoch boundary should not fall inside the run.
constexpr double kImagesPerTrainedImage = 1.5;
constexpr int kImagesPerIdentityModality = 10;

// The one-process bench's own options, which the scaling bench does not measure.
const char* const kSingleProcessOptions[] = {"eval-batch", "input-size", "classes", "eval-images", "loader-workers",
                                             "profile",    "inspections", "no-peak", "nchw"};

struct ScalingPlan {
    int ranks = 2;
    std::string backbone, strategy, precision, device, dataset;
    int batch = 0;
    int warmup = 0;
    int steps = 0;
    int threads = 0;  // 0: not given (1 rank takes all cores, the launcher shares them out)
    int totalSteps() const { return warmup + steps; }
};

bool givenOnCommandLine(const Argv& argv, const std::string& name)
{
    const std::string flag = "--" + name;
    return std::any_of(argv.begin(), argv.end(), [&](const std::string& s) { return s == flag || s.rfind(flag + "=", 0) == 0; });
}

void refuseSingleProcessOptions(const Argv& argv)
{
    for (const char* name : kSingleProcessOptions)
        if (givenOnCommandLine(argv, name))
            throw UsageError(std::string("--") + name +
                             " is a figure of the one-process bench; with --nproc-per-node the bench times real trainings "
                             "(carilab-cli train) and takes only --backbone, --strategy, --batch, --precision, --steps, --warmup, "
                             "--dataset, --threads, --device and --json");
}

ScalingPlan planFrom(const Args& a)
{
    ScalingPlan p;
    p.ranks = a.getInt("nproc-per-node");
    if (p.ranks < 2)
        throw UsageError("--nproc-per-node " + a.get("nproc-per-node") +
                         ": the scaling bench compares N ranks with one, so N must be at least 2 (plain `carilab-cli bench` measures one process)");
    p.batch = a.getInt("batch");
    if (p.batch < p.ranks || p.batch % p.ranks != 0)
        throw UsageError("--batch " + std::to_string(p.batch) + " is the global batch, split evenly across the ranks; it does not divide by --nproc-per-node " +
                         std::to_string(p.ranks) + " (give a multiple of " + std::to_string(p.ranks) + ")");
    p.warmup = a.getInt("warmup");
    p.steps = a.getInt("steps");
    if (p.warmup < 0 || p.steps < 1) throw UsageError("--steps must be at least 1 and --warmup at least 0");
    p.threads = a.getInt("threads");
    if (p.threads < 0) throw UsageError("--threads must be at least 0 (0 = all cores)");
    p.backbone = a.get("backbone");
    p.strategy = a.get("strategy");
    p.precision = a.get("precision");
    p.device = a.get("device", "cpu");
    p.dataset = a.get("dataset", "");
    return p;
}

// A temporary folder, removed with everything in it.
struct TempFolder {
    fs::path path;
    TempFolder()
    {
        std::string pattern = (fs::temp_directory_path() / "carilab-bench-XXXXXX").string();
        if (!::mkdtemp(pattern.data())) throw std::runtime_error(std::string("cannot make a temporary folder: ") + std::strerror(errno));
        path = pattern;
    }
    ~TempFolder()
    {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    TempFolder(const TempFolder&) = delete;
    TempFolder& operator=(const TempFolder&) = delete;
};

// The bench's dataset: the user's, else a CariSynth set large enough that no epoch ends in the run.
std::string prepareDataset(const ScalingPlan& p, const fs::path& tmp)
{
    if (!p.dataset.empty()) return p.dataset;
    data::CariSynthOptions o;
    o.photosPerIdentity = o.caricaturesPerIdentity = kImagesPerIdentityModality;
    const double images = kImagesPerTrainedImage * p.batch * p.totalSteps();
    o.identities = std::max(8, static_cast<int>(images / (2 * kImagesPerIdentityModality)) + 1);
    const auto r = data::generateCariSynth((tmp / "carisynth").string(), o);
    std::cerr << "bench: CariSynth, " << r.identities << " identities, " << r.photos + r.caricatures << " images -> " << r.root << "\n";
    return r.root;
}

Argv trainArguments(const ScalingPlan& p, const std::string& dataset, const fs::path& runDir, int ranks)
{
    Argv args = {"train",       "--dataset",          dataset,      "--run-dir",       runDir.string(), "--backbone",
                 p.backbone,    "--strategy",         p.strategy,   "--batch",         std::to_string(p.batch), "--steps",
                 std::to_string(p.totalSteps()), "--precision", p.precision, "--device", p.device, "--log-every", "1",
                 "--eval-every", std::to_string(kNever), "--checkpoint-every", std::to_string(kNever), "--inspect-every", "0", "--plain"};
    if (p.threads > 0) args.insert(args.end(), {"--threads", std::to_string(p.threads)});
    if (ranks > 1) args.insert(args.end(), {"--nproc-per-node", std::to_string(ranks)});
    return args;
}

std::string joined(const Argv& args)
{
    std::string s = "carilab-cli";
    for (const auto& x : args) s += " " + x;
    return s;
}

std::string lastLines(const fs::path& file)
{
    std::ifstream in(file);
    std::deque<std::string> lines;
    for (std::string line; std::getline(in, line);) {
        lines.push_back(line);
        if (lines.size() > kTailLines) lines.pop_front();
    }
    std::string out;
    for (const auto& l : lines) out += "\n  | " + l;
    return out.empty() ? "\n  (no output)" : out;
}

// The running training, for the signal handler: a stop asked of the bench reaches it.
volatile pid_t gChild = 0;
volatile std::sig_atomic_t gInterrupted = 0;
extern "C" void onBenchInterrupt(int)
{
    gInterrupted = 1;
    if (gChild > 0) ::kill(gChild, SIGTERM);
}

pid_t spawnTraining(const Argv& args, const fs::path& output)
{
    std::vector<std::string> words = {"carilab-cli"};
    words.insert(words.end(), args.begin(), args.end());
    std::vector<char*> cargv;
    for (auto& w : words) cargv.push_back(w.data());
    cargv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    const std::string exe = app::ownExecutable();
    if (exe.empty()) throw std::runtime_error("cannot start the trainings: /proc/self/exe is not readable");
    pid_t pid = 0;
    const int err = ::posix_spawn(&pid, exe.c_str(), &actions, nullptr, cargv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (err != 0) throw std::runtime_error(std::string("cannot start carilab-cli train: ") + std::strerror(err));
    return pid;
}

int waitForTraining(pid_t pid)
{
    gChild = pid;
    auto oldInt = std::signal(SIGINT, onBenchInterrupt), oldTerm = std::signal(SIGTERM, onBenchInterrupt);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    gChild = 0;
    std::signal(SIGINT, oldInt);
    std::signal(SIGTERM, oldTerm);
    return status;
}

std::string howItEnded(int status)
{
    if (WIFSIGNALED(status)) return std::string("killed by ") + ::strsignal(WTERMSIG(status));
    return "exit status " + std::to_string(WEXITSTATUS(status));
}

// Runs one training to its end; its output goes to <runDir>.txt. Wall seconds.
double runTraining(const Argv& args, const fs::path& runDir, const std::string& what)
{
    const fs::path output = runDir.string() + ".txt";
    std::cerr << "bench: " << what << ": " << joined(args) << "\n";
    const auto start = std::chrono::steady_clock::now();
    const int status = waitForTraining(spawnTraining(args, output));
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (gInterrupted) throw std::runtime_error("bench interrupted during the " + what);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw std::runtime_error("the " + what + " failed (" + howItEnded(status) + "): " + joined(args) + "\nits last output:" + lastLines(output));
    return seconds;
}

perf::RankRunFigures measure(const ScalingPlan& p, const std::string& dataset, const fs::path& tmp, int ranks)
{
    const fs::path runDir = tmp / ("run-" + std::to_string(ranks) + "-rank");
    const std::string what = ranks > 1 ? std::to_string(ranks) + "-rank training" : "1-rank training";
    const Argv args = trainArguments(p, dataset, runDir, ranks);
    const double wall = runTraining(args, runDir, what);
    perf::RankRunFigures r;
    try {
        r = perf::readRankRun(runDir.string(), p.warmup);
    } catch (const std::exception& e) {
        throw std::runtime_error("the " + what + " ran but its figures are unreadable: " + std::string(e.what()) + "\nits last output:" +
                                 lastLines(runDir.string() + ".txt"));
    }
    r.wallSeconds = wall;
    r.command = joined(args);
    return r;
}

// The report's recipe fields; the figures come from the runs.
perf::ScalingReport describe(const ScalingPlan& p)
{
    perf::ScalingReport r;
    r.backbone = p.backbone;
    r.strategy = p.strategy;
    r.precision = p.precision;
    r.device = p.device;
    r.dataset = p.dataset.empty() ? "CariSynth, generated for the bench" : p.dataset;
    r.globalBatch = p.batch;
    r.warmupSteps = p.warmup;
    r.measuredSteps = p.steps;
    r.logicalCores = static_cast<int>(std::thread::hardware_concurrency());
    return r;
}

std::string fixed(double v, int decimals)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

std::string threadsText(const std::vector<int>& threads)
{
    std::string s;
    for (int t : threads) s += (s.empty() ? "" : ", ") + std::to_string(t);
    return s;
}

void printRun(std::ostream& out, const std::string& label, const perf::RankRunFigures& r)
{
    const auto& s = r.imagesPerSecond;
    out << "  " << label << std::string(label.size() < 26 ? 26 - label.size() : 1, ' ') << fixed(s.median, 1) << " images/s  (per step "
        << fixed(s.min, 1) << "-" << fixed(s.max, 1) << ", n=" << s.count << "; threads per rank " << threadsText(r.threadsPerRank) << "; "
        << fixed(r.wallSeconds, 1) << " s wall)\n";
}

void printScaling(const perf::ScalingReport& r, std::ostream& out)
{
    out << "carilab bench, data-parallel scaling: " << r.backbone << ", global batch " << r.globalBatch << ", " << r.strategy << " strategy, "
        << r.precision << ", " << r.device << ", " << r.measuredSteps << " measured steps after " << r.warmupSteps << " warm-up\n";
    out << "dataset: " << r.dataset << "\n";
    out << "machine: " << r.logicalCores << " logical cores; load average (1 min) " << fixed(r.loadBefore, 2) << " before, "
        << fixed(r.loadAfter, 2) << " after (the bench's own trainings count in it)"
        << (r.loadBefore > 0.5 ? "  [other processes were running before: figures taken under load]" : "") << "\n\n";
    out << "whole-job images/s, median of the measured steps (all ranks' images)\n";
    printRun(out, "1 rank", r.oneRank);
    printRun(out, std::to_string(r.nRanks.worldSize) + " ranks (" + r.nRanks.backend + ")", r.nRanks);
    out << "\nscaling efficiency: " << fixed(r.efficiency(), 3) << "\n  = " << perf::efficiencyDefinition(r.devicePerRank()) << "\n";
}

int scalingBench(const Args& a, const Argv& argv)
{
    refuseSingleProcessOptions(argv);
    const ScalingPlan p = planFrom(a);
    if (dist::launchEnvFrom(dist::processEnvironment()))
        throw UsageError("--nproc-per-node starts its own ranks, but this process already is a rank of a job (RANK/WORLD_SIZE or Slurm variables are set)");
    TempFolder tmp;
    perf::ScalingReport r = describe(p);
    r.loadBefore = perf::loadAverage1();
    const std::string dataset = prepareDataset(p, tmp.path);
    r.oneRank = measure(p, dataset, tmp.path, 1);
    r.nRanks = measure(p, dataset, tmp.path, p.ranks);
    r.loadAfter = perf::loadAverage1();
    if (a.flagSet("json"))
        std::cout << r.toJson().dump(2) << "\n";
    else
        printScaling(r, std::cout);
    return 0;
}

}  // namespace

}  // namespace scaling

void declareScalingOptions(Args& a)
{
    a.option("nproc-per-node", "N",
             "data-parallel scaling instead: train with 1 rank and with N ranks (carilab-cli train --nproc-per-node N, same global "
             "--batch, --steps + --warmup steps) and report both whole-job images/s and the scaling efficiency")
        .option("device", "D", "with --nproc-per-node: cpu|cuda, the trainings' device (a rank takes cuda:LOCAL_RANK; default cpu)");
}

bool wantsScalingBench(const Args& a) { return a.has("nproc-per-node"); }

int runScalingBench(const Args& a, const Argv& argv) { return scaling::scalingBench(a, argv); }

}  // namespace carilab::cli
