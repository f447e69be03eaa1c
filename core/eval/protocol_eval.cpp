#include "eval/protocol_eval.h"

#include "data/cavi_protocol.h"
#include "data/webcari_protocol.h"
#include "eval/fold_thresholds.h"
#include "eval/identification_metrics.h"
#include "eval/score_file.h"
#include "nn/tasks.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <set>
#include <stdexcept>

namespace carilab::eval {

namespace {

using nlohmann::json;

const std::vector<std::pair<std::string, double>> kFars = {{"val_far_0.1%", 1e-3}, {"val_far_1%", 1e-2}};

// Only computed figures go in: NaN (no pairs of a kind, ...) is "absent", as files read back.
void put(MetricValues& m, const std::string& key, double v)
{
    if (std::isfinite(v)) m[key] = v;
}

// Population mean and std of each metric over the folds that have it.
template <class Fold>
void meanStd(const std::vector<Fold>& folds, const std::vector<std::string>& keys, MetricValues& mean, MetricValues& sd)
{
    for (const auto& k : keys) {
        std::vector<double> v;
        for (const auto& f : folds)
            if (const auto it = f.metrics.find(k); it != f.metrics.end()) v.push_back(it->second);
        if (v.empty()) continue;
        double m = 0, s = 0;
        for (double x : v) m += x;
        m /= static_cast<double>(v.size());
        for (double x : v) s += (x - m) * (x - m);
        mean[k] = m;
        sd[k] = std::sqrt(s / static_cast<double>(v.size()));
    }
}

ScoreHistogram histogram(const std::vector<Pair>& pairs, int bins)
{
    double lo = 1e300, hi = -1e300;
    for (const auto& p : pairs) {
        lo = std::min(lo, p.score);
        hi = std::max(hi, p.score);
    }
    if (pairs.empty()) {
        lo = 0;
        hi = 1;
    }
    if (hi <= lo) hi = lo + 1e-6;
    ScoreHistogram h{lo, hi, std::vector<double>(static_cast<size_t>(bins), 0.0), std::vector<double>(static_cast<size_t>(bins), 0.0)};
    for (const auto& p : pairs) {
        const int b = std::clamp(static_cast<int>((p.score - lo) / (hi - lo) * bins), 0, bins - 1);
        ++(p.positive ? h.genuine : h.impostor)[static_cast<size_t>(b)];
    }
    return h;
}

double dot(const torch::TensorAccessor<float, 2>& e, int a, int b, std::int64_t dim)
{
    double s = 0;
    for (std::int64_t k = 0; k < dim; ++k) s += static_cast<double>(e[a][k]) * e[b][k];
    return s;
}

// Scores of protocol pairs; pairs with an unreadable image are dropped and counted.
std::vector<Pair> scorePairs(const std::vector<data::VerificationPair>& pairs, const EmbeddedImages& emb, long long& dropped)
{
    const auto e = emb.embeddings.accessor<float, 2>();
    const std::int64_t dim = emb.embeddings.size(1);
    std::vector<Pair> out;
    out.reserve(pairs.size());
    for (const auto& p : pairs) {
        const int a = emb.rowOf(p.caricature), b = emb.rowOf(p.photo);
        if (a < 0 || b < 0 || !emb.ok[static_cast<size_t>(a)] || !emb.ok[static_cast<size_t>(b)]) {
            ++dropped;
            continue;
        }
        out.push_back({dot(e, a, b, dim), p.same});
    }
    return out;
}

IdentificationResult identificationReport(const std::vector<CmcResult>& folds, const std::vector<std::string>& names,
                                          const std::vector<std::pair<size_t, size_t>>& sizes, int maxRank, const std::string& direction)
{
    IdentificationResult out;
    out.direction = direction;
    for (size_t i = 0; i < folds.size(); ++i) {
        const auto& c = folds[i];
        IdentificationFold f{
            names[i], {}, static_cast<long long>(c.probes), static_cast<long long>(sizes[i].second), static_cast<long long>(c.probesWithoutMate)};
        for (const int k : {1, 5, 10}) put(f.metrics, "rank" + std::to_string(k), c.rank(k));
        out.folds.push_back(f);
    }
    meanStd(out.folds, {"rank1", "rank5", "rank10"}, out.mean, out.stdev);
    out.cmc.assign(static_cast<size_t>(maxRank), 0.0);
    int counted = 0;
    for (const auto& c : folds) {
        if (c.cmc.empty() || c.probes == 0) continue;
        ++counted;
        for (int k = 0; k < maxRank; ++k) out.cmc[static_cast<size_t>(k)] += c.rank(k + 1);
    }
    for (auto& v : out.cmc) v = counted ? v / counted : std::nan("");
    return out;
}

CmcResult rankFold(const EmbeddedImages& emb, const data::DatasetIndex& index, const std::vector<int>& probe, const std::vector<int>& gallery,
                   int maxRank)
{
    std::vector<std::int64_t> pr, gr;
    std::vector<int> pid, gid;
    for (int i : probe)
        if (int r = emb.rowOf(i); r >= 0 && emb.ok[static_cast<size_t>(r)]) {
            pr.push_back(r);
            pid.push_back(index.images[static_cast<size_t>(i)].identity);
        }
    for (int i : gallery)
        if (int r = emb.rowOf(i); r >= 0 && emb.ok[static_cast<size_t>(r)]) {
            gr.push_back(r);
            gid.push_back(index.images[static_cast<size_t>(i)].identity);
        }
    if (pr.empty() || gr.empty()) return CmcResult{};
    const auto P = emb.embeddings.index_select(0, torch::tensor(pr, torch::kInt64));
    const auto G = emb.embeddings.index_select(0, torch::tensor(gr, torch::kInt64));
    const auto S = torch::mm(P, G.t()).contiguous();
    std::vector<float> scores(S.data_ptr<float>(), S.data_ptr<float>() + S.numel());
    return cmcFromScores(scores, pid, gid, maxRank);
}

// An image the closed-set classification scores: its row, its class and its modality.
struct ScoredImage {
    long row;
    std::int64_t cls;
    bool caricature;
};

// Per modality ([0] photos by the visual branch, [1] caricatures by the caricature branch): the
// share of images whose own branch predicts their class. `predicted` is [N, 3] class indices.
std::array<std::optional<double>, 2> branchAccuracy(const torch::Tensor& predicted, const std::vector<ScoredImage>& scored)
{
    const auto p = predicted.accessor<std::int64_t, 2>();
    long long correct[2] = {0, 0}, total[2] = {0, 0};
    for (const auto& s : scored) {
        ++total[s.caricature];
        correct[s.caricature] += p[s.row][s.caricature ? nn::kCaricature : nn::kVisual] == s.cls;
    }
    std::array<std::optional<double>, 2> out;
    for (int k = 0; k < 2; ++k)
        if (total[k]) out[static_cast<size_t>(k)] = static_cast<double>(correct[k]) / static_cast<double>(total[k]);
    return out;
}

// The same with the softmax restricted to the identities the list holds: the official code trains
// its heads on exactly those (195 classes for testing_1), while a CariLab run's heads also hold
// the training identities the list lacks, extra wrong answers the paper's figure never had.
// Skipped for networks without per-class probabilities.
void listedClassification(const EmbeddedImages& emb, const std::vector<ScoredImage>& scored, ClassificationResult& out)
{
    if (!emb.probabilities.defined() || scored.empty()) return;
    std::set<std::int64_t> listed;
    for (const auto& s : scored) listed.insert(s.cls);
    const auto keep = torch::tensor(std::vector<std::int64_t>(listed.begin(), listed.end()), torch::kInt64);
    const auto best = keep.index({emb.probabilities.index_select(2, keep).argmax(2)});  // [N, 3] class indices
    const auto acc = branchAccuracy(best, scored);
    out.listedIdentities = static_cast<long long>(listed.size());
    out.caricatureAccListed = acc[1];
    out.visualAccListed = acc[0];
}

// CaVI: closed-set classification of the list's images by their own branch, and Rank-k of its
// caricatures against its photos (and back) by embedding similarity.
void caviIdentification(const EmbeddedImages& emb, const std::vector<std::string>& classes, const data::DatasetIndex& index, int maxRank,
                        ProtocolOutcome& result)
{
    std::map<std::string, int> classOf;
    for (size_t c = 0; c < classes.size(); ++c) classOf[data::lowerAscii(classes[c])] = static_cast<int>(c);
    long long unknown = 0;
    std::vector<int> caricatures, photos;
    std::vector<ScoredImage> scored;
    for (size_t r = 0; r < emb.images.size(); ++r) {
        if (!emb.ok[r]) continue;
        const auto& rec = index.images[static_cast<size_t>(emb.images[r])];
        const bool isCari = rec.modality == data::Modality::Caricature;
        (isCari ? caricatures : photos).push_back(emb.images[r]);
        const auto it = classOf.find(data::lowerAscii(index.identities[static_cast<size_t>(rec.identity)]));
        if (it == classOf.end())
            ++unknown;
        else
            scored.push_back({static_cast<long>(r), it->second, isCari});
    }
    const auto acc = branchAccuracy(emb.predicted, scored);
    ClassificationResult c;
    c.caricatureAcc = acc[1];
    c.visualAcc = acc[0];
    c.caricatures = std::count_if(scored.begin(), scored.end(), [](const ScoredImage& s) { return s.caricature; });
    c.photos = static_cast<long long>(scored.size()) - *c.caricatures;
    c.imagesOfUnknownIdentities = unknown;
    listedClassification(emb, scored, c);
    result.classification = c;
    const auto c2p = rankFold(emb, index, caricatures, photos, maxRank);
    result.identification = identificationReport({c2p}, {"all"}, {{caricatures.size(), photos.size()}}, maxRank, "C2P");
    const auto p2c = rankFold(emb, index, photos, caricatures, maxRank);
    result.identificationP2C = identificationReport({p2c}, {"all"}, {{photos.size(), caricatures.size()}}, maxRank, "P2C");
}

// WebCaricature C2P/P2C: Rank-k and CMC per fold.
void webcariIdentification(const EmbeddedImages& emb, const data::DatasetIndex& index, const data::IdentificationProtocol& ident,
                           const ProtocolRequest& req, ProtocolOutcome& result)
{
    std::vector<CmcResult> folds;
    std::vector<std::string> foldNames;
    std::vector<std::pair<size_t, size_t>> sizes;
    for (const auto& f : ident.folds) {
        folds.push_back(rankFold(emb, index, f.probe, f.gallery, req.maxRank));
        foldNames.push_back(f.name);
        sizes.push_back({f.probe.size(), f.gallery.size()});
    }
    result.identification = identificationReport(folds, foldNames, sizes, req.maxRank, req.protocol == "webcari-c2p" ? "C2P" : "P2C");
    bool any = false;
    for (const auto& f : folds) any |= f.probes > 0;
    if (!any) throw std::runtime_error(ident.name + ": no probe could be ranked (no readable probe has a gallery image of its identity)");
}

std::vector<std::string> issueLines(const std::vector<data::ProtocolIssue>& issues, size_t limit = 50)
{
    std::vector<std::string> out;
    for (size_t i = 0; i < issues.size() && i < limit; ++i) out.push_back(issues[i].where() + ": " + issues[i].message);
    return out;
}

void checkRequest(const data::DatasetIndex& index, const ProtocolRequest& req)
{
    const auto& names = protocolNames();
    if (std::find(names.begin(), names.end(), req.protocol) == names.end()) {
        std::string all;
        for (const auto& n : names) all += (all.empty() ? "" : ", ") + n;
        throw std::runtime_error("unknown protocol '" + req.protocol + "' (known: " + all + ")");
    }
    const std::string wantFormat = req.protocol == "cavi" ? "cavi" : "webcaricature";
    if (index.format != wantFormat)
        throw std::runtime_error("protocol '" + req.protocol + "' needs a " + wantFormat + " dataset; " + index.root + " was read as '" +
                                 index.format + "' (pass --format " + wantFormat + " if detection guessed wrong)");
}

// The protocol's pairs (verification) or probes and galleries (identification), as listed.
struct ProtocolLists {
    std::optional<data::PairProtocol> pairs;
    std::optional<data::IdentificationProtocol> ident;
    std::vector<data::ProtocolIssue> issues;
};

ProtocolLists readLists(const data::DatasetIndex& index, const ProtocolRequest& req, ProtocolOutcome& result)
{
    ProtocolLists l;
    if (req.protocol == "cavi") {
        const std::string file = data::findCaviPairList(index, req.pairs);
        l.pairs = data::readCaviPairs(index, file, req.folds, req.seed);
        result.pairsFile = file;
        result.shuffleSeed = static_cast<long long>(req.seed);
    } else if (req.protocol == "webcari-restricted" || req.protocol == "webcari-unrestricted") {
        const bool restricted = req.protocol == "webcari-restricted";
        l.pairs = data::readWebcariVerification(index, restricted ? data::WebcariVerification::Restricted : data::WebcariVerification::Unrestricted,
                                                req.view);
        result.view = req.view;
    } else {
        const bool c2p = req.protocol == "webcari-c2p";
        l.ident = data::readWebcariIdentification(index, c2p ? data::WebcariDirection::C2P : data::WebcariDirection::P2C, req.view);
        result.view = req.view;
    }
    const auto& issues = l.pairs ? l.pairs->issues : l.ident->issues;
    result.name = l.pairs ? l.pairs->name : l.ident->name;
    l.issues.insert(l.issues.end(), issues.begin(), issues.end());
    if (l.pairs && l.pairs->pairCount() == 0)
        throw std::runtime_error(
            l.pairs->name + ": no usable pairs" +
            (l.issues.empty() ? std::string() : " (first problem: " + l.issues.front().where() + ": " + l.issues.front().message + ")"));
    return l;
}

// Verification of every fold (threshold from the tuning pairs or the other folds); the scores
// go to req.scoresCsv when set.
void verifyPairs(const data::PairProtocol& pairs, const EmbeddedImages& emb, const ProtocolRequest& req, ProtocolOutcome& result)
{
    long long dropped = 0;
    std::vector<ScoredFold> folds;
    std::vector<Pair> all;
    std::vector<int> foldOf;
    for (size_t f = 0; f < pairs.folds.size(); ++f) {
        folds.push_back({scorePairs(pairs.folds[f], emb, dropped)});
        all.insert(all.end(), folds.back().pairs.begin(), folds.back().pairs.end());
        foldOf.insert(foldOf.end(), folds.back().pairs.size(), static_cast<int>(f));
    }
    const auto tuning = scorePairs(pairs.tuning, emb, dropped);
    result.verification = verifyFolds(folds, tuning);
    result.verification->pairsDroppedUnreadable = dropped;
    if (!req.scoresCsv.empty()) {
        writeScoreFile(req.scoresCsv, all, foldOf);
        result.scoresCsv = req.scoresCsv;
    }
}

}  // namespace

std::vector<std::string> protocolNames() { return {"cavi", "webcari-restricted", "webcari-unrestricted", "webcari-c2p", "webcari-p2c"}; }

std::string protocolKey(const ProtocolRequest& r)
{
    if (r.protocol == "cavi") {
        std::string n = r.pairs;
        if (auto s = n.find_last_of("/\\"); s != std::string::npos) n = n.substr(s + 1);
        if (n.size() > 4 && n.compare(n.size() - 4, 4, ".txt") == 0) n.resize(n.size() - 4);
        return "cavi/" + n;
    }
    return r.protocol + "/view" + std::to_string(r.view);
}

VerificationResult verifyFolds(const std::vector<ScoredFold>& folds, const std::vector<Pair>& tuning)
{
    VerificationResult out;
    std::vector<Pair> pooled;
    // Thresholds for all folds at once: O(n log n) however many folds there are.
    std::vector<std::vector<Pair>> foldPairs;
    size_t totalPairs = 0;
    for (const auto& f : folds) {
        foldPairs.push_back(f.pairs);
        totalPairs += f.pairs.size();
    }
    const std::vector<double> otherFolds = tuning.empty() && folds.size() > 1 ? leaveOneFoldOutThresholds(foldPairs) : std::vector<double>{};
    const double tuned = tuning.empty() ? 0.0 : bestThreshold(tuning).threshold;
    for (size_t f = 0; f < folds.size(); ++f) {
        const auto& test = folds[f].pairs;
        pooled.insert(pooled.end(), test.begin(), test.end());
        const bool others = !otherFolds.empty() && test.size() < totalPairs;
        const double t = !tuning.empty() ? tuned : others ? otherFolds[f] : bestThreshold(test).threshold;
        long long pos = 0;
        for (const auto& p : test) pos += p.positive;
        VerificationFold v{std::to_string(f + 1), {}, static_cast<long long>(test.size()), pos, static_cast<long long>(test.size()) - pos, {}};
        v.thresholdFrom = !tuning.empty() ? "tuning set" : others ? "other folds" : "this fold (no other data: optimistic)";
        put(v.metrics, "auc", rocAuc(test));
        put(v.metrics, "eer", equalErrorRate(test).rate);
        put(v.metrics, "accuracy", accuracyAt(test, t));
        put(v.metrics, "threshold", t);
        for (const auto& [k, far] : kFars) put(v.metrics, k, valAtFar(test, far));
        out.folds.push_back(v);
    }
    meanStd(out.folds, {"auc", "eer", "accuracy", "val_far_0.1%", "val_far_1%", "threshold"}, out.mean, out.stdev);
    for (const auto& r : thinRoc(rocCurve(pooled))) out.roc.push_back({r.far, r.tar});
    out.pooledPairs = static_cast<long long>(pooled.size());
    put(out.pooled, "auc", rocAuc(pooled));
    put(out.pooled, "eer", equalErrorRate(pooled).rate);
    for (const auto& [k, far] : kFars) put(out.pooled, k, valAtFar(pooled, far));
    out.histogram = histogram(pooled, 40);
    return out;
}

ProtocolOutcome evaluateProtocol(nn::MultiTaskNet& net, const std::vector<std::string>& classes, const data::DatasetIndex& index,
                                 const data::PipelineOptions& pipeline, data::ImageCache& cache, torch::Device device, const ProtocolRequest& req,
                                 const EmbedProgress& progress)
{
    const auto embed = [&](const std::vector<int>& images) { return embedImages(net, index, images, cache, pipeline, req.batch, device, progress); };
    ProtocolOutcome result = evaluateProtocol(embed, classes, index, req);
    result.precision = nn::precisionName(net->inferencePrecision());
    return result;
}

ProtocolOutcome evaluateProtocol(const ImageEmbedder& embed, const std::vector<std::string>& classes, const data::DatasetIndex& index,
                                 const ProtocolRequest& req)
{
    checkRequest(index, req);
    ProtocolOutcome result;
    result.protocol = req.protocol;
    result.dataset = index.root;
    ProtocolLists lists = readLists(index, req, result);
    const std::vector<int> images = lists.pairs ? data::imagesOf(*lists.pairs) : data::imagesOf(*lists.ident);
    const EmbeddedImages emb = embed(images);
    lists.issues.insert(lists.issues.end(), emb.failures.begin(), emb.failures.end());
    result.images = static_cast<long long>(images.size());
    result.unreadableImages = static_cast<long long>(emb.failures.size());
    if (lists.pairs) verifyPairs(*lists.pairs, emb, req, result);
    if (req.protocol == "cavi") caviIdentification(emb, classes, index, req.maxRank, result);
    if (lists.ident) webcariIdentification(emb, index, *lists.ident, req, result);
    result.skipped = static_cast<long long>(lists.issues.size());
    result.issues = issueLines(lists.issues);
    return result;
}

}  // namespace carilab::eval
