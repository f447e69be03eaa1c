#include "cli_args.h"
#include "cli_commands.h"

#include "data/dataset_registry.h"
#include "eval/protocol_eval.h"
#include "run/run_directory.h"
#include "run/run_model.h"
#include "run/trainer.h"

#include <filesystem>
#include <iostream>

namespace carilab::cli {

int runEval(const Argv& argv)
{
    std::string protocols;
    for (const auto& n : eval::protocolNames()) protocols += (protocols.empty() ? "" : "|") + n;
    Args a("eval", "Evaluate a trained run by a dataset's protocol; results go into the run's eval.json (under "
                   "\"protocols\") and every verification score into eval/<protocol>-scores.csv.");
    a.option("run", "DIR", "the run directory")
        .option("dataset", "PATH", "dataset root (default: the run's own dataset)")
        .option("format", "F", "auto|folder|cavi|webcaricature (default auto)", "auto")
        .option("protocol", protocols, "evaluation protocol")
        .option("view", "1|2", "WebCaricature view: 1 = DevTest with the threshold from DevTrain, 2 = ten folds", "2")
        .option("pairs", "LIST", "CaVI pair list: testing_1, validation or a file path", "testing_1")
        .option("checkpoint", "FILE", "checkpoint to load (default: the newest readable)", "latest")
        .option("seed", "S", "CaVI: seed of the pair shuffle before the 10 folds", "1")
        .option("batch", "N", "images per forward pass", "64")
        .option("threads", "N", "LibTorch threads (default: all cores)")
        .option("device", "D", "cpu|cuda (default: the run's)")
        .flag("json", "print the result as JSON instead of the table");
    if (!a.parse(argv)) return 0;
    run::Trainer::configureThreads(a.has("threads") ? a.getInt("threads") : 0);
    const std::string runDir = a.get("run");
    const run::RunDirectory rd = run::RunDirectory::open(runDir);
    run::RunModel model = run::loadRunModel(runDir, a.get("checkpoint"), a.get("device", ""));
    const std::string datasetPath = a.get("dataset", model.config.dataset);
    const std::string format = a.has("dataset") ? a.get("format") : (a.get("format") == "auto" ? model.config.format : a.get("format"));
    const auto index = data::loadDataset(datasetPath, format);

    eval::ProtocolRequest req;
    req.protocol = a.get("protocol");
    req.view = a.getInt("view");
    if (req.view != 1 && req.view != 2) throw UsageError("--view must be 1 or 2");
    req.pairs = a.get("pairs");
    req.seed = (std::uint64_t)a.getLong("seed");
    req.batch = a.getInt("batch");
    const std::string key = eval::protocolKey(req);
    std::string fileKey = key;
    for (char& c : fileKey)
        if (c == '/') c = '-';
    std::filesystem::create_directories(std::filesystem::path(rd.path()) / "eval");
    req.scoresCsv = (std::filesystem::path(rd.path()) / "eval" / (fileKey + "-scores.csv")).string();

    const bool json = a.flagSet("json");
    size_t lastShown = 0;
    auto progress = [&](size_t done, size_t total) {
        if (json) return;
        if (done == total || done - lastShown >= 256) {
            std::cerr << "\rembedding " << done << "/" << total << " images" << (done == total ? "\n" : "") << std::flush;
            lastShown = done;
        }
    };
    data::ImageCache cache;
    nlohmann::json result = eval::evaluateProtocol(model.net, model.classes, index, model.pipeline, cache, model.device, req, progress);
    result["checkpoint"] = model.checkpoint;
    result["step"] = model.step;
    if (!std::filesystem::exists(req.scoresCsv)) req.scoresCsv.clear();

    nlohmann::json protocolsJ = rd.eval().value("protocols", nlohmann::json::object());
    protocolsJ[key] = result;
    rd.mergeEval({{"protocols", protocolsJ}});
    rd.log("evaluated " + key + " at step " + std::to_string(model.step) + " (" + std::to_string(result.value("skipped", 0)) +
           " items skipped)");
    if (json) std::cout << result.dump(2) << "\n";
    else std::cout << "run " << rd.path() << ", step " << model.step << "\n" << eval::formatProtocolTable(result);
    return 0;
}

}  // namespace carilab::cli
