#include "eval/protocol_eval.h"

#include "data/cavi_protocol.h"
#include "data/webcari_protocol.h"
#include "eval/fold_thresholds.h"
#include "eval/identification_metrics.h"
#include "eval/score_file.h"
#include "nn/tasks.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

namespace carilab::eval {

namespace {

using nlohmann::json;

const std::vector<std::pair<std::string, double>> kFars = {{"val_far_0.1%", 1e-3}, {"val_far_1%", 1e-2}};

json meanStd(const std::vector<json>& folds, const std::vector<std::string>& keys, json& stdOut)
{
    json mean = json::object();
    stdOut = json::object();
    for (const auto& k : keys) {
        std::vector<double> v;
        for (const auto& f : folds)
            if (f.contains(k) && f[k].is_number() && std::isfinite(f[k].get<double>())) v.push_back(f[k].get<double>());
        if (v.empty()) continue;
        double m = 0, s = 0;
        for (double x : v) m += x;
        m /= (double)v.size();
        for (double x : v) s += (x - m) * (x - m);
        mean[k] = m;
        stdOut[k] = std::sqrt(s / (double)v.size());
    }
    return mean;
}

json histogram(const std::vector<Pair>& pairs, int bins)
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
    std::vector<long long> g((size_t)bins, 0), im((size_t)bins, 0);
    for (const auto& p : pairs) {
        const int b = std::clamp((int)((p.score - lo) / (hi - lo) * bins), 0, bins - 1);
        ++(p.positive ? g : im)[(size_t)b];
    }
    return {{"min", lo}, {"max", hi}, {"genuine", g}, {"impostor", im}};
}

double dot(const torch::TensorAccessor<float, 2>& e, int a, int b, std::int64_t dim)
{
    double s = 0;
    for (std::int64_t k = 0; k < dim; ++k) s += (double)e[a][k] * e[b][k];
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
        if (a < 0 || b < 0 || !emb.ok[(size_t)a] || !emb.ok[(size_t)b]) {
            ++dropped;
            continue;
        }
        out.push_back({dot(e, a, b, dim), p.same});
    }
    return out;
}

json identificationReport(const std::vector<CmcResult>& folds, const std::vector<std::string>& names,
                          const std::vector<std::pair<size_t, size_t>>& sizes, int maxRank)
{
    std::vector<json> per;
    for (size_t i = 0; i < folds.size(); ++i) {
        const auto& c = folds[i];
        per.push_back({{"fold", names[i]},
                       {"probes", c.probes},
                       {"gallery", sizes[i].second},
                       {"probes_without_mate", c.probesWithoutMate},
                       {"rank1", c.rank(1)},
                       {"rank5", c.rank(5)},
                       {"rank10", c.rank(10)}});
    }
    json sd;
    json mean = meanStd(per, {"rank1", "rank5", "rank10"}, sd);
    std::vector<double> cmc((size_t)maxRank, 0.0);
    int counted = 0;
    for (const auto& c : folds) {
        if (c.cmc.empty() || c.probes == 0) continue;
        ++counted;
        for (int k = 0; k < maxRank; ++k) cmc[(size_t)k] += c.rank(k + 1);
    }
    for (auto& v : cmc) v = counted ? v / counted : std::nan("");
    return {{"folds", per}, {"mean", mean}, {"std", sd}, {"cmc", cmc}};
}

CmcResult rankFold(const EmbeddedImages& emb, const data::DatasetIndex& index, const std::vector<int>& probe, const std::vector<int>& gallery,
                   int maxRank)
{
    std::vector<std::int64_t> pr, gr;
    std::vector<int> pid, gid;
    for (int i : probe)
        if (int r = emb.rowOf(i); r >= 0 && emb.ok[(size_t)r]) {
            pr.push_back(r);
            pid.push_back(index.images[(size_t)i].identity);
        }
    for (int i : gallery)
        if (int r = emb.rowOf(i); r >= 0 && emb.ok[(size_t)r]) {
            gr.push_back(r);
            gid.push_back(index.images[(size_t)i].identity);
        }
    if (pr.empty() || gr.empty()) return CmcResult{};
    const auto P = emb.embeddings.index_select(0, torch::tensor(pr, torch::kInt64));
    const auto G = emb.embeddings.index_select(0, torch::tensor(gr, torch::kInt64));
    const auto S = torch::mm(P, G.t()).contiguous();
    std::vector<float> scores(S.data_ptr<float>(), S.data_ptr<float>() + S.numel());
    return cmcFromScores(scores, pid, gid, maxRank);
}

// The same classification with the softmax restricted to the identities the list holds: the
// official code trains its heads on exactly those (195 classes for testing_1), while a CariLab
// run's heads also hold the training identities the list lacks, extra wrong answers the paper's
// figure never had. Skipped for networks without per-class probabilities.
void listedClassification(const EmbeddedImages& emb, const std::map<std::string, int>& classOf, const data::DatasetIndex& index, json& out)
{
    if (!emb.probabilities.defined()) return;
    std::vector<std::pair<size_t, int>> scored;  // row, class
    std::set<int> listed;
    for (size_t r = 0; r < emb.images.size(); ++r) {
        if (!emb.ok[r]) continue;
        const auto it = classOf.find(data::lowerAscii(index.identities[(size_t)index.images[(size_t)emb.images[r]].identity]));
        if (it == classOf.end()) continue;
        scored.emplace_back(r, it->second);
        listed.insert(it->second);
    }
    if (listed.empty()) return;
    const auto keep = torch::tensor(std::vector<std::int64_t>(listed.begin(), listed.end()), torch::kInt64);
    const auto probs = emb.probabilities.index_select(2, keep);  // [N, 3, listed]
    long long correct[2] = {0, 0}, total[2] = {0, 0};
    for (const auto& [r, cls] : scored) {
        const bool isCari = index.images[(size_t)emb.images[r]].modality == data::Modality::Caricature;
        const int branch = isCari ? nn::kCaricature : nn::kVisual;
        const auto best = keep[probs[(long)r][branch].argmax().item<std::int64_t>()].item<std::int64_t>();
        ++total[isCari];
        correct[isCari] += best == cls;
    }
    auto acc = [&](int k) { return total[k] ? (double)correct[k] / (double)total[k] : std::nan(""); };
    out["listed_identities"] = (long long)listed.size();
    out["caricature_acc_listed"] = acc(1);
    out["visual_acc_listed"] = acc(0);
}

// CaVI: closed-set classification of the list's images by their own branch, and Rank-k of its
// caricatures against its photos (and back) by embedding similarity.
void caviIdentification(const EmbeddedImages& emb, const std::vector<std::string>& classes, const data::DatasetIndex& index, int maxRank,
                        json& result)
{
    std::map<std::string, int> classOf;
    for (size_t c = 0; c < classes.size(); ++c) classOf[data::lowerAscii(classes[c])] = (int)c;
    long long correct[2] = {0, 0}, total[2] = {0, 0}, unknown = 0;
    std::vector<int> caricatures, photos;
    for (size_t r = 0; r < emb.images.size(); ++r) {
        if (!emb.ok[r]) continue;
        const auto& rec = index.images[(size_t)emb.images[r]];
        const bool isCari = rec.modality == data::Modality::Caricature;
        (isCari ? caricatures : photos).push_back(emb.images[r]);
        auto it = classOf.find(data::lowerAscii(index.identities[(size_t)rec.identity]));
        if (it == classOf.end()) {
            ++unknown;
            continue;
        }
        const int branch = isCari ? nn::kCaricature : nn::kVisual;
        ++total[isCari];
        correct[isCari] += emb.predicted[(long)r][branch].item<std::int64_t>() == it->second;
    }
    auto acc = [&](int k) { return total[k] ? (double)correct[k] / (double)total[k] : std::nan(""); };
    result["classification"] = {{"caricature_acc", acc(1)},
                                {"caricatures", total[1]},
                                {"visual_acc", acc(0)},
                                {"photos", total[0]},
                                {"images_of_unknown_identities", unknown}};
    listedClassification(emb, classOf, index, result["classification"]);
    const auto c2p = rankFold(emb, index, caricatures, photos, maxRank);
    result["identification"] = identificationReport({c2p}, {"all"}, {{caricatures.size(), photos.size()}}, maxRank);
    result["identification"]["direction"] = "C2P";
    const auto p2c = rankFold(emb, index, photos, caricatures, maxRank);
    result["identification_p2c"] = identificationReport({p2c}, {"all"}, {{photos.size(), caricatures.size()}}, maxRank);
    result["identification_p2c"]["direction"] = "P2C";
}

// WebCaricature C2P/P2C: Rank-k and CMC per fold.
void webcariIdentification(const EmbeddedImages& emb, const data::DatasetIndex& index, const data::IdentificationProtocol& ident,
                           const ProtocolRequest& req, json& result)
{
    std::vector<CmcResult> folds;
    std::vector<std::string> foldNames;
    std::vector<std::pair<size_t, size_t>> sizes;
    for (const auto& f : ident.folds) {
        folds.push_back(rankFold(emb, index, f.probe, f.gallery, req.maxRank));
        foldNames.push_back(f.name);
        sizes.push_back({f.probe.size(), f.gallery.size()});
    }
    result["identification"] = identificationReport(folds, foldNames, sizes, req.maxRank);
    result["identification"]["direction"] = req.protocol == "webcari-c2p" ? "C2P" : "P2C";
    bool any = false;
    for (const auto& f : folds) any |= f.probes > 0;
    if (!any) throw std::runtime_error(ident.name + ": no probe could be ranked (no readable probe has a gallery image of its identity)");
}

json issuesJson(const std::vector<data::ProtocolIssue>& issues, size_t limit = 50)
{
    json a = json::array();
    for (size_t i = 0; i < issues.size() && i < limit; ++i) a.push_back(issues[i].where() + ": " + issues[i].message);
    return a;
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

json verificationReport(const std::vector<ScoredFold>& folds, const std::vector<Pair>& tuning)
{
    std::vector<json> per;
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
        std::string tunedOn = !tuning.empty() ? "tuning set" : others ? "other folds" : "this fold (no other data: optimistic)";
        const double t = !tuning.empty() ? tuned : others ? otherFolds[f] : bestThreshold(test).threshold;
        long long pos = 0;
        for (const auto& p : test) pos += p.positive;
        json j = {{"fold", f + 1},
                  {"pairs", test.size()},
                  {"positives", pos},
                  {"negatives", (long long)test.size() - pos},
                  {"auc", rocAuc(test)},
                  {"eer", equalErrorRate(test).rate},
                  {"accuracy", accuracyAt(test, t)},
                  {"threshold", t},
                  {"threshold_from", tunedOn}};
        for (const auto& [k, far] : kFars) j[k] = valAtFar(test, far);
        per.push_back(j);
    }
    json sd;
    json mean = meanStd(per, {"auc", "eer", "accuracy", "val_far_0.1%", "val_far_1%", "threshold"}, sd);
    json roc = json::array();
    for (const auto& r : thinRoc(rocCurve(pooled))) roc.push_back({r.far, r.tar});
    json pooledJ = {{"pairs", pooled.size()}, {"auc", rocAuc(pooled)}, {"eer", equalErrorRate(pooled).rate}};
    for (const auto& [k, far] : kFars) pooledJ[k] = valAtFar(pooled, far);
    return {{"folds", per}, {"mean", mean}, {"std", sd}, {"pooled", pooledJ}, {"roc", roc}, {"histogram", histogram(pooled, 40)}};
}

json evaluateProtocol(nn::MultiTaskNet& net, const std::vector<std::string>& classes, const data::DatasetIndex& index,
                      const data::PipelineOptions& pipeline, data::ImageCache& cache, torch::Device device, const ProtocolRequest& req,
                      const EmbedProgress& progress)
{
    const auto embed = [&](const std::vector<int>& images) { return embedImages(net, index, images, cache, pipeline, req.batch, device, progress); };
    json result = evaluateProtocol(embed, classes, index, req);
    result["precision"] = nn::precisionName(net->inferencePrecision());
    return result;
}

json evaluateProtocol(const ImageEmbedder& embed, const std::vector<std::string>& classes, const data::DatasetIndex& index,
                      const ProtocolRequest& req)
{
    const auto& names = protocolNames();
    if (std::find(names.begin(), names.end(), req.protocol) == names.end()) {
        std::string all;
        for (const auto& n : names) all += (all.empty() ? "" : ", ") + n;
        throw std::runtime_error("unknown protocol '" + req.protocol + "' (known: " + all + ")");
    }
    const bool cavi = req.protocol == "cavi";
    const std::string wantFormat = cavi ? "cavi" : "webcaricature";
    if (index.format != wantFormat)
        throw std::runtime_error("protocol '" + req.protocol + "' needs a " + wantFormat + " dataset; " + index.root + " was read as '" +
                                 index.format + "' (pass --format " + wantFormat + " if detection guessed wrong)");

    json result = {{"protocol", req.protocol}, {"dataset", index.root}};
    std::vector<data::ProtocolIssue> issues;
    std::vector<data::PairProtocol> pairProtocols;
    std::optional<data::PairProtocol> pairs;
    std::optional<data::IdentificationProtocol> ident;
    if (cavi) {
        const std::string file = data::findCaviPairList(index, req.pairs);
        pairs = data::readCaviPairs(index, file, req.folds, req.seed);
        result["pairs_file"] = file;
        result["shuffle_seed"] = req.seed;
    } else if (req.protocol == "webcari-restricted" || req.protocol == "webcari-unrestricted") {
        pairs = data::readWebcariVerification(
            index, req.protocol == "webcari-restricted" ? data::WebcariVerification::Restricted : data::WebcariVerification::Unrestricted, req.view);
        result["view"] = req.view;
    } else {
        ident = data::readWebcariIdentification(index, req.protocol == "webcari-c2p" ? data::WebcariDirection::C2P : data::WebcariDirection::P2C,
                                                req.view);
        result["view"] = req.view;
    }
    if (pairs) {
        result["name"] = pairs->name;
        issues.insert(issues.end(), pairs->issues.begin(), pairs->issues.end());
        if (pairs->pairCount() == 0)
            throw std::runtime_error(
                pairs->name + ": no usable pairs" +
                (issues.empty() ? std::string() : " (first problem: " + issues.front().where() + ": " + issues.front().message + ")"));
    } else {
        result["name"] = ident->name;
        issues.insert(issues.end(), ident->issues.begin(), ident->issues.end());
    }

    const std::vector<int> images = pairs ? data::imagesOf(*pairs) : data::imagesOf(*ident);
    const EmbeddedImages emb = embed(images);
    issues.insert(issues.end(), emb.failures.begin(), emb.failures.end());
    result["images"] = images.size();
    result["unreadable_images"] = emb.failures.size();

    if (pairs) {
        long long dropped = 0;
        std::vector<ScoredFold> folds;
        std::vector<Pair> all;
        std::vector<int> foldOf;
        for (size_t f = 0; f < pairs->folds.size(); ++f) {
            folds.push_back({scorePairs(pairs->folds[f], emb, dropped)});
            all.insert(all.end(), folds.back().pairs.begin(), folds.back().pairs.end());
            foldOf.insert(foldOf.end(), folds.back().pairs.size(), (int)f);
        }
        const auto tuning = scorePairs(pairs->tuning, emb, dropped);
        result["verification"] = verificationReport(folds, tuning);
        result["verification"]["pairs_dropped_unreadable"] = dropped;
        if (!req.scoresCsv.empty()) {
            writeScoreFile(req.scoresCsv, all, foldOf);
            result["scores_csv"] = req.scoresCsv;
        }
    }
    if (cavi) caviIdentification(emb, classes, index, req.maxRank, result);
    if (ident) webcariIdentification(emb, index, *ident, req, result);
    result["skipped"] = issues.size();
    result["issues"] = issuesJson(issues);
    return result;
}

std::string formatProtocolTable(const json& r)
{
    std::ostringstream o;
    char buf[256];
    auto pct = [&](const json& j, const char* k) -> std::string {
        if (!j.contains(k) || !j[k].is_number()) return "   -   ";
        std::snprintf(buf, sizeof buf, "%6.2f%%", 100.0 * j[k].get<double>());
        return buf;
    };
    auto pm = [&](const json& m, const json& s, const char* k) -> std::string {
        if (!m.contains(k)) return "        -        ";
        std::snprintf(buf, sizeof buf, "%6.2f%% +- %5.2f", 100.0 * m[k].get<double>(), 100.0 * s.value(k, 0.0));
        return buf;
    };
    o << r.value("name", r.value("protocol", std::string())) << "  (" << r.value("dataset", std::string()) << ")\n";
    if (r.contains("verification")) {
        const auto& v = r["verification"];
        o << "\nVerification      AUC       VAL@FAR=0.1%  VAL@FAR=1%    Accuracy      EER       pairs\n";
        for (const auto& f : v["folds"]) {
            std::snprintf(buf, sizeof buf, "  fold %-3d      ", f["fold"].get<int>());
            o << buf << pct(f, "auc") << "    " << pct(f, "val_far_0.1%") << "      " << pct(f, "val_far_1%") << "      " << pct(f, "accuracy")
              << "     " << pct(f, "eer") << "   " << f["pairs"].get<long long>() << "\n";
        }
        o << "  mean +- std\n"
          << "    AUC          " << pm(v["mean"], v["std"], "auc") << "\n"
          << "    VAL@FAR=0.1% " << pm(v["mean"], v["std"], "val_far_0.1%") << "\n"
          << "    VAL@FAR=1%   " << pm(v["mean"], v["std"], "val_far_1%") << "\n"
          << "    Accuracy     " << pm(v["mean"], v["std"], "accuracy") << "\n"
          << "    EER          " << pm(v["mean"], v["std"], "eer") << "\n";
    }
    if (r.contains("classification")) {
        const auto& c = r["classification"];
        o << "\nIdentification (closed set, softmax)\n"
          << "  caricature branch on caricatures  " << pct(c, "caricature_acc") << "  (" << c["caricatures"].get<long long>() << " images)\n"
          << "  visual branch on photos           " << pct(c, "visual_acc") << "  (" << c["photos"].get<long long>() << " images)\n";
        if (c.value("images_of_unknown_identities", 0LL) > 0)
            o << "  " << c["images_of_unknown_identities"].get<long long>() << " image(s) of identities the run was not trained on: not scored\n";
        if (c.contains("listed_identities"))
            o << "  among the list's " << c["listed_identities"].get<long long>() << " identities only (the official code's classes):\n"
              << "  caricature branch on caricatures  " << pct(c, "caricature_acc_listed") << "\n"
              << "  visual branch on photos           " << pct(c, "visual_acc_listed") << "\n";
    }
    for (const char* key : {"identification", "identification_p2c"}) {
        if (!r.contains(key)) continue;
        const auto& id = r[key];
        o << "\nIdentification by embedding (" << id.value("direction", std::string()) << ")   Rank-1     Rank-10    probes  gallery\n";
        for (const auto& f : id["folds"]) {
            std::snprintf(buf, sizeof buf, "  fold %-8s                     ", f["fold"].get<std::string>().c_str());
            o << buf << pct(f, "rank1") << "    " << pct(f, "rank10") << "   " << f["probes"].get<long long>() << "  "
              << f["gallery"].get<long long>() << "\n";
        }
        o << "  mean +- std  Rank-1 " << pm(id["mean"], id["std"], "rank1") << "   Rank-10 " << pm(id["mean"], id["std"], "rank10") << "\n";
    }
    const long long skipped = r.value("skipped", 0LL);
    if (skipped > 0) {
        o << "\n" << skipped << " item(s) skipped:\n";
        for (const auto& m : r["issues"]) o << "  " << m.get<std::string>() << "\n";
        if (skipped > (long long)r["issues"].size()) o << "  ... (" << skipped - (long long)r["issues"].size() << " more)\n";
    }
    return o.str();
}

}  // namespace carilab::eval
