#include "match/matcher.h"

#include "data/image_pipeline.h"
#include "data/protocol_files.h"
#include "run/run_directory.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <numeric>

namespace carilab::match {

namespace {

double msSince(std::chrono::steady_clock::time_point t0)
{
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

MatchResult matchQuery(run::RunModel& model, const Gallery& gallery, const cv::Mat& rgb8, const QueryOptions& o,
                       const FaceDetector* detector)
{
    MatchResult r;
    auto t0 = std::chrono::steady_clock::now();
    data::PipelineOptions p = model.pipeline;
    std::optional<data::Landmarks5> landmarks;
    if (o.box) {
        r.box = o.box;
        r.crop = "user box";
        p.cropToBox = true;
    } else if (o.landmarks && p.alignWithLandmarks && !(p.cropToBox && o.datasetBox)) {
        landmarks = o.landmarks;
        r.crop = "dataset landmarks";
    } else if (o.datasetBox && p.cropToBox) {
        r.box = o.datasetBox;
        r.crop = "dataset box";
    } else if (o.detect && detector) {
        r.box = detector->detect(rgb8);
        r.crop = r.box ? "detected" : "whole image";
        p.cropToBox = r.box.has_value();
    } else {
        r.crop = "whole image";
    }
    r.detectMs = msSince(t0);

    t0 = std::chrono::steady_clock::now();
    const cv::Mat x = data::preprocess(rgb8, landmarks, p, nullptr, r.box);
    auto input = torch::empty({1, p.size, p.size, 3});
    std::memcpy(input.data_ptr<float>(), x.ptr<float>(), sizeof(float) * (size_t)p.size * p.size * 3);
    torch::Tensor q;
    {
        torch::NoGradGuard ng;
        model.net->eval();
        q = model.net->embed(input.permute({0, 3, 1, 2}).contiguous().to(model.device)).to(torch::kCPU, torch::kFloat32);
    }
    r.embedMs = msSince(t0);

    t0 = std::chrono::steady_clock::now();
    if (q.size(1) != gallery.embeddings.size(1))
        throw std::runtime_error("the gallery's embeddings (" + std::to_string(gallery.embeddings.size(1)) +
                                 "-d) do not come from this run's network (" + std::to_string(q.size(1)) + "-d)");
    const auto scores = torch::mv(gallery.embeddings, q[0]).contiguous();
    const float* s = scores.data_ptr<float>();
    const size_t n = (size_t)scores.numel();
    std::vector<int> order(n);
    std::iota(order.begin(), order.end(), 0);
    const size_t k = std::min(n, (size_t)std::max(1, o.top));
    std::partial_sort(order.begin(), order.begin() + (long)k, order.end(), [&](int a, int b) { return s[a] > s[b]; });
    for (size_t i = 0; i < k; ++i) {
        const int img = gallery.images[(size_t)order[i]];
        const auto& rec = gallery.index.images[(size_t)img];
        r.hits.push_back({img, gallery.index.identities[(size_t)rec.identity], gallery.index.absolutePath(rec), s[order[i]], (int)i + 1});
    }
    if (o.identity) {
        // Rank of the identity's best image: 1 + the images of other identities scoring at least
        // as high (ties against the query, as the CMC definition).
        const std::string want = data::lowerAscii(*o.identity);
        float best = -2.f;
        bool present = false;
        for (size_t i = 0; i < n; ++i) {
            const auto& rec = gallery.index.images[(size_t)gallery.images[i]];
            if (data::lowerAscii(gallery.index.identities[(size_t)rec.identity]) == want) { present = true; best = std::max(best, s[i]); }
        }
        if (present) {
            int above = 0;
            for (size_t i = 0; i < n; ++i) {
                const auto& rec = gallery.index.images[(size_t)gallery.images[i]];
                above += s[i] >= best && data::lowerAscii(gallery.index.identities[(size_t)rec.identity]) != want;
            }
            r.trueIdentityRank = above + 1;
        }
    }
    if (o.threshold && !r.hits.empty()) r.samePerson = r.hits.front().score >= *o.threshold;
    r.rankMs = msSince(t0);
    return r;
}

std::optional<double> runThreshold(const std::string& runDir)
{
    try {
        const auto ev = run::RunDirectory::open(runDir).eval();
        if (ev.contains("protocols"))
            for (const auto& [key, p] : ev["protocols"].items())
                if (p.contains("verification") && p["verification"]["mean"].contains("threshold"))
                    return p["verification"]["mean"]["threshold"].get<double>();
        if (ev.contains("held_out") && ev["held_out"].contains("verification_threshold"))
            return ev["held_out"]["verification_threshold"].get<double>();
    } catch (const std::exception&) {
    }
    return std::nullopt;
}

nlohmann::json toJson(const MatchResult& r)
{
    nlohmann::json hits = nlohmann::json::array();
    for (const auto& h : r.hits) hits.push_back({{"rank", h.rank}, {"identity", h.identity}, {"path", h.path}, {"score", h.score}});
    nlohmann::json j = {{"results", hits}, {"crop", r.crop}, {"timing_ms", {{"detect", r.detectMs}, {"embed", r.embedMs}, {"rank", r.rankMs}}}};
    if (r.box) j["box"] = {r.box->x, r.box->y, r.box->width, r.box->height};
    j["true_identity_rank"] = r.trueIdentityRank ? nlohmann::json(*r.trueIdentityRank) : nlohmann::json(nullptr);
    if (r.samePerson) j["same_person"] = *r.samePerson;
    return j;
}

}  // namespace carilab::match
