#include "cli_args.h"
#include "cli_commands.h"
#include "cli_test_views.h"
#include "cli_threads.h"

#include "data/dataset_registry.h"
#include "nn/inference_precision.h"
#include "eval/protocol_eval.h"
#include "run/run_evaluation.h"
#include "run/run_model.h"

#include <cstdio>
#include <iostream>
#include <sstream>
#include <variant>

namespace carilab::cli {

namespace {

std::string formatImagesTable(const run::ImagesResult& r)
{
    const run::HeldOutFigures& f = r.figures;
    std::ostringstream o;
    char buf[200];
    o << "All images of " << r.dataset << " (" << f.caricatures << " caricatures, " << f.photos
      << " photos)\n\nVerification (10 folds)   Accuracy          AUC       pairs\n";
    auto row = [&](const char* label, const std::optional<run::PairFigures>& p, long long pairs) {
        if (!p) {
            o << "  " << label << "  -  (no pairs)\n";
            return;
        }
        std::snprintf(buf, sizeof buf, "  %-22s  %6.2f%% +- %5.2f  %6.2f%%   %lld\n", label, 100.0 * p->acc, 100.0 * p->accStd, 100.0 * p->auc,
                      pairs);
        o << buf;
    };
    row("caricature-photo", f.verification, f.pairs);
    row("photo-photo", f.photoVerification, f.photoPairs);
    if (f.caricatureAcc) {
        std::snprintf(buf, sizeof buf, "\nClosed set: caricature branch %6.2f%%, visual branch %6.2f%%\n", 100.0 * *f.caricatureAcc,
                      100.0 * f.visualAcc.value_or(0.0));
        o << buf;
    }
    return o.str();
}

// The table of either kind of result.
std::string formatTable(const run::ModelEvaluation& result)
{
    if (const auto* images = std::get_if<run::ImagesResult>(&result)) return formatImagesTable(*images);
    return eval::formatProtocolTable(std::get<run::ProtocolResult>(result));
}

// The zero-shot descriptor on req.dataset; nothing is written.
run::ModelEvaluation evaluatePretrained(const std::string& name, const run::EvaluationRequest& req, const run::EvaluationProgress& progress,
                                        const run::WarningSink& warn, std::string& who)
{
    run::RunModel model = run::loadPretrainedModel(name, req.device);
    run::applyInferenceSettings(model, req);
    const auto index = data::loadDataset(req.dataset, req.format);
    run::useDatasetCrop(model, index);
    who = "pretrained " + model.pretrained + " (zero-shot)";
    run::ModelEvaluation result = run::evaluateModel(model, index, req, "", progress, warn);
    std::visit([&](auto& r) { r.model = "pretrained:" + model.pretrained; }, result);
    // No identities of its own: closed-set classification does not apply.
    if (auto* p = std::get_if<run::ProtocolResult>(&result)) p->classification.reset();
    return result;
}

}  // namespace

int runEval(const Argv& argv)
{
    std::string protocols;
    for (const auto& n : eval::protocolNames()) protocols += (protocols.empty() ? "" : "|") + n;
    protocols += std::string("|") + run::kImagesProtocol;
    Args a("eval",
           "Evaluate a trained run, or the zero-shot pretrained descriptor, by a dataset's protocol. A run's "
           "results go into its eval.json (under \"protocols\"; --protocol images under \"all_images\") and every verification score into "
           "eval/<protocol>-scores.csv.\n"
           "--protocol images scores caricature-photo and photo-photo pairs over every image of the dataset.");
    a.repeated("run", "DIR",
               "the run directory; give several to evaluate them as one ensemble (unit embeddings averaged, identity "
               "probabilities averaged; printed only, no run's eval.json changes)")
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
        .flag("mirror",
              "test-time flip: average each image's embedding (and identity logits) with its mirror's; twice the compute. "
              "Results are kept apart (eval.json key <protocol>+mirror)")
        .option("zoom-out", "S[,S...]",
                "test-time zoomed-out views: each image also runs with its crop shrunk by 1/S (border repeated), "
                "averaged in (with --mirror each view is mirrored too); S in (1, 2], 1.1 measured best on CaVI's "
                "validation list. Kept apart (eval.json key <protocol>+zoomS)")
        .flag("json", "print the result as JSON instead of the table");
    if (!a.parse(argv)) return 0;
    if (a.has("run") == a.has("pretrained")) throw UsageError("give either --run DIR or --pretrained face-resnet");
    if (a.has("pretrained") && !a.has("dataset")) throw UsageError("--pretrained needs --dataset PATH (there is no run to take it from)");
    configureThreads(a);
    run::EvaluationRequest req;
    req.batch = a.getIntIn("batch", 1, 4096);  // checked before anything loads
    req.view = a.getInt("view");
    if (req.view != 1 && req.view != 2) throw UsageError("--view must be 1 or 2");
    const std::vector<std::string> runs = a.all("run");
    req.runDir = runs.empty() ? std::string() : runs.front();
    req.checkpoint = a.get("checkpoint");
    req.dataset = a.get("dataset", "");
    req.format = a.get("format");
    req.protocol = a.get("protocol");
    req.pairs = a.get("pairs");
    req.seed = static_cast<std::uint64_t>(a.getLong("seed"));
    req.precision = nn::parsePrecision(a.get("precision"));
    req.device = a.get("device", "");
    req.views = testViewsFrom(a);

    const bool json = a.flagSet("json");
    size_t lastShown = 0;
    auto progress = [&](size_t done, size_t total) {
        if (json) return;
        if (done == total || done - lastShown >= 256) {
            std::cerr << "\rembedding " << done << "/" << total << " images" << (done == total ? "\n" : "") << std::flush;
            lastShown = done;
        }
    };
    auto warn = [](const std::string& w) { std::cerr << "eval: warning: " << w << "\n"; };
    std::string who;
    run::ModelEvaluation result;
    if (a.has("pretrained")) {
        result = evaluatePretrained(a.get("pretrained"), req, progress, warn, who);
    } else {
        auto outcome = runs.size() > 1 ? run::evaluateRunEnsemble(runs, req, progress, warn) : run::evaluateRun(req, progress, {}, warn);
        who = outcome.who;
        result = std::move(outcome.result);
    }
    if (json)
        std::cout << run::toJson(result).dump(2) << "\n";
    else
        std::cout << who << "\n" << formatTable(result);
    return 0;
}

}  // namespace carilab::cli
