#pragma once
// eval.json as types, and the one place it is read. Its parts:
//   "held_out"            the last held-out evaluation of training (a HeldOutRecord, metrics_records.h)
//   "best"                the checkpoint model selection kept (BestRecord, model_selection.h)
//   "protocols"/<key>     a protocol evaluation ("cavi/testing_1[+mirror]", "webcari-c2p/view2", ...)
//   "all_images[+mirror]" every image of a dataset scored as the held-out evaluation does
// "best", "all_images" and a result's "crop" are written by toJson below; the rest of a protocol
// result is still eval's JSON (eval::evaluateProtocol); the keys are as they always were.
// Reading is tolerant of older files: a key that is missing or null takes the default below
// (nullopt, NaN, "", empty), unknown keys are ignored. A known key of the wrong type makes the
// file unreadable (EvalRecordError, naming the key as "protocols.cavi/testing_1.step").
#include "run/metrics_records.h"

#include <nlohmann/json.hpp>

#include <array>
#include <limits>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace carilab::run {

class EvalRecordError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// "best": the held-out evaluation that scored best so far, and where its checkpoint is.
struct BestRecord {
    long long step = 0;
    double score = std::numeric_limits<double>::quiet_NaN();  // selectionScore(); NaN when the file lacks it
    std::string scoreIs;  // what the score means, in words
    std::string heldOut;  // the held-out set it was measured on
    std::string checkpoint;  // <run>/checkpoints/best/step-N.pt
};

// Metric name as in eval.json ("auc", "eer", "accuracy", "val_far_0.1%", "threshold", "rank1",
// ...) -> value; a metric the file lacks (or holds as null) is absent.
using MetricValues = std::map<std::string, double>;

struct VerificationFold {
    std::string fold;  // "1".."10", "all" (written as a number or a string)
    MetricValues metrics;
    std::optional<long long> pairs, positives, negatives;
    std::string thresholdFrom;  // "other folds", ...
};

struct ScoreHistogram {
    double min = 0, max = 0;
    std::vector<double> genuine, impostor;  // counts per equal-width bin; null reads as NaN
};

struct VerificationResult {
    std::vector<VerificationFold> folds;
    MetricValues mean, stdev, pooled;  // pooled: over all folds' pairs at once
    std::optional<long long> pooledPairs, pairsDroppedUnreadable;
    std::vector<std::array<double, 2>> roc;  // pooled ROC as (FAR, TAR); null reads as NaN
    std::optional<ScoreHistogram> histogram;
};

struct IdentificationFold {
    std::string fold;
    MetricValues metrics;  // rank1, rank5, rank10
    std::optional<long long> probes, gallery, probesWithoutMate;
};

struct IdentificationResult {
    std::string direction;  // C2P or P2C
    std::vector<IdentificationFold> folds;
    MetricValues mean, stdev;
    std::vector<double> cmc;  // cmc[k-1] = rank-k identification rate; null reads as NaN
};

// Closed-set accuracy of the identity heads on the protocol's images.
struct ClassificationResult {
    std::optional<double> caricatureAcc, visualAcc;
    std::optional<long long> caricatures, photos, imagesOfUnknownIdentities;
    // The same with the softmax over the listed identities only (absent in older files).
    std::optional<double> caricatureAccListed, visualAccListed;
    std::optional<long long> listedIdentities;
};

// What the images were cropped to (run_evaluation.cpp's cropRecord).
struct CropRecord {
    std::string faceCrop, split;
    std::optional<long long> images, imagesWithFaceBox;
};

// "protocols"/<key>: eval::evaluateProtocol's result plus what evaluateRun adds.
struct ProtocolResult {
    std::string protocol, name, dataset, pairsFile, scoresCsv, checkpoint, precision;
    std::optional<int> view;  // WebCaricature only
    std::optional<long long> step, images, unreadableImages, shuffleSeed;
    long long skipped = 0;  // pairs or probes left out; issues holds the first reasons only
    std::vector<std::string> issues;
    std::optional<bool> mirrorAverage;
    std::optional<CropRecord> crop;
    std::optional<VerificationResult> verification;
    std::optional<IdentificationResult> identification;  // C2P
    std::optional<IdentificationResult> identificationP2C;  // "identification_p2c"
    std::optional<ClassificationResult> classification;
};

// "all_images[+mirror]": the held-out evaluation's figures over every image of a dataset.
struct ImagesResult {
    std::string protocol, dataset, model, precision;
    std::string closedSet;  // why closed-set accuracy was not measured; "" when it was
    std::optional<bool> mirrorAverage;
    std::optional<CropRecord> crop;
    HeldOutFigures figures;
};

struct EvalFile {
    std::optional<HeldOutRecord> heldOut;
    std::optional<BestRecord> best;
    std::map<std::string, ProtocolResult> protocols;  // by key, in eval.json's (sorted) order
    std::map<std::string, ImagesResult> images;  // "all_images", "all_images+mirror"
};

nlohmann::json toJson(const BestRecord& b);
// A result's "crop"; an absent count is left out, as the reader takes it.
nlohmann::json toJson(const CropRecord& c);
// "all_images[+mirror]"; empty texts and unset options are left out.
nlohmann::json toJson(const ImagesResult& r);

// Each throws EvalRecordError.
BestRecord bestRecordFromJson(const nlohmann::json& j);
ProtocolResult protocolResultFromJson(const nlohmann::json& j);
ImagesResult imagesResultFromJson(const nlohmann::json& j);
EvalFile evalFileFromJson(const nlohmann::json& j);

// The run's eval.json. A missing file reads as empty; one that is not JSON, or holds a known
// key of the wrong type, throws EvalRecordError naming the file.
EvalFile readEvalFile(const std::string& path);

}  // namespace carilab::run
