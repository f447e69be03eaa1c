#pragma once
// A protocol evaluation's result as types (eval::evaluateProtocol), and its one JSON form: the
// keys eval.json's "protocols"/<key> and `carilab-cli eval --json` have always held. The run
// layer's reader (run/eval_records.h) reuses these types, so each record is defined once.
// In memory a metric that could not be computed (NaN) is absent; the writer puts NaN (written
// as null) under the keys every fold and the pooled figures have always carried.
// Reading is tolerant of older files: a key that is missing or null takes the default below
// (nullopt, NaN, "", empty), unknown keys are ignored; a known key of the wrong type throws
// ResultRecordError naming the key ("verification.folds[2].auc").
#include <nlohmann/json.hpp>

#include <array>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace carilab::eval {

class ResultRecordError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Metric name as in eval.json ("auc", "eer", "accuracy", "val_far_0.1%", "threshold", "rank1",
// ...) -> value; a metric not computed is absent.
using MetricValues = std::map<std::string, double>;

struct VerificationFold {
    std::string fold;  // "1".."10" (written as a number), "all"
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
    std::optional<double> caricatureAcc, visualAcc;  // nullopt: no image of the kind was scored
    std::optional<long long> caricatures, photos, imagesOfUnknownIdentities;
    // The same with the softmax over the listed identities only (absent in older files).
    std::optional<double> caricatureAccListed, visualAccListed;
    std::optional<long long> listedIdentities;
};

struct ProtocolOutcome {
    std::string protocol, name, dataset, pairsFile, scoresCsv, precision;
    std::optional<int> view;  // WebCaricature only
    std::optional<long long> images, unreadableImages, shuffleSeed;
    long long skipped = 0;  // pairs or probes left out; issues holds the first reasons only
    std::vector<std::string> issues;
    std::optional<VerificationResult> verification;
    std::optional<IdentificationResult> identification;  // C2P on CaVI
    std::optional<IdentificationResult> identificationP2C;  // "identification_p2c"
    std::optional<ClassificationResult> classification;
};

nlohmann::json toJson(const VerificationResult& v);
nlohmann::json toJson(const IdentificationResult& id);
nlohmann::json toJson(const ClassificationResult& c);
nlohmann::json toJson(const ProtocolOutcome& r);

// `at` prefixes the key named in an error ("protocols.cavi/testing_1").
ProtocolOutcome protocolOutcomeFromJson(const nlohmann::json& j, const std::string& at = "");

}  // namespace carilab::eval
