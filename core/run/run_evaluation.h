#pragma once
// Evaluating a model by a dataset's protocol, or over all its images ("images"), and keeping a
// run's results in its eval.json: what `carilab-cli eval` and the GUI's Evaluation tab both run.
//   evaluateModel  any loaded model (a run's, or the zero-shot descriptor), nothing written
//   evaluateRun    a run: takes its folder's lock, loads the checkpoint, evaluates, and writes
//                  eval.json ("protocols"/<key>, or "all_images") and eval/<key>-scores.csv
#include "data/dataset_index.h"
#include "nn/inference_precision.h"
#include "nn/test_views.h"
#include "run/eval_records.h"
#include "run/run_model.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

namespace carilab::run {

// "images": every image of the dataset, scored as the training's held-out evaluation does
// (caricature-photo and photo-photo pairs: all positives, one seeded negative each, 10 folds).
// The protocols only pair caricatures with photos; this is where photo-photo verification, the
// pretrained network's home ground, is measured.
inline constexpr const char* kImagesProtocol = "images";

struct EvaluationRequest {
    std::string runDir;
    std::string checkpoint = "latest";  // latest | best | a step-*.pt file
    std::string dataset;  // empty: the run's own dataset (checked against the one it trained on)
    std::string format = "auto";  // of `dataset`; with the run's own dataset, auto = the run's format
    std::string protocol = "cavi";  // eval::protocolNames() or kImagesProtocol
    std::string pairs = "testing_1";  // CaVI pair list: name or path
    int view = 2;  // WebCaricature view, 1 or 2
    std::uint64_t seed = 1;
    int batch = 64;
    nn::Precision precision = nn::Precision::Fp32;  // parsed where read (nn::parsePrecision)
    std::string device;  // empty: the run's own
    nn::TestViews views;  // test-time mirror and zoomed-out views; kept apart under <key>+mirror+zoomS
};

// Thrown from inside the embedding pass when the cancel check says so; nothing has been written.
class EvaluationCancelled : public std::runtime_error {
public:
    EvaluationCancelled() : std::runtime_error("evaluation cancelled") {}
};

using EvaluationProgress = std::function<void(std::size_t done, std::size_t total)>;
using CancelCheck = std::function<bool()>;
using WarningSink = std::function<void(const std::string&)>;

// One evaluation's result: a protocol's, or the images protocol's (eval.json's "all_images").
using ModelEvaluation = std::variant<ProtocolResult, ImagesResult>;
// As eval.json and `carilab-cli eval --json` hold it.
nlohmann::json toJson(const ModelEvaluation& result);

struct RunEvaluationOutcome {
    std::string key;  // under eval.json's "protocols" ("cavi/testing_1[+mirror]"), or "all_images[+mirror]"
    bool imagesProtocol = false;  // the result is eval.json's top-level key, not under "protocols"
    ModelEvaluation result;
    std::string who;  // "run DIR, step N", the first line the CLI prints
};

// eval.json key of a request's result ("all_images" for the images protocol).
std::string evaluationKey(const EvaluationRequest& request);

// The request's inference arithmetic and test-time mirror on a loaded model. Throws when the
// precision is unknown or unsupported on the model's device (before any dataset is read).
void applyInferenceSettings(RunModel& model, const EvaluationRequest& request);

// Evaluates `model` on `index` by request.protocol/pairs/view/seed/batch (the model's pipeline,
// mirror flag included, as set). scoresCsv: where the protocol's pair scores go ("" = nowhere).
// The result records the crop, precision and mirror flag; warn hears about a face-api crop on a
// dataset without face boxes. Throws on an unknown protocol, a dataset of another format, no
// usable pairs or images.
ModelEvaluation evaluateModel(RunModel& model, const data::DatasetIndex& index, const EvaluationRequest& request, const std::string& scoresCsv,
                              const EvaluationProgress& progress = {}, const WarningSink& warn = {});

// An ensemble of models evaluated as one (eval::averageEmbedded: unit embeddings summed and
// renormalised, identity probabilities averaged); each member embeds with its own pipeline,
// precision and mirror flag as set. A protocol result lists the members (ensemble). One model
// gives exactly evaluateModel's result. Throws as evaluateModel, and when the models were
// trained on different identities.
ModelEvaluation evaluateModels(const std::vector<RunModel*>& models, const data::DatasetIndex& index, const EvaluationRequest& request,
                               const std::string& scoresCsv, const EvaluationProgress& progress = {}, const WarningSink& warn = {});

// The whole run evaluation, written as `carilab-cli eval --run` writes it. cancelled is asked
// after every batch; when it returns true, EvaluationCancelled is thrown and eval.json is left
// as it was. Throws io::FolderLockedError when the run is being trained or evaluated.
RunEvaluationOutcome evaluateRun(const EvaluationRequest& request, const EvaluationProgress& progress = {}, const CancelCheck& cancelled = {},
                                 const WarningSink& warn = {});

// Several runs (each at request.checkpoint) evaluated as one ensemble (evaluateModels) on the
// first run's dataset (every run checked to have trained on it) or request.dataset. Nothing is
// written: an ensemble belongs to no single run. Throws as evaluateRun, and for fewer than two
// runs or runs trained on different identities.
RunEvaluationOutcome evaluateRunEnsemble(const std::vector<std::string>& runDirs, const EvaluationRequest& request,
                                         const EvaluationProgress& progress = {}, const WarningSink& warn = {});

// The protocols that fit a dataset, in the order a user picks from: "cavi" when a CaVI dataset
// has a pair list (caviPairLists says which of testing_1 and validation exist), the WebCaricature
// protocols when it has EvaluationProtocols/, and "images" for every dataset.
struct FittingProtocols {
    std::vector<std::string> protocols;
    std::vector<std::string> caviPairLists;
};
FittingProtocols fittingProtocols(const data::DatasetIndex& index);
// The same for a folder, indexed first (format "auto" detects it); seconds for a large dataset.
FittingProtocols fittingProtocols(const std::string& datasetRoot, const std::string& format = "auto");

}  // namespace carilab::run
