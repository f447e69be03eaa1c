#include "run/embedding_map.h"

#include "data/dataset_registry.h"
#include "data/image_cache.h"
#include "eval/embedder.h"
#include "eval/embedding_projection.h"
#include "eval/embedding_quality.h"
#include "eval/tsne.h"
#include "run/dataset_fingerprint.h"
#include "run/run_directory.h"
#include "run/run_model.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <numeric>
#include <random>
#include <sstream>

namespace carilab::run {

namespace {

double mapSecondsSince(std::chrono::steady_clock::time_point t0)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void checkMapRequest(const EmbeddingMapRequest& r)
{
    if (r.runDir.empty() == r.pretrained.empty()) throw std::invalid_argument("give either a run or a pretrained model (face-resnet) to embed with");
    if (!r.pretrained.empty() && r.dataset.empty())
        throw std::invalid_argument("the pretrained model needs a dataset (it has no run to take one from)");
    if (r.method != "pca" && r.method != "tsne") throw std::invalid_argument("unknown projection '" + r.method + "' (known: pca, tsne)");
    if (!(r.perplexity >= 2 && r.perplexity <= 1000)) throw std::invalid_argument("the t-SNE perplexity must be within [2, 1000]");
    if (r.iterations < 1) throw std::invalid_argument("t-SNE needs at least one iteration");
    if (r.maxPoints < -1) throw std::invalid_argument("the point cap must be -1 (the method's default), 0 (all) or a count");
    if (r.batch < 1) throw std::invalid_argument("the batch must hold at least one image");
}

// The model and its dataset, as eval loads them: a run's own dataset is checked to be the one
// it trained on; the zero-shot model crops as fits the dataset.
struct LoadedModel {
    RunModel model;
    data::DatasetIndex index;
};

LoadedModel loadModelAndDataset(const EmbeddingMapRequest& r, const WarningSink& warn)
{
    LoadedModel m;
    if (!r.pretrained.empty()) {
        m.model = loadPretrainedModel(r.pretrained, r.device);
        m.index = data::loadDataset(r.dataset, r.format);
        useDatasetCrop(m.model, m.index);
    } else {
        const RunDirectory rd = RunDirectory::open(r.runDir);
        m.model = loadRunModel(r.runDir, r.checkpoint, r.device);
        const bool own = r.dataset.empty();
        m.index = data::loadDataset(own ? m.model.config.dataset : r.dataset, own && r.format == "auto" ? m.model.config.format : r.format);
        if (own) checkRunDataset(rd, m.index);
    }
    const auto boxes = std::count_if(m.index.images.begin(), m.index.images.end(), [](const auto& im) { return im.faceApiBox.has_value(); });
    if (m.model.pipeline.faceApiCrop && boxes * 2 < static_cast<long>(m.index.images.size()) && warn)
        warn("only " + std::to_string(boxes) + " of " + std::to_string(m.index.images.size()) +
             " images have a face box; the others are described whole. Run `carilab-cli dataset align " + m.index.root + "` first.");
    return m;
}

// Every image, or a seeded random sample of maxPoints of them, in dataset order.
std::vector<int> chooseImages(std::size_t total, int maxPoints, std::uint64_t seed)
{
    std::vector<int> all(total);
    std::iota(all.begin(), all.end(), 0);
    if (maxPoints <= 0 || total <= static_cast<std::size_t>(maxPoints)) return all;
    std::mt19937_64 rng(seed);
    std::shuffle(all.begin(), all.end(), rng);
    all.resize(static_cast<std::size_t>(maxPoints));
    std::sort(all.begin(), all.end());
    return all;
}

int effectiveCap(const EmbeddingMapRequest& r)
{
    if (r.maxPoints >= 0) return r.maxPoints;
    return r.method == "tsne" ? kDefaultTsneMaxPoints : 0;
}

// The readable rows' embeddings and their points (without coordinates yet).
torch::Tensor keepReadable(const eval::EmbeddedImages& emb, const data::DatasetIndex& index, EmbeddingMap& map)
{
    std::vector<std::int64_t> rows;
    for (std::size_t r = 0; r < emb.images.size(); ++r) {
        if (!emb.ok[r]) continue;
        const auto& rec = index.images[static_cast<std::size_t>(emb.images[r])];
        MapPoint p;
        p.image = emb.images[r];
        p.identity = rec.identity;
        p.modality = data::modalityName(rec.modality);
        p.path = rec.path;
        p.absolutePath = index.absolutePath(rec);
        map.points.push_back(std::move(p));
        rows.push_back(static_cast<std::int64_t>(r));
    }
    map.unreadable = static_cast<long long>(emb.images.size() - rows.size());
    return emb.embeddings.index_select(0, torch::tensor(rows, torch::kLong)).to(torch::kFloat32);
}

torch::Tensor projectMap(const torch::Tensor& x, const EmbeddingMapRequest& r, const MapProgress& progress, const CancelCheck& cancelled,
                         EmbeddingMap& map)
{
    if (r.method == "pca") {
        if (progress) progress("projecting", 0, 1);
        auto pca = eval::pca2d(x);
        map.explainedVariance = pca.explainedVariance;
        if (progress) progress("projecting", 1, 1);
        return pca.layout;
    }
    eval::TsneOptions o;
    o.perplexity = r.perplexity;
    o.seed = r.seed;
    o.iterations = r.iterations;
    try {
        auto t = eval::tsne(x, o, [&](int it, int total) {
            if (progress) progress("projecting", static_cast<std::size_t>(it), static_cast<std::size_t>(total));
            return !(cancelled && cancelled());
        });
        map.perplexity = t.perplexityUsed;
        map.klDivergence = t.klDivergence;
        map.iterations = t.iterations;
        return t.layout;
    } catch (const eval::TsneCancelled&) {
        throw EvaluationCancelled();
    }
}

void measureMap(const torch::Tensor& full, const torch::Tensor& layout, EmbeddingMap& map)
{
    std::vector<int> labels;
    for (const auto& p : map.points) labels.push_back(p.identity);
    map.quality.trustworthinessK = eval::kTrustworthinessK;
    map.quality.trustworthiness = eval::trustworthiness(full, layout, eval::kTrustworthinessK);
    map.quality.voteK = eval::kIdentityVoteK;
    map.quality.knnAccuracyMap = eval::knnIdentityAccuracy(layout, labels, eval::kIdentityVoteK);
    map.quality.knnAccuracyFull = eval::knnIdentityAccuracy(full, labels, eval::kIdentityVoteK);
}

std::string mapPercent(double share)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f%%", 100.0 * share);
    return buf;
}

std::string mapCsvField(const std::string& s)
{
    if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}

}  // namespace

EmbeddingMap computeEmbeddingMap(const EmbeddingMapRequest& request, const MapProgress& progress, const CancelCheck& cancelled,
                                 const WarningSink& warn)
{
    checkMapRequest(request);
    if (progress) progress("loading", 0, 1);
    LoadedModel loaded = loadModelAndDataset(request, warn);
    const RunModel& model = loaded.model;
    const data::DatasetIndex& index = loaded.index;
    EmbeddingMap map;
    map.model = model.pretrained.empty() ? "run " + request.runDir + ", step " + std::to_string(model.step)
                                         : "pretrained " + model.pretrained + " (zero-shot)";
    map.checkpoint = model.checkpoint;
    map.step = model.step;
    map.dataset = index.root;
    map.format = index.format;
    map.identities = index.identities;
    map.method = request.method;
    map.seed = request.seed;
    map.datasetImages = static_cast<long long>(index.images.size());
    const auto images = chooseImages(index.images.size(), effectiveCap(request), request.seed);
    map.sampled = static_cast<long long>(images.size());
    map.subsampled = map.sampled < map.datasetImages;

    const auto t0 = std::chrono::steady_clock::now();
    // face-api's crop is taken from the image as decoded; the others from a 320-px copy, as eval does.
    data::ImageCache cache(1ull << 30, model.pipeline.faceApiCrop ? 0 : 320);
    auto reporting = [&](std::size_t done, std::size_t total) {
        if (cancelled && cancelled()) throw EvaluationCancelled();
        if (progress) progress("embedding", done, total);
    };
    const auto emb = eval::embedImages(loaded.model.net, index, images, cache, model.pipeline, request.batch, model.device, reporting);
    if (!emb.failures.empty() && warn)
        warn(std::to_string(emb.failures.size()) + " images could not be read and are left off the map (first: " + emb.failures.front().file + ")");
    const auto full = keepReadable(emb, index, map);
    map.embedSeconds = mapSecondsSince(t0);
    const auto minimum = static_cast<std::size_t>(2 * eval::kTrustworthinessK + 1);
    if (map.points.size() < minimum)
        throw std::runtime_error(index.root + ": only " + std::to_string(map.points.size()) + " readable images; a map needs at least " +
                                 std::to_string(minimum));

    const auto t1 = std::chrono::steady_clock::now();
    const auto layout = projectMap(full, request, progress, cancelled, map);
    map.projectSeconds = mapSecondsSince(t1);
    const auto xy = layout.to(torch::kFloat64).contiguous();
    const auto* p = xy.data_ptr<double>();
    for (std::size_t i = 0; i < map.points.size(); ++i) {
        map.points[i].x = p[2 * i];
        map.points[i].y = p[2 * i + 1];
    }
    measureMap(full, layout, map);
    return map;
}

std::vector<CentroidLink> photoCentroidLinks(const EmbeddingMap& map)
{
    std::map<int, std::array<double, 3>> sums;  // identity -> sum x, sum y, photos
    for (const auto& p : map.points)
        if (p.modality == "photo") {
            auto& s = sums[p.identity];
            s[0] += p.x;
            s[1] += p.y;
            s[2] += 1;
        }
    std::vector<CentroidLink> links;
    for (std::size_t i = 0; i < map.points.size(); ++i) {
        const auto& p = map.points[i];
        const auto it = sums.find(p.identity);
        if (p.modality != "caricature" || it == sums.end()) continue;
        links.push_back({static_cast<int>(i), it->second[0] / it->second[2], it->second[1] / it->second[2]});
    }
    return links;
}

std::string embeddingMapCsv(const EmbeddingMap& map)
{
    std::ostringstream out;
    out.precision(9);
    if (map.subsampled) out << "# subsampled: " << map.sampled << " of " << map.datasetImages << " images (random, seed " << map.seed << ")\n";
    out << "identity,modality,path,x,y\n";
    for (const auto& p : map.points)
        out << mapCsvField(map.identities[static_cast<std::size_t>(p.identity)]) << ',' << p.modality << ',' << mapCsvField(p.path) << ',' << p.x
            << ',' << p.y << '\n';
    return out.str();
}

nlohmann::json embeddingMapSummary(const EmbeddingMap& map)
{
    nlohmann::json j{
        {"model", map.model},
        {"checkpoint", map.checkpoint},
        {"step", map.step},
        {"dataset", map.dataset},
        {"format", map.format},
        {"method", map.method},
        {"seed", map.seed},
        {"dataset_images", map.datasetImages},
        {"sampled", map.sampled},
        {"subsampled", map.subsampled},
        {"unreadable", map.unreadable},
        {"points", map.points.size()},
        {"trustworthiness", {{"k", map.quality.trustworthinessK}, {"value", map.quality.trustworthiness}}},
        {"knn_identity_accuracy", {{"k", map.quality.voteK}, {"map", map.quality.knnAccuracyMap}, {"full_space", map.quality.knnAccuracyFull}}},
        {"embed_seconds", map.embedSeconds},
        {"project_seconds", map.projectSeconds}};
    if (map.method == "tsne")
        j["tsne"] = {{"perplexity", map.perplexity}, {"iterations", map.iterations}, {"kl_divergence", map.klDivergence}};
    else
        j["pca"] = {{"explained_variance", {map.explainedVariance[0], map.explainedVariance[1]}}};
    return j;
}

std::string describeQuality(const MapQuality& q)
{
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.3f", q.trustworthiness);
    return "trustworthiness (k=" + std::to_string(q.trustworthinessK) + ") " + buf + "; " + std::to_string(q.voteK) + "-NN identity accuracy " +
        mapPercent(q.knnAccuracyMap) + " on the map, " + mapPercent(q.knnAccuracyFull) + " in the full space";
}

std::string describeMethod(const EmbeddingMap& map)
{
    std::ostringstream s;
    if (map.method == "tsne")
        s << "t-SNE (perplexity " << map.perplexity << ", seed " << map.seed << ")";
    else
        s << "PCA (" << mapPercent(map.explainedVariance[0]) << " + " << mapPercent(map.explainedVariance[1]) << " of the variance)";
    s << ", " << map.points.size() << " of " << map.datasetImages << " images";
    if (map.subsampled) s << " (random sample, seed " << map.seed << ")";
    return s.str();
}

}  // namespace carilab::run
