#include "cli_args.h"
#include "cli_commands.h"
#include "cli_demo_dataset.h"
#include "cli_progress.h"
#include "cli_threads.h"
#include "cli_train_rank.h"
#include "rank_launcher.h"

#include "io/atomic_file.h"
#include "io/user_paths.h"
#include "nn/backbone.h"
#include "nn/replicas.h"
#include "run/presets.h"
#include "run/resume_rules.h"
#include "run/run_directory.h"
#include "run/trainer.h"

#include <atomic>
#include <csignal>
#include <filesystem>
#include <iostream>

namespace carilab::cli {

namespace {

std::atomic<bool> gInterrupted{false};
extern "C" void onInterrupt(int) { gInterrupted = true; }

}  // namespace

static const run::Preset& findPresetOption(const Args& a)
{
    try {
        return run::findPreset(a.get("preset"));
    } catch (const std::invalid_argument& e) {
        throw UsageError(std::string("--preset: ") + e.what());
    }
}

// config.json's keys as the options (--preset, then --config, then the rest) give them.
static nlohmann::json configJsonFromArgs(const Args& a)
{
    nlohmann::json j = nlohmann::json::object();
    if (a.has("preset")) {
        const run::Preset& preset = findPresetOption(a);
        j = preset.fields;
        if (preset.demoDataset && !a.has("dataset")) j["dataset"] = ensureDemoDataset(io::defaultDemoDatasetDir());
    }
    if (a.has("config")) {
        const auto file = nlohmann::json::parse(io::readFile(a.get("config")), nullptr, false);
        if (!file.is_object()) throw std::runtime_error(a.get("config") + ": not a JSON object");
        for (auto it = file.begin(); it != file.end(); ++it) j[it.key()] = it.value();
    }
    if (a.has("dataset")) j["dataset"] = a.get("dataset");
    if (a.has("format")) j["format"] = a.get("format");
    if (a.has("backbone")) j["backbone"] = a.get("backbone");
    if (a.has("strategy")) {
        // A plain name on the command line replaces only the name of a configured strategy.
        if (j.contains("strategy") && j["strategy"].is_object())
            j["strategy"]["name"] = a.get("strategy");
        else
            j["strategy"] = a.get("strategy");
    }
    if (a.has("steps")) {
        j["steps"] = a.getLong("steps");
    }
    if (a.has("epochs")) {
        j["epochs"] = a.getDouble("epochs");
        if (!a.has("steps")) j["steps"] = 0;
    }
    if (a.has("batch")) j["batch"] = a.getInt("batch");
    if (a.has("lr")) j["optimizer"]["lr"] = a.getDouble("lr");
    if (a.has("optimizer")) j["optimizer"]["kind"] = a.get("optimizer");
    if (a.has("seed")) j["seed"] = a.getLong("seed");
    if (a.has("threads")) j["threads"] = a.getInt("threads");
    if (a.has("device")) j["device"] = a.get("device");
    if (a.has("precision")) j["precision"] = a.get("precision");
    if (a.has("checkpoint-every")) j["checkpoint_every"] = a.getInt("checkpoint-every");
    if (a.has("eval-every")) j["eval_every"] = a.getInt("eval-every");
    if (a.has("log-every")) j["log_every"] = a.getInt("log-every");
    if (a.has("inspect-every")) j["inspect_every"] = a.get("inspect-every") == "auto" ? nlohmann::json("auto") : nlohmann::json(a.getLong("inspect-every"));
    if (a.has("split")) j["split"] = a.get("split");
    if (a.has("pairs")) j["pairs"] = a.get("pairs");
    if (a.has("face-crop")) j["face_crop"] = a.get("face-crop");
    if (a.flagSet("no-align")) j["align"] = false;
    if (a.flagSet("from-scratch")) j["pretrained"] = false;
    if (a.flagSet("sync-bn")) j["sync_bn"] = true;
    return j;
}

static run::TrainConfig configFromArgs(const Args& a)
{
    const nlohmann::json j = configJsonFromArgs(a);
    return a.has("config") ? run::trainConfigFromJson(j, a.get("config") + " (with the command line's options)") : run::trainConfigFromJson(j);
}

// The config.json keys (as JSON pointers) the given options set; --config sets every key of its file.
static std::vector<std::string> keysSetBy(const Args& a)
{
    static const std::pair<const char*, const char*> kKeys[] = {{"dataset", "/dataset"},
                                                                {"format", "/format"},
                                                                {"split", "/split"},
                                                                {"pairs", "/pairs"},
                                                                {"face-crop", "/face_crop"},
                                                                {"no-align", "/align"},
                                                                {"strategy", "/strategy"},
                                                                {"backbone", "/backbone"},
                                                                {"from-scratch", "/pretrained"},
                                                                {"sync-bn", "/sync_bn"},
                                                                {"batch", "/batch"},
                                                                {"lr", "/optimizer/lr"},
                                                                {"optimizer", "/optimizer/kind"},
                                                                {"seed", "/seed"},
                                                                {"device", "/device"},
                                                                {"precision", "/precision"},
                                                                {"checkpoint-every", "/checkpoint_every"},
                                                                {"eval-every", "/eval_every"},
                                                                {"log-every", "/log_every"},
                                                                {"inspect-every", "/inspect_every"}};
    std::vector<std::string> keys;
    for (const auto& [option, key] : kKeys)
        if (a.has(option)) keys.push_back(key);
    auto addFileKeys = [&](const nlohmann::json& file) {
        if (!file.is_object()) return;
        for (const auto& item : file.items())
            if (item.key() != "steps" && item.key() != "epochs" && item.key() != "threads") keys.push_back("/" + item.key());
    };
    if (a.has("preset")) addFileKeys(findPresetOption(a).fields);
    if (a.has("config")) addFileKeys(nlohmann::json::parse(io::readFile(a.get("config")), nullptr, false));
    return keys;
}

// --resume continues the run's own recipe (its config.json). The same options as the run's
// (a script repeating its command line) are fine; one that would change it is refused by name
// instead of being silently ignored, and --steps/--epochs may only extend the run.
static void checkResumeOptions(const Args& a, const run::TrainConfig& stored)
{
    try {
        run::resumedConfig(stored, {a.has("steps") ? a.getLong("steps") : 0, a.has("epochs") ? a.getDouble("epochs") : 0.0});
    } catch (const std::invalid_argument& e) {
        throw UsageError(e.what());
    }
    const std::vector<std::string> keys = keysSetBy(a);
    if (keys.empty()) return;
    nlohmann::json given = configJsonFromArgs(a);
    // The parser requires these; they are compared only when given (and steps/epochs not at all).
    if (!given.contains("dataset")) given["dataset"] = stored.dataset;
    if (!given.contains("steps")) given["steps"] = stored.steps;
    if (!given.contains("epochs")) given["epochs"] = stored.epochs;
    const nlohmann::json want = run::toJson(run::trainConfigFromJson(given)), have = run::toJson(stored);
    std::string differ;
    for (const auto& key : keys) {
        const nlohmann::json::json_pointer ptr(key);
        if (!want.contains(ptr)) continue;
        const nlohmann::json had = have.contains(ptr) ? have[ptr] : nlohmann::json();
        if (key == "/dataset" && had.is_string() &&
            std::filesystem::weakly_canonical(had.get<std::string>()) == std::filesystem::weakly_canonical(want[ptr].get<std::string>()))
            continue;
        if (want[ptr] != had) differ += (differ.empty() ? "" : ", ") + key.substr(1) + " (run: " + had.dump() + ", given: " + want[ptr].dump() + ")";
    }
    if (!differ.empty())
        throw UsageError("--resume continues the run with its own config.json, and these settings differ from it: " + differ +
                         ". They cannot change on resume; drop them, or start a new run (another --run-dir) to train with them");
}

static Args trainArgs()
{
    std::string backbones;
    for (const auto& b : nn::backboneNames()) backbones += (backbones.empty() ? "" : "|") + b;
    Args a("train", "Train the multi-task network and write a run directory (config.json, metrics.jsonl, checkpoints/, eval.json, log.txt).");
    a.option("dataset", "PATH", "dataset root")
        .option("run-dir", "DIR", "run folder to create (or continue with --resume)")
        .option("format", "F", "dataset layout: auto|folder|cavi|webcaricature")
        .option("split", "S",
                "auto|image|identity|protocol|official (auto: the dataset's protocol split when it has one, else image; "
                "official: the official CaVI code's split; refit: CaVI's protocol split with validation's images trained on and "
                "nothing held out, for retraining a recipe chosen on validation)")
        .option("pairs", "LIST", "CaVI pair list the protocol split holds out (default testing_1)")
        .option("face-crop", "C",
                "auto (face-api for face-resnet, else align) | align (5-point similarity) | box (official WebCaricature landmark box) | face-api "
                "(the descriptor's own crop, from face_boxes.csv)")
        .flag("no-align", "resize whole images, ignoring landmarks")
        .option("strategy", "S", "dynamic|naive|equal|static:a,b,c|single:verification|caricature|visual|uncertainty|gradnorm|dwa (default dynamic)")
        .option("backbone", "B", backbones + " (default tiny; face-resnet starts from the pretrained face network)")
        .flag("from-scratch", "face-resnet: random initial weights instead of the pretrained ones (the baseline)")
        .option("steps", "N", "training steps")
        .option("epochs", "N", "training epochs (when --steps is not given)")
        .option("batch", "N", "batch size (default 64)")
        .option("lr", "X", "learning rate (default 0.1)")
        .option("optimizer", "O", "rmsprop|adam|sgd (default rmsprop, as the official code)")
        .option("seed", "S", "random seed (default 1)")
        .option("threads", "N", "LibTorch threads (default: all cores; with --nproc-per-node N, the cores shared out among the N ranks)")
        .option("device", "D", "cpu|cuda (default cpu; a data-parallel rank takes cuda:LOCAL_RANK)")
        .option("precision", "P",
                "fp32 (default) | bf16: the network's convolutions and linear layers in bfloat16 (CPUs with AMX or AVX-512 BF16, "
                "or CUDA), losses, weights and optimiser in fp32 | fp16: CUDA only, with a loss scaler")
        .option("checkpoint-every", "N", "steps between checkpoints (default 100)")
        .option("eval-every", "N", "steps between held-out evaluations (default: every epoch)")
        .option("log-every", "N", "steps between metrics records (default 1)")
        .option("inspect-every", "K",
                "steps between task-gradient inspections: each task's gradient on the shared layers, their cosines and norms "
                "(\"grad\" in metrics.jsonl); 0 = off; default auto: 20 a run, on logged steps")
        .option("preset", "ID", "start from a training preset ('carilab-cli presets' lists them); --config and flags override it")
        .option("config", "FILE", "JSON with the keys of config.json; flags override it")
        .flag("resume", "continue the run in --run-dir from its newest checkpoint")
        .flag("plain", "plain progress lines even on a terminal");
    declareLaunchOptions(a);
    declareRankOptions(a);
    return a;
}

namespace {

// What the command line asks to train; checked once, before any rank starts.
struct TrainRequest {
    run::TrainConfig config;  // on --resume only steps/epochs count
    bool resume = false;
    bool cuda = false;  // the run's device (the stored one on --resume)
    int batch = 0;  // the run's global batch (the stored one on --resume)
};

TrainRequest trainRequest(const Args& a)
{
    TrainRequest r;
    r.resume = a.flagSet("resume");
    if (!r.resume) {
        r.config = configFromArgs(a);
        r.cuda = r.config.device.kind == run::DeviceKind::Cuda;
        r.batch = r.config.batch;
        return r;
    }
    // The run's own config is authoritative; --steps/--epochs may extend it.
    r.config.dataset.clear();
    const auto rd = run::RunDirectory::open(a.get("run-dir"));
    const run::TrainConfig stored = run::trainConfigFromJson(rd.config(), rd.configPath());
    checkResumeOptions(a, stored);
    r.cuda = stored.device.kind == run::DeviceKind::Cuda;
    r.batch = stored.batch;
    if (a.has("steps")) r.config.steps = a.getLong("steps");
    if (a.has("epochs")) r.config.epochs = a.getDouble("epochs");
    return r;
}

// Every rank's arguments: the command's own, less the launcher's, with the cores shared out
// when no thread count was asked for (N ranks of all cores each would only wait on each other).
Argv rankArguments(const Args& a, const Argv& argv, const TrainRequest& r, int ranksHere)
{
    Argv out = withoutLaunchOptions(argv);
    if (!a.has("threads") && r.config.threads <= 0) out.insert(out.end(), {"--threads", std::to_string(threadsPerRank(ranksHere))});
    return out;
}

// Trains in this process (alone, or as one rank of a job) and shows its progress.
int trainHere(const Args& a, const TrainRequest& r, std::shared_ptr<nn::Replicas> replicas)
{
    const int rank = replicas ? replicas->rank() : 0;
    std::signal(SIGINT, onInterrupt);
    std::signal(SIGTERM, onInterrupt);
    run::Trainer trainer(r.config, a.get("run-dir"), r.resume, replicas);
    if (a.has("check-replicas")) trainer.setReplicaCheckEvery(a.getIntIn("check-replicas", 1, 1 << 30));
    Progress progress(a.flagSet("plain"));
    // Rank 0 shows the progress; the others only what goes wrong, named by rank.
    auto show = [&](run::TrainerEvent e) {
        if (rank > 0) return showOtherRankEvent(e, rank);
        if (replicas && e.kind == run::TrainerEvent::Kind::Error) e.message = fromRank(e.message, 0);
        return progress.show(e, trainer.totalSteps());
    };
    trainer.start();
    bool failed = false;
    for (;;) {
        const bool ended = trainer.waitFor(100);
        if (gInterrupted.exchange(false)) {
            if (rank == 0) std::cerr << "\ninterrupted: stopping after this step and writing a checkpoint...\n";
            trainer.stop();
        }
        for (auto& e : trainer.events().drain()) failed |= show(std::move(e));
        if (ended) break;
    }
    trainer.wait();
    for (auto& e : trainer.events().drain()) failed |= show(std::move(e));
    progress.finish();
    return failed ? 1 : 0;
}

}  // namespace

int runTrain(const Argv& argv)
{
    Args a = trainArgs();
    if (!a.parse(argv)) return 0;
    const LaunchOptions launch = launchOptionsFrom(a);
    const TrainRequest request = trainRequest(a);
    if (launch.launches()) {
        // Checked before any rank starts: each rank trains an equal share of the global batch.
        if (request.batch % launch.worldSize() != 0)
            throw UsageError("--batch " + std::to_string(request.batch) + " cannot be split evenly across " + std::to_string(launch.worldSize()) +
                             " ranks; give a batch that is a multiple of the number of processes");
        return launchRanks(launch, rankArguments(a, argv, request, launch.nprocPerNode), distTimeout(a));
    }
    const auto rank = thisRank();
    TrainRequest here = request;
    if (rank && !here.resume) placeOnRankDevice(here.config.device, *rank);
    configureThreads(a, here.config.threads);  // once, for the process: the trainer never changes it
    std::shared_ptr<nn::Replicas> replicas;
    if (rank) {
        // A rank whose output has gone away (its launcher's GUI or terminal closed) trains on and
        // stops in step with the others: dying of SIGPIPE would fail the whole job.
        std::signal(SIGPIPE, SIG_IGN);
        try {
            replicas = joinJob(*rank, here.cuda, distTimeout(a));
        } catch (const std::exception& e) {
            throw std::runtime_error(fromRank(e.what(), rank->rank));
        }
    }
    return trainHere(a, here, std::move(replicas));
}

}  // namespace carilab::cli
