#include "run/run_evaluation.h"

#include "data/cavi_protocol.h"
#include "data/dataset_registry.h"
#include "data/image_cache.h"
#include "data/protocol_split.h"
#include "eval/protocol_eval.h"
#include "io/folder_lock.h"
#include "nn/inference_precision.h"
#include "run/dataset_fingerprint.h"
#include "run/evaluator.h"
#include "run/run_directory.h"
#include "run/train_config.h"

#include <algorithm>
#include <filesystem>
#include <numeric>

namespace carilab::run {

namespace {

// What the images were cropped to, recorded with every result; a face-api crop on a dataset
// without face boxes (no `dataset align` yet) sees whole images, and the user is told so.
nlohmann::json cropRecord(const RunModel& model, const data::DatasetIndex& index, const WarningSink& warn)
{
    const std::string crop = resolvedFaceCrop(model.config, model.net->info());
    const auto boxes = std::count_if(index.images.begin(), index.images.end(), [](const auto& r) { return r.faceApiBox.has_value(); });
    if (crop == "face-api" && boxes * 2 < (long)index.images.size() && warn)
        warn("only " + std::to_string(boxes) + " of " + std::to_string(index.images.size()) + " images have a face box; the others are " +
             "described whole. Run `carilab-cli dataset align " + index.root + "` (or with --out DIR) first.");
    return {{"face_crop", crop},
            {"images_with_face_box", boxes},
            {"images", index.images.size()},
            {"split", model.pretrained.empty() ? model.config.split : "none (zero-shot: nothing trained)"}};
}

eval::ProtocolRequest protocolRequest(const EvaluationRequest& r)
{
    if (r.view != 1 && r.view != 2) throw std::invalid_argument("the WebCaricature view must be 1 or 2, not " + std::to_string(r.view));
    eval::ProtocolRequest p;
    p.protocol = r.protocol;
    p.view = r.view;
    p.pairs = r.pairs;
    p.seed = r.seed;
    p.batch = r.batch;
    return p;
}

std::string scoresCsvPath(const RunDirectory& rd, const std::string& key)
{
    std::string fileKey = key;
    std::replace(fileKey.begin(), fileKey.end(), '/', '-');
    std::filesystem::create_directories(std::filesystem::path(rd.path()) / "eval");
    return (std::filesystem::path(rd.path()) / "eval" / (fileKey + "-scores.csv")).string();
}

}  // namespace

void applyInferenceSettings(RunModel& model, const EvaluationRequest& request)
{
    const nn::Precision precision = nn::parsePrecision(request.precision);
    nn::checkPrecisionSupported(precision, model.device);
    model.net->setInferencePrecision(precision);
    model.pipeline.mirrorAverage = request.mirror;
}

std::string evaluationKey(const EvaluationRequest& request)
{
    const std::string base = request.protocol == kImagesProtocol ? "all_images" : eval::protocolKey(protocolRequest(request));
    return base + (request.mirror ? "+mirror" : "");
}

nlohmann::json evaluateModel(RunModel& model, const data::DatasetIndex& index, const EvaluationRequest& request, const std::string& scoresCsv,
                             const EvaluationProgress& progress, const WarningSink& warn)
{
    const nlohmann::json crop = cropRecord(model, index, warn);
    // face-api's crop is taken from the image as decoded, as face-api takes it: no downscaling.
    data::ImageCache cache(1ull << 30, model.pipeline.faceApiCrop ? 0 : 320);
    if (request.protocol == kImagesProtocol) {
        std::vector<int> all(index.images.size());
        std::iota(all.begin(), all.end(), 0);
        EvalOptions eo;
        eo.pipeline = model.pipeline;
        eo.batch = request.batch;
        eo.seed = request.seed;
        nlohmann::json result = evaluateImages(model.net, index, all, cache, eo, model.device, progress);
        if (result.contains("error")) throw std::runtime_error(index.root + ": " + result["error"].get<std::string>());
        // Closed-set accuracy compares output class k with the dataset's identity k: meaningless on
        // a dataset whose identities are not the run's classes (another dataset, or the same with
        // identities added), so it is left out rather than shown as ~0 %.
        if (!model.classes.empty() && model.classes != index.identities) {
            for (const char* k : {"caricature_acc", "visual_acc", "verification_id_acc"}) result.erase(k);
            result["closed_set"] = "not measured: the dataset's identities are not the classes the run was trained on";
        }
        result["protocol"] = kImagesProtocol;
        result["crop"] = crop;
        result["precision"] = nn::precisionName(model.net->inferencePrecision());
        result["mirror_average"] = model.pipeline.mirrorAverage;
        result["dataset"] = index.root;
        return result;
    }
    eval::ProtocolRequest req = protocolRequest(request);
    req.scoresCsv = scoresCsv;
    nlohmann::json result = eval::evaluateProtocol(model.net, model.classes, index, model.pipeline, cache, model.device, req, progress);
    result["crop"] = crop;
    result["mirror_average"] = model.pipeline.mirrorAverage;
    return result;
}

RunEvaluationOutcome evaluateRun(const EvaluationRequest& request, const EvaluationProgress& progress, const CancelCheck& cancelled,
                                 const WarningSink& warn)
{
    if (request.batch < 1) throw std::invalid_argument("the batch must hold at least one image");
    RunDirectory rd = RunDirectory::open(request.runDir);
    // Taken before the long embedding pass, so a run being trained (or evaluated) is refused at
    // once rather than after minutes; held while eval.json and eval/ are written.
    io::FolderLock lock(rd.path(), "eval");
    RunModel model = loadRunModel(request.runDir, request.checkpoint, request.device);
    applyInferenceSettings(model, request);
    const bool ownDataset = request.dataset.empty();
    const std::string format = ownDataset && request.format == "auto" ? model.config.format : request.format;
    const auto index = data::loadDataset(ownDataset ? model.config.dataset : request.dataset, format);
    if (ownDataset) checkRunDataset(rd, index);  // the run's own dataset, as it was

    RunEvaluationOutcome out;
    out.key = evaluationKey(request);
    out.imagesProtocol = request.protocol == kImagesProtocol;
    out.who = "run " + rd.path() + ", step " + std::to_string(model.step);
    // Cancelling from inside the embedding pass: the only long part, and nothing is written yet.
    auto reporting = [&](std::size_t done, std::size_t total) {
        if (cancelled && cancelled()) throw EvaluationCancelled();
        if (progress) progress(done, total);
    };
    const std::string scoresCsv = out.imagesProtocol ? std::string() : scoresCsvPath(rd, out.key);
    out.result = evaluateModel(model, index, request, scoresCsv, reporting, warn);
    if (out.imagesProtocol) {
        out.result["model"] = model.checkpoint;
        // Beside the protocols, not among them: the protocol list holds pair-list results.
        rd.mergeEval({{out.key, out.result}});
        return out;
    }
    out.result["checkpoint"] = model.checkpoint;
    out.result["step"] = model.step;
    nlohmann::json protocolsJ = rd.eval().value("protocols", nlohmann::json::object());
    protocolsJ[out.key] = out.result;
    rd.mergeEval({{"protocols", protocolsJ}});
    rd.log("evaluated " + out.key + " at step " + std::to_string(model.step) + " (" + std::to_string(out.result.value("skipped", 0)) +
           " items skipped)");
    return out;
}

FittingProtocols fittingProtocols(const data::DatasetIndex& index)
{
    FittingProtocols f;
    if (index.format == "cavi") {
        for (const char* list : {"testing_1", "validation"})
            if (data::hasProtocolSplit(index, list)) f.caviPairLists.push_back(list);
        if (!f.caviPairLists.empty()) f.protocols.push_back("cavi");
    } else if (index.format == "webcaricature" && data::hasProtocolSplit(index)) {
        for (const auto& name : eval::protocolNames())
            if (name.rfind("webcari-", 0) == 0) f.protocols.push_back(name);
    }
    f.protocols.push_back(kImagesProtocol);
    return f;
}

FittingProtocols fittingProtocols(const std::string& datasetRoot, const std::string& format)
{
    return fittingProtocols(data::loadDataset(datasetRoot, format));
}

}  // namespace carilab::run
