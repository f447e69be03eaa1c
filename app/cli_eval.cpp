#include "cli_args.h"
#include "cli_commands.h"
#include "cli_threads.h"

#include "data/dataset_registry.h"
#include "eval/protocol_eval.h"
#include "io/folder_lock.h"
#include "run/dataset_fingerprint.h"
#include "run/evaluator.h"
#include "run/run_directory.h"
#include "run/run_model.h"
#include "run/train_config.h"
#include "run/trainer.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <numeric>
#include <optional>
#include <sstream>

namespace carilab::cli {

namespace {

// "images": every image of the dataset, scored as the training's held-out evaluation does
// (caricature-photo and photo-photo pairs: all positives, one seeded negative each, 10 folds).
// The protocols only pair caricatures with photos; this is where photo-photo verification, the
// pretrained network's home ground, is measured.
constexpr const char* kImagesProtocol = "images";

std::string formatImagesTable(const nlohmann::json& r)
{
    std::ostringstream o;
    char buf[200];
    o << "All images of " << r.value("dataset", std::string()) << " (" << r.value("caricatures", 0) << " caricatures, " << r.value("photos", 0)
      << " photos)\n\nVerification (10 folds)   Accuracy          AUC       pairs\n";
    auto row = [&](const char* label, const std::string& k, const char* pairsKey) {
        if (!r.contains(k + "_acc")) {
            o << "  " << label << "  -  (no pairs)\n";
            return;
        }
        std::snprintf(buf, sizeof buf, "  %-22s  %6.2f%% +- %5.2f  %6.2f%%   %lld\n", label, 100.0 * r[k + "_acc"].get<double>(),
                      100.0 * r.value(k + "_acc_std", 0.0), 100.0 * r[k + "_auc"].get<double>(), r.value(pairsKey, 0LL));
        o << buf;
    };
    row("caricature-photo", "verification", "pairs");
    row("photo-photo", "photo_verification", "photo_pairs");
    if (r.contains("caricature_acc")) {
        std::snprintf(buf, sizeof buf, "\nClosed set: caricature branch %6.2f%%, visual branch %6.2f%%\n", 100.0 * r.value("caricature_acc", 0.0),
                      100.0 * r.value("visual_acc", 0.0));
        o << buf;
    }
    return o.str();
}

// What the images were cropped to, recorded with every result; a face-api crop on a dataset
// without face boxes (no `dataset align` yet) sees whole images, and the user is told so.
nlohmann::json cropRecord(const run::RunModel& model, const data::DatasetIndex& index)
{
    const std::string crop = run::resolvedFaceCrop(model.config, model.net->info());
    const auto boxes = std::count_if(index.images.begin(), index.images.end(), [](const auto& r) { return r.faceApiBox.has_value(); });
    if (crop == "face-api" && boxes * 2 < (long)index.images.size())
        std::cerr << "eval: warning: only " << boxes << " of " << index.images.size() << " images have a face box; the others are "
                  << "described whole. Run `carilab-cli dataset align " << index.root << "` (or with --out DIR) first.\n";
    return {{"face_crop", crop},
            {"images_with_face_box", boxes},
            {"images", index.images.size()},
            {"split", model.pretrained.empty() ? model.config.split : "none (zero-shot: nothing trained)"}};
}

}  // namespace

int runEval(const Argv& argv)
{
    std::string protocols;
    for (const auto& n : eval::protocolNames()) protocols += (protocols.empty() ? "" : "|") + n;
    protocols += std::string("|") + kImagesProtocol;
    Args a("eval",
           "Evaluate a trained run, or the zero-shot pretrained descriptor, by a dataset's protocol. A run's "
           "results go into its eval.json (under \"protocols\"; --protocol images under \"all_images\") and every verification score into "
           "eval/<protocol>-scores.csv.\n"
           "--protocol images scores caricature-photo and photo-photo pairs over every image of the dataset.");
    a.option("run", "DIR", "the run directory")
        .option("pretrained", "face-resnet", "evaluate the pretrained network without training instead of a run (needs --dataset)")
        .option("dataset", "PATH", "dataset root (default: the run's own dataset)")
        .option("format", "F", "auto|folder|cavi|webcaricature (default auto)", "auto")
        .option("protocol", protocols, "evaluation protocol")
        .option("view", "1|2", "WebCaricature view: 1 = DevTest with the threshold from DevTrain, 2 = ten folds", "2")
        .option("pairs", "LIST", "CaVI pair list: testing_1, validation or a file path", "testing_1")
        .option("checkpoint", "latest|best|FILE", "checkpoint to load: the newest readable, the best on the held-out validation images, or a file",
                "latest")
        .option("seed", "S", "CaVI: seed of the pair shuffle before the 10 folds", "1")
        .option("batch", "N", "images per forward pass", "64")
        .option("precision", "fp32|bf16",
                "inference arithmetic: bf16 runs the convolutions in bfloat16 (several times faster on "
                "a CPU with AMX or AVX-512 BF16; embeddings agree with fp32 to ~1e-3)",
                "fp32")
        .option("threads", "N", "LibTorch threads (default: all cores)")
        .option("device", "D", "cpu|cuda (default: the run's)")
        .flag("mirror", "test-time flip: average each image's embedding (and identity logits) with its mirror's; twice the compute. "
                        "Results are kept apart (eval.json key <protocol>+mirror)")
        .flag("json", "print the result as JSON instead of the table");
    if (!a.parse(argv)) return 0;
    if (a.has("run") == a.has("pretrained")) throw UsageError("give either --run DIR or --pretrained face-resnet");
    if (a.has("pretrained") && !a.has("dataset")) throw UsageError("--pretrained needs --dataset PATH (there is no run to take it from)");
    configureThreads(a);
    const int batch = a.getIntIn("batch", 1, 4096);  // checked before anything loads
    const bool zeroShot = a.has("pretrained");
    const std::string runDir = a.get("run", "");
    std::optional<run::RunDirectory> rd;
    // Taken before the long embedding pass, so a run being trained (or evaluated) is refused at
    // once rather than after minutes; held while eval.json and eval/ are written.
    std::optional<io::FolderLock> lock;
    if (!zeroShot) {
        rd = run::RunDirectory::open(runDir);
        lock.emplace(rd->path(), "eval");
    }
    run::RunModel model = zeroShot ? run::loadPretrainedModel(a.get("pretrained"), a.get("device", ""))
                                   : run::loadRunModel(runDir, a.get("checkpoint"), a.get("device", ""));
    const nn::Precision precision = nn::parsePrecision(a.get("precision"));
    nn::checkPrecisionSupported(precision, model.device);
    model.net->setInferencePrecision(precision);
    const std::string datasetPath = a.get("dataset", model.config.dataset);
    const std::string format = a.has("dataset") ? a.get("format") : (a.get("format") == "auto" ? model.config.format : a.get("format"));
    const auto index = data::loadDataset(datasetPath, format);
    if (rd && !a.has("dataset")) run::checkRunDataset(*rd, index);  // the run's own dataset, as it was
    if (zeroShot) run::useDatasetCrop(model, index);
    model.pipeline.mirrorAverage = a.flagSet("mirror");

    const bool json = a.flagSet("json");
    size_t lastShown = 0;
    auto progress = [&](size_t done, size_t total) {
        if (json) return;
        if (done == total || done - lastShown >= 256) {
            std::cerr << "\rembedding " << done << "/" << total << " images" << (done == total ? "\n" : "") << std::flush;
            lastShown = done;
        }
    };
    const std::string who =
        zeroShot ? "pretrained " + model.pretrained + " (zero-shot)" : "run " + rd->path() + ", step " + std::to_string(model.step);
    const nlohmann::json crop = cropRecord(model, index);
    // face-api's crop is taken from the image as decoded, as face-api takes it: no downscaling.
    data::ImageCache cache(1ull << 30, model.pipeline.faceApiCrop ? 0 : 320);

    if (a.get("protocol") == kImagesProtocol) {
        std::vector<int> all(index.images.size());
        std::iota(all.begin(), all.end(), 0);
        run::EvalOptions eo;
        eo.pipeline = model.pipeline;
        eo.batch = batch;
        eo.seed = (std::uint64_t)a.getLong("seed");
        nlohmann::json result = run::evaluateImages(model.net, index, all, cache, eo, model.device);
        if (result.contains("error")) throw std::runtime_error(index.root + ": " + result["error"].get<std::string>());
        result["protocol"] = kImagesProtocol;
        result["crop"] = crop;
        result["precision"] = nn::precisionName(precision);
        result["mirror_average"] = model.pipeline.mirrorAverage;
        result["dataset"] = index.root;
        result["model"] = zeroShot ? "pretrained:" + model.pretrained : model.checkpoint;
        // Beside the protocols, not among them: the eval view reads "protocols" as pair-list results.
        if (rd) rd->mergeEval({{model.pipeline.mirrorAverage ? "all_images+mirror" : "all_images", result}});
        if (json)
            std::cout << result.dump(2) << "\n";
        else
            std::cout << who << "\n" << formatImagesTable(result);
        return 0;
    }

    eval::ProtocolRequest req;
    req.protocol = a.get("protocol");
    req.view = a.getInt("view");
    if (req.view != 1 && req.view != 2) throw UsageError("--view must be 1 or 2");
    req.pairs = a.get("pairs");
    req.seed = (std::uint64_t)a.getLong("seed");
    req.batch = batch;
    const std::string key = eval::protocolKey(req) + (model.pipeline.mirrorAverage ? "+mirror" : "");
    if (rd) {
        std::string fileKey = key;
        for (char& c : fileKey)
            if (c == '/') c = '-';
        std::filesystem::create_directories(std::filesystem::path(rd->path()) / "eval");
        req.scoresCsv = (std::filesystem::path(rd->path()) / "eval" / (fileKey + "-scores.csv")).string();
    }

    nlohmann::json result = eval::evaluateProtocol(model.net, model.classes, index, model.pipeline, cache, model.device, req, progress);
    result["crop"] = crop;
    result["mirror_average"] = model.pipeline.mirrorAverage;
    if (zeroShot) {
        // No identities of its own: closed-set classification does not apply.
        result.erase("classification");
        result["model"] = "pretrained:" + model.pretrained;
        if (json)
            std::cout << result.dump(2) << "\n";
        else
            std::cout << who << "\n" << eval::formatProtocolTable(result);
        return 0;
    }
    result["checkpoint"] = model.checkpoint;
    result["step"] = model.step;
    if (!std::filesystem::exists(req.scoresCsv)) req.scoresCsv.clear();

    nlohmann::json protocolsJ = rd->eval().value("protocols", nlohmann::json::object());
    protocolsJ[key] = result;
    rd->mergeEval({{"protocols", protocolsJ}});
    rd->log("evaluated " + key + " at step " + std::to_string(model.step) + " (" + std::to_string(result.value("skipped", 0)) + " items skipped)");
    if (json)
        std::cout << result.dump(2) << "\n";
    else
        std::cout << who << "\n" << eval::formatProtocolTable(result);
    return 0;
}

}  // namespace carilab::cli
