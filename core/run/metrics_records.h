#pragma once
// The records of metrics.jsonl as types, and the one place they become JSON and back.
//
// A line is {"type": "train", ...} (a StepRecord), {"type": "eval", ...} (a HeldOutRecord) or
// any other typed object (kept as an OtherRecord). Reading is tolerant of older files: a key
// that is missing or null takes the default below (nullopt, NaN, 0, ""), unknown keys are
// ignored. A known key of the wrong type makes the line unreadable (MetricsRecordError).
#include <nlohmann/json.hpp>

#include <array>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>

namespace carilab::run {

// Task names exactly as they appear in metrics.jsonl and everywhere else.
constexpr std::array<const char*, 3> kTaskNames = {"verification", "caricature", "visual"};

// One value per task, in kTaskNames order; a task the line lacks (or holds as null) is NaN.
using TaskValues = std::array<double, 3>;
bool allFinite(const TaskValues& v);

// Task pairs exactly as in metrics.jsonl's "grad.cos" (nn::kTaskPairNames, same order).
constexpr std::array<const char*, 3> kTaskPairNames = {"verification-caricature", "verification-visual", "caricature-visual"};
using PairValues = std::array<double, 3>;  // one value per pair; NaN where the line has none

// "grad": the task-gradient conflict on the shared layers, on the steps the trainer inspects
// (config inspect_every).
struct GradRecord {
    PairValues cos{};  // cosine between two tasks' gradients; NaN when one of them is zero
    TaskValues norm{};  // each task's gradient norm
    long long parameters = 0;  // shared-layer scalars measured
};

// One modality's per-sample task weights on a step ("weight_by_modality.caricature"/"photo").
struct ModalityWeights {
    long long samples = 0;
    TaskValues mean{}, q10{}, q50{}, q90{};
};

struct WeightByModality {
    std::optional<ModalityWeights> caricature, photo;  // nullopt: none in the batch
};

// A "train" line: the step just taken (1-based count) and what the network and the weighting
// strategy did on it.
struct StepRecord {
    long long step = 0;
    double epoch = 0;
    double timeS = 0;  // training time of the run (continues across resumes)
    std::optional<double> lr;  // base learning rate
    std::map<std::string, double> lrGroups;  // per parameter group (nn::kParamGroupNames); empty in old files
    std::optional<double> imagesPerS;
    std::optional<double> dataWait;  // share of the interval spent waiting for the loader
    std::optional<TaskValues> loss, weight, weightRaw, crossEntropy;  // weight: normalised to sum 1
    std::optional<double> centerLoss, totalLoss;
    std::optional<double> strategyLoss;  // only strategies with a loss of their own
    long long photos = 0, caricatures = 0;  // images of the batch
    std::optional<GradRecord> grad;  // only on inspected steps (absent in old files)
    // Only strategies with per-sample weights (dynamic, naive; absent in old files).
    std::optional<WeightByModality> weightByModality;
};

// k-fold verification on one kind of pair (caricature-photo, or photo-photo).
struct PairFigures {
    double acc = 0;  // mean over the folds, threshold from the other folds
    double accStd = 0;
    double threshold = 0;
    double auc = 0;
};

// What one held-out evaluation measured (run/evaluator.h). With an error, nothing else is set.
struct HeldOutFigures {
    std::string error;  // "" when the evaluation ran
    long long caricatures = 0, photos = 0;  // images that could be read
    // Identification accuracies, only for networks with classification heads.
    std::optional<double> verificationIdAcc, caricatureAcc, visualAcc;
    std::optional<PairFigures> verification;  // caricature-photo: the paper's task
    long long pairs = 0;
    std::optional<PairFigures> photoVerification;  // photo-photo (absent in old files)
    long long photoPairs = 0;
};

// An "eval" line: the held-out evaluation at a step of training.
struct HeldOutRecord {
    long long step = 0;
    double epoch = 0;
    double timeS = 0;
    std::string heldOut;  // the held-out set's name ("validation", "test")
    std::string split;  // the split kind the run trains on ("" in old files)
    HeldOutFigures figures;
};

// Any other typed line, kept as read (nothing in CariLab writes these today).
struct OtherRecord {
    std::string type;
    std::optional<long long> step;
    nlohmann::json json;
};

using MetricsRecord = std::variant<StepRecord, HeldOutRecord, OtherRecord>;

// Why a line cannot be read as a record: the key and what is wrong with it.
class MetricsRecordError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

nlohmann::json toJson(const StepRecord& r);
nlohmann::json toJson(const HeldOutRecord& r);
nlohmann::json toJson(const HeldOutFigures& f);
nlohmann::json toJson(const MetricsRecord& r);

// A parsed line. An object without "type" is a StepRecord when it has "loss" (the oldest files),
// an OtherRecord otherwise. Throws MetricsRecordError.
MetricsRecord metricsRecordFromJson(const nlohmann::json& j);
// The figures of an "eval" line, or of an evaluator's result. Throws MetricsRecordError.
HeldOutFigures heldOutFiguresFromJson(const nlohmann::json& j);

// The record's step (nullopt for an OtherRecord without one).
std::optional<long long> recordStep(const MetricsRecord& r);

}  // namespace carilab::run
