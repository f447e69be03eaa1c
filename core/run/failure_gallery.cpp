#include "run/failure_gallery.h"

#include "data/cavi_protocol.h"
#include "data/dataset_registry.h"
#include "data/image_cache.h"
#include "data/protocol_files.h"
#include "eval/embedder.h"
#include "eval/protocol_eval.h"
#include "eval/verification_metrics.h"
#include "nn/tasks.h"
#include "run/dataset_fingerprint.h"
#include "run/eval_records.h"
#include "run/run_directory.h"

#include <algorithm>
#include <filesystem>
#include <set>
#include <stdexcept>

namespace carilab::run {

namespace {

std::optional<double> failureShare(long long correct, long long total)
{
    if (total <= 0) return std::nullopt;
    return static_cast<double>(correct) / static_cast<double>(total);
}

struct ScoredPair {
    data::VerificationPair pair;
    double score = 0;
};

// The run's own dataset (checked to be the one it trained on), or request.dataset.
data::DatasetIndex openDataset(const EvaluationRequest& request, const RunModel& model, const RunDirectory& rd)
{
    const bool own = request.dataset.empty();
    auto index =
        data::loadDataset(own ? model.config.dataset : request.dataset, own && request.format == "auto" ? model.config.format : request.format);
    if (own) checkRunDataset(rd, index);
    if (index.format != "cavi")
        throw std::runtime_error("failures needs a CaVI dataset; " + index.root + " was read as '" + index.format +
                                 "' (give the CaVI folder with --dataset PATH)");
    return index;
}

std::vector<int> imagesOfPairs(const std::vector<data::VerificationPair>& pairs)
{
    std::set<int> s;
    for (const auto& p : pairs) s.insert({p.caricature, p.photo});
    return {s.begin(), s.end()};
}

// Every pair whose two images were read, with its cosine score.
std::vector<ScoredPair> scorePairs(const std::vector<data::VerificationPair>& pairs, const eval::EmbeddedImages& emb, long long& dropped)
{
    std::vector<ScoredPair> out;
    for (const auto& p : pairs) {
        const int a = emb.rowOf(p.caricature), b = emb.rowOf(p.photo);
        if (a < 0 || b < 0 || !emb.ok[static_cast<size_t>(a)] || !emb.ok[static_cast<size_t>(b)]) {
            ++dropped;
            continue;
        }
        out.push_back({p, emb.embeddings[a].dot(emb.embeddings[b]).item<double>()});
    }
    return out;
}

// eval.json's threshold for the same key, when it describes this checkpoint on these pairs;
// else the best threshold on the pairs themselves. Says which, and why, in g.thresholdSource.
void chooseThreshold(const RunDirectory& rd, const std::vector<ScoredPair>& scored, const data::DatasetIndex& index, const FailureRequest& request,
                     FailureGallery& g)
{
    const EvalFile file = readEvalFile((std::filesystem::path(rd.path()) / "eval.json").string());
    std::string why =
        "eval.json has no " + g.key + " result (run `carilab-cli eval` with the same --pairs, --mirror and --zoom-out for the protocol's threshold)";
    if (const auto it = file.protocols.find(g.key); it != file.protocols.end()) {
        const ProtocolResult& r = it->second;
        const auto mean = r.verification ? r.verification->mean.find("threshold") : eval::MetricValues::const_iterator{};
        if (!r.verification || mean == r.verification->mean.end())
            why = "eval.json's " + g.key + " holds no threshold";
        else if (r.step && *r.step != g.step)
            why = "eval.json's " + g.key + " is of step " + std::to_string(*r.step) + ", not this checkpoint's step " + std::to_string(g.step);
        else if (!r.dataset.empty() && r.dataset != index.root)
            why = "eval.json's " + g.key + " was measured on " + r.dataset;
        else if (r.shuffleSeed && *r.shuffleSeed != static_cast<long long>(request.evaluation.seed))
            why = "eval.json's " + g.key + " folds were shuffled with seed " + std::to_string(*r.shuffleSeed);
        else {
            g.threshold = mean->second;
            g.thresholdSource = "eval.json " + g.key + ": mean of the " + std::to_string(r.verification->folds.size()) +
                " per-fold thresholds (each chosen on the other folds)";
            return;
        }
    }
    std::vector<eval::Pair> pairs;
    for (const auto& s : scored) pairs.push_back({s.score, s.pair.same});
    g.threshold = eval::bestThreshold(pairs).threshold;
    g.thresholdSource = "chosen on these pairs themselves (best accuracy; optimistic): " + why;
}

FailureImage imageOf(const data::DatasetIndex& index, int image)
{
    const auto& r = index.images[static_cast<size_t>(image)];
    return {image, r.path, index.identities[static_cast<size_t>(r.identity)], r.modality == data::Modality::Caricature ? "caricature" : "photo"};
}

// The worst `top` pairs that `failed` selects, ordered by `worse`.
template <class Failed, class Worse>
std::vector<FailurePair> worst(const std::vector<ScoredPair>& scored, const data::DatasetIndex& index, int top, long long& count, Failed failed,
                               Worse worse)
{
    std::vector<const ScoredPair*> f;
    for (const auto& s : scored)
        if (failed(s)) f.push_back(&s);
    count = static_cast<long long>(f.size());
    std::stable_sort(f.begin(), f.end(), [&](const ScoredPair* x, const ScoredPair* y) { return worse(x->score, y->score); });
    if (f.size() > static_cast<size_t>(std::max(0, top))) f.resize(static_cast<size_t>(std::max(0, top)));
    std::vector<FailurePair> out;
    for (size_t i = 0; i < f.size(); ++i)
        out.push_back(
            {static_cast<int>(i + 1), f[i]->score, f[i]->pair.same, imageOf(index, f[i]->pair.caricature), imageOf(index, f[i]->pair.photo)});
    return out;
}

void listFailures(const std::vector<ScoredPair>& scored, const data::DatasetIndex& index, int top, FailureGallery& g)
{
    const double t = g.threshold;
    g.falseAccepts = worst(
        scored, index, top, g.falseAcceptCount, [t](const ScoredPair& s) { return !s.pair.same && s.score >= t; },
        [](double x, double y) { return x > y; });
    g.falseRejects = worst(
        scored, index, top, g.falseRejectCount, [t](const ScoredPair& s) { return s.pair.same && s.score < t; },
        [](double x, double y) { return x < y; });
}

// Verification figures per identity: a pair counts once for each identity it involves.
std::map<int, IdentityFigures> verificationByIdentity(const std::vector<ScoredPair>& scored, const data::DatasetIndex& index, double threshold)
{
    std::map<int, IdentityFigures> by;
    for (const auto& s : scored) {
        const bool correct = (s.score >= threshold) == s.pair.same;
        std::set<int> ids{index.images[static_cast<size_t>(s.pair.caricature)].identity, index.images[static_cast<size_t>(s.pair.photo)].identity};
        for (const int id : ids) {
            auto& f = by[id];
            f.identity = index.identities[static_cast<size_t>(id)];
            ++f.pairs;
            f.pairsCorrect += correct;
        }
    }
    return by;
}

// The classification heads' predictions on the list's images: each image by its own modality's
// branch, for identities the run was trained on; caricature confusions counted by name.
void identificationByIdentity(const eval::EmbeddedImages& emb, const std::vector<std::string>& classes, const data::DatasetIndex& index,
                              std::map<int, IdentityFigures>& by, std::vector<Confusion>& confusions)
{
    std::map<std::string, int> classOf;
    for (size_t c = 0; c < classes.size(); ++c) classOf[data::lowerAscii(classes[c])] = static_cast<int>(c);
    const auto p = emb.predicted.accessor<std::int64_t, 2>();
    std::map<std::pair<std::string, std::string>, long long> confused;
    for (size_t r = 0; r < emb.images.size(); ++r) {
        const auto& rec = index.images[static_cast<size_t>(emb.images[r])];
        const auto it = classOf.find(data::lowerAscii(index.identities[static_cast<size_t>(rec.identity)]));
        if (!emb.ok[r] || it == classOf.end() || !by.count(rec.identity)) continue;
        auto& f = by[rec.identity];
        f.knownToRun = true;
        const bool cari = rec.modality == data::Modality::Caricature;
        const std::int64_t predicted = p[static_cast<long>(r)][cari ? nn::kCaricature : nn::kVisual];
        if (predicted < 0) continue;  // a network without classification heads
        const bool correct = predicted == it->second;
        (cari ? f.caricatures : f.photos) += 1;
        (cari ? f.caricaturesCorrect : f.photosCorrect) += correct;
        if (cari && !correct) ++confused[{f.identity, classes[static_cast<size_t>(predicted)]}];
    }
    for (const auto& [names, n] : confused) confusions.push_back({names.first, names.second, n});
    std::stable_sort(confusions.begin(), confusions.end(), [](const Confusion& x, const Confusion& y) { return x.count > y.count; });
}

// The listed pairs' images cropped as the network's pipeline crops them (before normalising).
void cropListed(const RunModel& model, const data::DatasetIndex& index, FailureGallery& g)
{
    // As the evaluation's cache: face-api's crop from the image as decoded, others from a 320-px copy.
    data::ImageCache cache(1ull << 28, model.pipeline.faceApiCrop ? 0 : 320);
    g.cropSize = model.pipeline.size;
    for (const auto* list : {&g.falseAccepts, &g.falseRejects})
        for (const auto& p : *list)
            for (const auto* im : {&p.a, &p.b}) {
                if (g.crops.count(im->image)) continue;
                const auto& r = index.images[static_cast<size_t>(im->image)];
                double scale = 1.0;
                const cv::Mat img = cache.get(index.absolutePath(r), &scale);
                g.crops[im->image] = data::cropFace(img, data::scaled(r.landmarks, scale), model.pipeline, nullptr,
                                                    data::scaled(data::cropBoxFor(r, model.pipeline), scale));
            }
}

}  // namespace

std::optional<double> IdentityFigures::verificationAccuracy() const { return failureShare(pairsCorrect, pairs); }
std::optional<double> IdentityFigures::caricatureAccuracy() const { return failureShare(caricaturesCorrect, caricatures); }
std::optional<double> IdentityFigures::visualAccuracy() const { return failureShare(photosCorrect, photos); }

FailureGallery analyseFailures(const FailureRequest& request, const EvaluationProgress& progress, const WarningSink& warn)
{
    const EvaluationRequest& req = request.evaluation;
    if (req.protocol != "cavi") throw std::invalid_argument("failures supports the CaVI protocol only (--protocol cavi), not '" + req.protocol + "'");
    if (req.batch < 1) throw std::invalid_argument("the batch must hold at least one image");
    const RunDirectory rd = RunDirectory::open(req.runDir);
    RunModel model = loadRunModel(req.runDir, req.checkpoint, req.device);
    applyInferenceSettings(model, req);
    const auto index = openDataset(req, model, rd);
    FailureGallery g;
    g.run = rd.path();
    g.checkpoint = model.checkpoint;
    g.step = model.step;
    g.key = evaluationKey(req);
    g.dataset = index.root;
    g.pairsFile = data::findCaviPairList(index, req.pairs);
    std::vector<data::ProtocolIssue> issues;
    const auto pairs = data::readCaviPairsInFileOrder(index, g.pairsFile, &issues);
    g.skippedLines = static_cast<long long>(issues.size());
    if (!issues.empty())
        g.notes.push_back(std::to_string(issues.size()) + " lines of the pair list were skipped (first: " + issues.front().where() + ": " +
                          issues.front().message + ")");
    if (pairs.empty()) throw std::runtime_error(g.pairsFile + ": no usable pairs");

    data::ImageCache cache(1ull << 30, model.pipeline.faceApiCrop ? 0 : 320);
    const auto emb = eval::embedImages(model.net, index, imagesOfPairs(pairs), cache, model.pipeline, req.batch, model.device, progress);
    g.unreadableImages = static_cast<long long>(emb.failures.size());
    if (!emb.failures.empty() && warn)
        warn(std::to_string(emb.failures.size()) + " images could not be read (first: " + emb.failures.front().file + ")");
    const auto scored = scorePairs(pairs, emb, g.pairsDropped);
    if (scored.empty()) throw std::runtime_error(g.pairsFile + ": no pair could be scored (their images could not be read)");
    g.pairs = static_cast<long long>(scored.size());
    g.positives = std::count_if(scored.begin(), scored.end(), [](const ScoredPair& s) { return s.pair.same; });
    g.negatives = g.pairs - g.positives;

    chooseThreshold(rd, scored, index, request, g);
    listFailures(scored, index, request.top, g);
    auto by = verificationByIdentity(scored, index, g.threshold);
    identificationByIdentity(emb, model.classes, index, by, g.confusions);
    for (auto& [id, f] : by) g.identities.push_back(std::move(f));
    std::sort(g.identities.begin(), g.identities.end(), [](const IdentityFigures& x, const IdentityFigures& y) { return x.identity < y.identity; });
    cropListed(model, index, g);
    return g;
}

}  // namespace carilab::run
