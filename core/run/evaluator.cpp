#include "run/evaluator.h"

#include "eval/embedder.h"
#include "eval/verification_metrics.h"

#include <random>

namespace carilab::run {

nlohmann::json evaluateImages(nn::MultiTaskNet& net, const data::DatasetIndex& index, const std::vector<int>& images, data::ImageCache& cache,
                              const EvalOptions& options, torch::Device device, const eval::EmbedProgress& progress)
{
    // One embedding path for training-time evaluation, protocols and matching, so held-out
    // figures use exactly the crops (landmarks or box) the run trains on.
    return scoreImages(eval::embedImages(net, index, images, cache, options.pipeline, options.batch, device, progress), index, options);
}

nlohmann::json scoreImages(const eval::EmbeddedImages& e, const data::DatasetIndex& index, const EvalOptions& options)
{
    std::vector<int> used;
    std::vector<std::int64_t> rows;
    for (size_t r = 0; r < e.images.size(); ++r)
        if (e.ok[r]) {
            used.push_back(e.images[r]);
            rows.push_back(static_cast<std::int64_t>(r));
        }
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

    std::vector<int> cari, photo;
    for (size_t i = 0; i < used.size(); ++i)
        (index.images[static_cast<size_t>(used[i])].modality == data::Modality::Caricature ? cari : photo).push_back(static_cast<int>(i));
    r["caricatures"] = cari.size();
    r["photos"] = photo.size();
    if (e.probabilities.defined()) {  // the network(s) had classification heads
        int correct[nn::kNumTasks] = {0, 0, 0}, total[nn::kNumTasks] = {0, 0, 0};
        for (size_t i = 0; i < used.size(); ++i) {
            const auto& rec = index.images[static_cast<size_t>(used[i])];
            const int own = rec.modality == data::Modality::Caricature ? nn::kCaricature : nn::kVisual;
            for (int t : {static_cast<int>(nn::kVerification), own}) {
                ++total[t];
                correct[t] += pred[t][static_cast<long>(i)].item<std::int64_t>() == rec.identity;
            }
        }
        auto acc = [&](int t) { return total[t] ? static_cast<double>(correct[t]) / total[t] : std::nan(""); };
        r["verification_id_acc"] = acc(nn::kVerification);
        r["caricature_acc"] = acc(nn::kCaricature);
        r["visual_acc"] = acc(nn::kVisual);
    }

    // Every positive pair between `a` and `b` (unordered within one set), and a seeded sample of
    // negatives, maxNegativesPerPositive per positive.
    auto samplePairs = [&](const std::vector<int>& a, const std::vector<int>& b, bool sameSet) {
        std::vector<eval::Pair> pairs, negatives;
        if (a.empty() || b.empty()) return pairs;
        const auto sim = torch::mm(emb.index_select(0, torch::tensor(a)), emb.index_select(0, torch::tensor(b)).t()).contiguous();
        auto s = sim.accessor<float, 2>();
        for (size_t i = 0; i < a.size(); ++i)
            for (size_t j = sameSet ? i + 1 : 0; j < b.size(); ++j) {
                const bool same = index.images[static_cast<size_t>(used[static_cast<size_t>(a[i])])].identity ==
                    index.images[static_cast<size_t>(used[static_cast<size_t>(b[j])])].identity;
                (same ? pairs : negatives).push_back({s[static_cast<long>(i)][static_cast<long>(j)], same});
            }
        std::mt19937_64 rng(options.seed);
        const size_t want = std::min(negatives.size(), pairs.size() * static_cast<size_t>(options.maxNegativesPerPositive));
        for (size_t i = 0; i < want; ++i) std::swap(negatives[i], negatives[i + rng() % (negatives.size() - i)]);
        pairs.insert(pairs.end(), negatives.begin(), negatives.begin() + static_cast<long>(want));
        for (size_t i = pairs.size(); i > 1; --i) std::swap(pairs[i - 1], pairs[rng() % i]);
        return pairs;
    };
    auto report = [&](const std::vector<eval::Pair>& pairs, const std::string& prefix) {
        if (pairs.empty()) return;
        const auto folds = eval::kFoldAccuracy(pairs, options.folds);
        r[prefix + "_acc"] = folds.mean;
        r[prefix + "_acc_std"] = folds.std;
        r[prefix + "_threshold"] = folds.threshold;
        r[prefix + "_auc"] = eval::rocAuc(pairs);
    };
    // Caricature-photo: the paper's verification task.
    const auto pairs = samplePairs(cari, photo, false);
    report(pairs, "verification");
    r["pairs"] = pairs.size();
    // Photo-photo: what a face-recognition network is built for; the reference point that shows
    // how much of the caricature gap is modality and how much is the network.
    const auto photoPairs = samplePairs(photo, photo, true);
    report(photoPairs, "photo_verification");
    r["photo_pairs"] = photoPairs.size();
    return r;
}

}  // namespace carilab::run
