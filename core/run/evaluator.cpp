#include "run/evaluator.h"

#include "eval/embedder.h"
#include "eval/verification_metrics.h"

#include <random>

namespace carilab::run {

nlohmann::json evaluateImages(nn::MultiTaskNet& net, const data::DatasetIndex& index, const std::vector<int>& images,
                              data::ImageCache& cache, const EvalOptions& options, torch::Device device)
{
    // One embedding path for training-time evaluation, protocols and matching, so held-out
    // figures use exactly the crops (landmarks or box) the run trains on.
    const auto e = eval::embedImages(net, index, images, cache, options.pipeline, options.batch, device);
    std::vector<int> used;
    std::vector<std::int64_t> rows;
    for (size_t r = 0; r < e.images.size(); ++r)
        if (e.ok[r]) { used.push_back(e.images[r]); rows.push_back((std::int64_t)r); }
    nlohmann::json r;
    if (used.empty()) {
        r["error"] = "no test images could be read";
        return r;
    }
    const auto rowIndex = torch::tensor(rows, torch::kInt64);
    const auto emb = e.embeddings.index_select(0, rowIndex);
    const auto predicted = e.predicted.index_select(0, rowIndex);
    std::array<torch::Tensor, nn::kNumTasks> pred;
    for (int t = 0; t < nn::kNumTasks; ++t) pred[t] = predicted.select(1, t).contiguous();

    int correct[nn::kNumTasks] = {0, 0, 0}, total[nn::kNumTasks] = {0, 0, 0};
    std::vector<int> cari, photo;
    for (size_t i = 0; i < used.size(); ++i) {
        const auto& rec = index.images[(size_t)used[i]];
        const bool isCari = rec.modality == data::Modality::Caricature;
        (isCari ? cari : photo).push_back((int)i);
        const int own = isCari ? nn::kCaricature : nn::kVisual;
        for (int t : {(int)nn::kVerification, own}) {
            ++total[t];
            correct[t] += pred[t][(long)i].item<std::int64_t>() == rec.identity;
        }
    }
    auto acc = [&](int t) { return total[t] ? (double)correct[t] / total[t] : std::nan(""); };
    r["verification_id_acc"] = acc(nn::kVerification);
    r["caricature_acc"] = acc(nn::kCaricature);
    r["visual_acc"] = acc(nn::kVisual);
    r["caricatures"] = cari.size();
    r["photos"] = photo.size();

    // Caricature-photo pairs: every positive, and a seeded sample of negatives.
    std::vector<eval::Pair> pairs;
    if (!cari.empty() && !photo.empty()) {
        const auto sim = torch::mm(emb.index_select(0, torch::tensor(cari)), emb.index_select(0, torch::tensor(photo)).t()).contiguous();
        auto s = sim.accessor<float, 2>();
        std::vector<eval::Pair> negatives;
        for (size_t a = 0; a < cari.size(); ++a)
            for (size_t b = 0; b < photo.size(); ++b) {
                const bool same = index.images[(size_t)used[(size_t)cari[a]]].identity == index.images[(size_t)used[(size_t)photo[b]]].identity;
                (same ? pairs : negatives).push_back({s[(long)a][(long)b], same});
            }
        std::mt19937_64 rng(options.seed);
        const size_t want = std::min(negatives.size(), pairs.size() * (size_t)options.maxNegativesPerPositive);
        for (size_t i = 0; i < want; ++i) std::swap(negatives[i], negatives[i + rng() % (negatives.size() - i)]);
        pairs.insert(pairs.end(), negatives.begin(), negatives.begin() + (long)want);
        for (size_t i = pairs.size(); i > 1; --i) std::swap(pairs[i - 1], pairs[rng() % i]);
    }
    if (!pairs.empty()) {
        const auto folds = eval::kFoldAccuracy(pairs, options.folds);
        r["verification_acc"] = folds.mean;
        r["verification_acc_std"] = folds.std;
        r["verification_threshold"] = folds.threshold;
        r["verification_auc"] = eval::rocAuc(pairs);
    }
    r["pairs"] = pairs.size();
    return r;
}

}  // namespace carilab::run
