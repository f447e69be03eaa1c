#include "run/evaluator.h"

#include "eval/verification_metrics.h"

#include <cstring>
#include <random>

namespace carilab::run {

nlohmann::json evaluateImages(nn::MultiTaskNet& net, const data::DatasetIndex& index, const std::vector<int>& images,
                              data::ImageCache& cache, const EvalOptions& options, torch::Device device)
{
    const bool wasTraining = net->is_training();
    net->eval();
    torch::NoGradGuard ng;
    const int size = options.pipeline.size;
    const size_t n = images.size();
    std::vector<torch::Tensor> embeddings, predicted[nn::kNumTasks];
    std::vector<int> used;
    used.reserve(n);
    for (size_t start = 0; start < n; start += (size_t)options.batch) {
        const size_t end = std::min(n, start + (size_t)options.batch);
        std::vector<cv::Mat> samples;
        for (size_t i = start; i < end; ++i) {
            const auto& r = index.images[(size_t)images[i]];
            try {
                double scale = 1.0;
                cv::Mat img = cache.get(index.absolutePath(r), &scale);
                std::optional<data::Landmarks5> lm = r.landmarks;
                if (lm)
                    for (auto& p : *lm) { p.x *= (float)scale; p.y *= (float)scale; }
                samples.push_back(data::preprocess(img, lm, options.pipeline));
                used.push_back(images[i]);
            } catch (const std::exception&) {
                // Unreadable test images are left out; the trainer reports them as loader failures.
            }
        }
        if (samples.empty()) continue;
        auto batch = torch::empty({(long)samples.size(), size, size, 3});
        for (size_t k = 0; k < samples.size(); ++k)
            std::memcpy(batch[(long)k].data_ptr<float>(), samples[k].ptr<float>(), sizeof(float) * size * size * 3);
        batch = batch.permute({0, 3, 1, 2}).contiguous().to(device);
        auto out = net->forward(batch);
        embeddings.push_back(torch::nn::functional::normalize(out.embeddings[nn::kVerification],
                                                              torch::nn::functional::NormalizeFuncOptions().dim(1).eps(1e-10)).cpu());
        for (int t = 0; t < nn::kNumTasks; ++t) predicted[t].push_back(out.logits[t].argmax(1).cpu());
    }
    if (wasTraining) net->train();
    nlohmann::json r;
    if (used.empty()) {
        r["error"] = "no test images could be read";
        return r;
    }
    const auto emb = torch::cat(embeddings);
    std::array<torch::Tensor, nn::kNumTasks> pred;
    for (int t = 0; t < nn::kNumTasks; ++t) pred[t] = torch::cat(predicted[t]);

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
