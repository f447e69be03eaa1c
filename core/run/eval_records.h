#pragma once
// eval.json as types, and the one place it is read. Its parts:
//   "held_out"            the last held-out evaluation of training (a HeldOutRecord, metrics_records.h)
//   "best"                the checkpoint model selection kept (BestRecord, model_selection.h)
//   "protocols"/<key>     a protocol evaluation ("cavi/testing_1[+mirror]", "webcari-c2p/view2", ...)
//   "all_images[+mirror][+zoomS]" every image of a dataset scored as the held-out evaluation does
// "best", "all_images" and a protocol result are written by toJson below (a protocol result's
// own part by eval's toJson, eval/protocol_result.h); the keys are as they always were.
// Reading is tolerant of older files: a key that is missing or null takes the default below
// (nullopt, NaN, "", empty), unknown keys are ignored. A known key of the wrong type makes the
// file unreadable (EvalRecordError, naming the key as "protocols.cavi/testing_1.step").
#include "eval/protocol_result.h"
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

// A protocol result's parts are eval's own types (eval/protocol_result.h): one definition each.
using MetricValues = eval::MetricValues;
using VerificationFold = eval::VerificationFold;
using ScoreHistogram = eval::ScoreHistogram;
using VerificationResult = eval::VerificationResult;
using IdentificationFold = eval::IdentificationFold;
using IdentificationResult = eval::IdentificationResult;
using ClassificationResult = eval::ClassificationResult;

// What the images were cropped to (run_evaluation.cpp's cropRecord).
struct CropRecord {
    std::string faceCrop, split;
    std::optional<long long> images, imagesWithFaceBox;
};

// An ensemble's members (run_evaluation.h, evaluateRunEnsemble), listed with its result.
struct EnsembleMember {
    std::string checkpoint, crop;
    long long step = 0;
};
struct EnsembleRecord {
    std::vector<EnsembleMember> members;
    std::string combination;  // how the members' outputs were combined, in words
};

// "protocols"/<key>: eval::evaluateProtocol's result plus what run evaluation adds.
struct ProtocolResult : eval::ProtocolOutcome {
    std::string checkpoint;
    std::string model;  // "pretrained:face-resnet" for the zero-shot descriptor
    std::optional<long long> step;
    std::optional<bool> mirrorAverage;
    std::vector<double> zoomOut;  // test-time zoomed-out views; empty: none (or not recorded)
    std::optional<CropRecord> crop;
    std::optional<EnsembleRecord> ensemble;
};

// "all_images[+mirror][+zoomS]": the held-out evaluation's figures over every image of a dataset.
struct ImagesResult {
    std::string protocol, dataset, model, precision;
    std::string closedSet;  // why closed-set accuracy was not measured; "" when it was
    std::optional<bool> mirrorAverage;
    std::vector<double> zoomOut;
    std::optional<CropRecord> crop;
    std::optional<EnsembleRecord> ensemble;
    HeldOutFigures figures;
};

struct EvalFile {
    std::optional<HeldOutRecord> heldOut;
    std::optional<BestRecord> best;
    std::map<std::string, ProtocolResult> protocols;  // by key, in eval.json's (sorted) order
    std::map<std::string, ImagesResult> images;  // "all_images", "all_images+mirror", …
};

nlohmann::json toJson(const BestRecord& b);
// A result's "crop"; an absent count is left out, as the reader takes it.
nlohmann::json toJson(const CropRecord& c);
nlohmann::json toJson(const EnsembleRecord& e);
// "protocols"/<key>; empty texts and unset options of run evaluation's own keys are left out.
nlohmann::json toJson(const ProtocolResult& r);
// "all_images[+mirror][+zoomS]"; empty texts and unset options are left out.
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
