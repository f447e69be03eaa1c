#pragma once
// Evaluating a trained network by a dataset's published protocol:
//   cavi                   verification on a pair list (10 folds, threshold from the other nine),
//                          closed-set accuracy of the caricature and visual branches on the
//                          list's images, and Rank-k of caricatures against its photos
//   webcari-restricted     View 1 (DevTest, threshold from DevTrain) or View 2 (10 folds)
//   webcari-unrestricted   the same with every caricature-photo pair of each fold's subjects
//   webcari-c2p|p2c        identification Rank-1/Rank-10 and CMC per fold
// Every figure is per fold and mean +- std (population std, as numpy), VAL@FAR is measured on
// the test fold itself (the official code measured it on the training folds).
#include "data/dataset_index.h"
#include "data/image_cache.h"
#include "eval/embedder.h"
#include "eval/protocol_result.h"
#include "eval/verification_metrics.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

namespace carilab::eval {

struct ProtocolRequest {
    std::string protocol = "cavi";  // see above
    int view = 2;  // WebCaricature view
    std::string pairs = "testing_1";  // CaVI pair list (name or path)
    int folds = 10;  // CaVI folds
    std::uint64_t seed = 1;  // CaVI pair shuffle before folding
    int maxRank = 50;  // CMC length
    int batch = 64;
    std::string scoresCsv;  // when set, every verification score is written here (score,label,fold)
};

std::vector<std::string> protocolNames();
// Key under eval.json's "protocols": "cavi/testing_1", "webcari-restricted/view2", ...
std::string protocolKey(const ProtocolRequest& r);

// classes: the network's identity name per output class (closed-set accuracy is measured on
// images whose identity the network was trained on; the others are counted, not scored).
// Throws on an unknown protocol, a dataset of another format, or no usable pairs/probes.
ProtocolOutcome evaluateProtocol(nn::MultiTaskNet& net, const std::vector<std::string>& classes, const data::DatasetIndex& index,
                                 const data::PipelineOptions& pipeline, data::ImageCache& cache, torch::Device device, const ProtocolRequest& request,
                                 const EmbedProgress& progress = {});
// The same with the protocol's images embedded by `embed` (an ensemble averages its members'
// embeddings there, eval::averageEmbedded); the result has no precision.
using ImageEmbedder = std::function<EmbeddedImages(const std::vector<int>& images)>;
ProtocolOutcome evaluateProtocol(const ImageEmbedder& embed, const std::vector<std::string>& classes, const data::DatasetIndex& index,
                                 const ProtocolRequest& request);

// Verification metrics of already-scored folds (also what `carilab-cli roc` prints, with one fold).
struct ScoredFold {
    std::vector<Pair> pairs;
};
VerificationResult verifyFolds(const std::vector<ScoredFold>& folds, const std::vector<Pair>& tuning);

// The paper-style table of an evaluateProtocol() result, for terminals (protocol_result_table.cpp).
std::string formatProtocolTable(const ProtocolOutcome& result);

}  // namespace carilab::eval
