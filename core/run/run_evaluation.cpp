#include "run/run_evaluation.h"

#include "data/cavi_protocol.h"
#include "data/dataset_registry.h"
#include "data/image_cache.h"
#include "data/protocol_split.h"
#include "eval/protocol_eval.h"
#include "io/folder_lock.h"
#include "nn/inference_precision.h"
#include "run/dataset_fingerprint.h"
#include "run/eval_records.h"
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
CropRecord cropRecord(const RunModel& model, const data::DatasetIndex& index, const WarningSink& warn)
{
    const FaceCrop crop = resolvedFaceCrop(model.config, model.net->info());
    const long long boxes = std::count_if(index.images.begin(), index.images.end(), [](const auto& r) { return r.faceApiBox.has_value(); });
    if (crop == FaceCrop::FaceApi && boxes * 2 < static_cast<long long>(index.images.size()) && warn)
        warn("only " + std::to_string(boxes) + " of " + std::to_string(index.images.size()) + " images have a face box; the others are " +
             "described whole. Run `carilab-cli dataset align " + index.root + "` (or with --out DIR) first.");
    CropRecord r;
    r.faceCrop = faceCropName(crop);
    r.split = model.pretrained.empty() ? splitKindName(model.config.split) : "none (zero-shot: nothing trained)";
    r.images = static_cast<long long>(index.images.size());
    r.imagesWithFaceBox = boxes;
    return r;
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

// The images of a protocol embedded by every model in turn (each with its own crop and cache),
// then averaged: one network's figures are exactly its own, an ensemble's are the average's.
class EnsembleEmbedder {
public:
    EnsembleEmbedder(const std::vector<RunModel*>& models, const data::DatasetIndex& index, int batch, const EvaluationProgress& progress)
        : models_(models), index_(index), batch_(batch), progress_(progress)
    {}
    eval::EmbeddedImages operator()(const std::vector<int>& images) const
    {
        std::vector<eval::EmbeddedImages> members;
        const std::size_t k = models_.size();
        for (std::size_t m = 0; m < k; ++m) {
            RunModel& model = *models_[m];
            // face-api's crop is taken from the image as decoded, as face-api takes it: no downscaling.
            data::ImageCache cache(1ull << 30, model.pipeline.faceApiCrop ? 0 : 320);
            auto overall = [&](std::size_t done, std::size_t total) {
                if (progress_) progress_(m * total + done, k * total);
            };
            members.push_back(eval::embedImages(model.net, index_, images, cache, model.pipeline, batch_, model.device, overall));
        }
        return k == 1 ? std::move(members.front()) : eval::averageEmbedded(members);
    }

private:
    const std::vector<RunModel*>& models_;
    const data::DatasetIndex& index_;
    int batch_;
    const EvaluationProgress& progress_;
};

ImagesResult imagesResult(const EnsembleEmbedder& embed, const RunModel& model, const data::DatasetIndex& index, const EvaluationRequest& request)
{
    std::vector<int> all(index.images.size());
    std::iota(all.begin(), all.end(), 0);
    EvalOptions eo;
    eo.pipeline = model.pipeline;
    eo.batch = request.batch;
    eo.seed = request.seed;
    ImagesResult r;
    r.figures = heldOutFiguresFromJson(scoreImages(embed(all), index, eo));
    if (!r.figures.error.empty()) throw std::runtime_error(index.root + ": " + r.figures.error);
    // Closed-set accuracy compares output class k with the dataset's identity k: meaningless on
    // a dataset whose identities are not the run's classes (another dataset, or the same with
    // identities added), so it is left out rather than shown as ~0 %.
    if (!model.classes.empty() && model.classes != index.identities) {
        r.figures.verificationIdAcc.reset();
        r.figures.caricatureAcc.reset();
        r.figures.visualAcc.reset();
        r.closedSet = "not measured: the dataset's identities are not the classes the run was trained on";
    }
    r.protocol = kImagesProtocol;
    r.dataset = index.root;
    return r;
}

EnsembleRecord ensembleRecord(const std::vector<RunModel*>& models, const data::DatasetIndex& index)
{
    EnsembleRecord r;
    for (const RunModel* m : models) r.members.push_back({m->checkpoint, cropRecord(*m, index, {}).faceCrop, m->step});
    r.combination = "unit embeddings summed and renormalised; identity probabilities (softmax) averaged";
    return r;
}

// request.dataset, or else the runs' own (the first run's config), checked to be the dataset
// every run trained on, as it was.
data::DatasetIndex requestedDataset(const EvaluationRequest& request, const TrainConfig& run, const std::vector<std::string>& runDirs)
{
    const bool own = request.dataset.empty();
    auto index = data::loadDataset(own ? run.dataset : request.dataset, own && request.format == "auto" ? run.format : request.format);
    if (own)
        for (const auto& dir : runDirs) checkRunDataset(RunDirectory::open(dir), index);
    return index;
}

}  // namespace

void applyInferenceSettings(RunModel& model, const EvaluationRequest& request)
{
    const nn::Precision precision = request.precision;
    nn::checkPrecisionSupported(precision, model.device);
    model.net->setInferencePrecision(precision);
    nn::validate(request.views);
    model.pipeline.mirrorAverage = request.views.mirror;
    model.pipeline.zoomOut = request.views.zoomOut;
}

std::string evaluationKey(const EvaluationRequest& request)
{
    const std::string base = request.protocol == kImagesProtocol ? "all_images" : eval::protocolKey(protocolRequest(request));
    return base + nn::viewsSuffix(request.views);
}

nlohmann::json toJson(const ModelEvaluation& result)
{
    return std::visit([](const auto& r) { return toJson(r); }, result);
}

ModelEvaluation evaluateModel(RunModel& model, const data::DatasetIndex& index, const EvaluationRequest& request, const std::string& scoresCsv,
                              const EvaluationProgress& progress, const WarningSink& warn)
{
    return evaluateModels({&model}, index, request, scoresCsv, progress, warn);
}

ModelEvaluation evaluateModels(const std::vector<RunModel*>& models, const data::DatasetIndex& index, const EvaluationRequest& request,
                               const std::string& scoresCsv, const EvaluationProgress& progress, const WarningSink& warn)
{
    if (models.empty()) throw std::invalid_argument("nothing to evaluate: no model given");
    for (const RunModel* m : models)
        if (m->classes != models.front()->classes)
            throw std::invalid_argument("an ensemble's runs must be trained on the same identities: " + m->checkpoint + " has " +
                                        std::to_string(m->classes.size()) + " classes, " + models.front()->checkpoint + " " +
                                        std::to_string(models.front()->classes.size()) + " (or others)");
    RunModel& first = *models.front();
    const CropRecord crop = cropRecord(first, index, warn);
    const EnsembleEmbedder embed(models, index, request.batch, progress);
    // The first member already warned about its crop.
    const auto ensemble = models.size() > 1 ? std::optional<EnsembleRecord>(ensembleRecord(models, index)) : std::nullopt;
    const std::string precision = nn::precisionName(first.net->inferencePrecision());
    if (request.protocol == kImagesProtocol) {
        ImagesResult images = imagesResult(embed, first, index, request);
        images.crop = crop;
        images.precision = precision;
        images.mirrorAverage = first.pipeline.mirrorAverage;
        images.zoomOut = first.pipeline.zoomOut;
        images.ensemble = ensemble;
        return images;
    }
    eval::ProtocolRequest req = protocolRequest(request);
    req.scoresCsv = scoresCsv;
    ProtocolResult result;
    static_cast<eval::ProtocolOutcome&>(result) = eval::evaluateProtocol(embed, first.classes, index, req);
    result.crop = crop;
    result.precision = precision;
    result.mirrorAverage = first.pipeline.mirrorAverage;
    result.zoomOut = first.pipeline.zoomOut;
    result.ensemble = ensemble;
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
    const auto index = requestedDataset(request, model.config, {request.runDir});

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
    if (auto* images = std::get_if<ImagesResult>(&out.result)) {
        images->model = model.checkpoint;
        // Beside the protocols, not among them: the protocol list holds pair-list results.
        rd.mergeEval({{out.key, toJson(*images)}});
        return out;
    }
    auto& result = std::get<ProtocolResult>(out.result);
    result.checkpoint = model.checkpoint;
    result.step = model.step;
    // Other keys' results stay as the file holds them, whatever their age.
    nlohmann::json protocolsJ = rd.eval().value("protocols", nlohmann::json::object());
    protocolsJ[out.key] = toJson(result);
    rd.mergeEval({{"protocols", protocolsJ}});
    rd.log("evaluated " + out.key + " at step " + std::to_string(model.step) + " (" + std::to_string(result.skipped) + " items skipped)");
    return out;
}

RunEvaluationOutcome evaluateRunEnsemble(const std::vector<std::string>& runDirs, const EvaluationRequest& request,
                                         const EvaluationProgress& progress, const WarningSink& warn)
{
    if (request.batch < 1) throw std::invalid_argument("the batch must hold at least one image");
    if (runDirs.size() < 2) throw std::invalid_argument("an ensemble needs at least two runs");
    std::vector<RunModel> models;
    for (const auto& dir : runDirs) {
        models.push_back(loadRunModel(dir, request.checkpoint, request.device));
        applyInferenceSettings(models.back(), request);
    }
    const auto index = requestedDataset(request, models.front().config, runDirs);

    RunEvaluationOutcome out;
    out.key = evaluationKey(request);
    out.imagesProtocol = request.protocol == kImagesProtocol;
    out.who = "ensemble of " + std::to_string(models.size()) + " runs:";
    std::vector<RunModel*> members;
    for (auto& m : models) {
        members.push_back(&m);
        out.who += " " + m.checkpoint;
    }
    out.result = evaluateModels(members, index, request, "", progress, warn);
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
