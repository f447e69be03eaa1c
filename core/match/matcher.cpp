#include "match/matcher.h"

#include "data/image_pipeline.h"
#include "data/protocol_files.h"
#include "run/eval_records.h"
#include "run/run_directory.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <numeric>

namespace carilab::match {

namespace {

double msSince(std::chrono::steady_clock::time_point t0)
{
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// A network made for face-api's crop (face-resnet) gets it for the query too: the user's box,
// the dataset's face box, or the box of the face the finder sees, each padded to a square as
// face-api pads; else the whole image padded the same way.
void chooseFaceApiCrop(MatchResult& r, const cv::Mat& rgb8, const QueryOptions& o, FaceFinder* finder)
{
    if (o.box) {
        r.box = o.box;
        r.crop = QueryCrop::UserBox;
    } else if (o.datasetFaceApiBox) {
        r.box = o.datasetFaceApiBox;
        r.crop = QueryCrop::DatasetFaceBox;
    } else if (const auto face = (o.detect && finder) ? finder->find(rgb8) : std::nullopt; face && face->faceApiBox) {
        r.box = face->faceApiBox;
        r.crop = QueryCrop::Detected;
        r.detector = face->detector;
        r.detectorModel = finder->detectorTag();
        r.detectionScore = face->score;
        r.landmarks = face->landmarks68;
        r.cropDetail = face->landmarks68.empty() ? "face-api crop around the detection" : "face-api's aligned face box";
    } else {
        r.crop = QueryCrop::WholeImage;
    }
}

}  // namespace

const char* queryCropName(QueryCrop c)
{
    switch (c) {
    case QueryCrop::WholeImage: return "whole image";
    case QueryCrop::UserBox: return "user box";
    case QueryCrop::DatasetLandmarks: return "dataset landmarks";
    case QueryCrop::DatasetBox: return "dataset box";
    case QueryCrop::DatasetFaceBox: return "dataset face box";
    case QueryCrop::Detected: return "detected";
    }
    return "?";
}

MatchResult matchQuery(run::RunModel& model, const Gallery& gallery, const cv::Mat& rgb8, const QueryOptions& o, FaceFinder* finder)
{
    MatchResult r;
    auto t0 = std::chrono::steady_clock::now();
    data::PipelineOptions p = model.pipeline;
    std::optional<data::Landmarks5> landmarks;
    auto boxQuad = [&](const data::FaceBox& b) {
        r.cropQuad = {{b.x, b.y}, {b.x + b.width, b.y}, {b.x + b.width, b.y + b.height}, {b.x, b.y + b.height}};
    };
    if (p.faceApiCrop) {
        chooseFaceApiCrop(r, rgb8, o, finder);
    } else if (o.box) {
        r.box = o.box;
        r.crop = QueryCrop::UserBox;
        p.cropToBox = true;
    } else if (o.landmarks && p.alignWithLandmarks && !(p.cropToBox && o.datasetBox)) {
        landmarks = o.landmarks;
        r.crop = QueryCrop::DatasetLandmarks;
    } else if (o.datasetBox && p.cropToBox) {
        r.box = o.datasetBox;
        r.crop = QueryCrop::DatasetBox;
    } else if (o.detect && finder) {
        const auto face = finder->find(rgb8);
        if (face) {
            r.crop = QueryCrop::Detected;
            r.detector = face->detector;
            r.detectorModel = finder->detectorTag();
            r.detectionScore = face->score;
            r.landmarks = face->landmarks68;
            // Crop the query as the gallery's images are cropped, so both sides of the score
            // see the same framing.
            bool galleryLandmarks = false;
            for (const int img : gallery.images) {
                if (gallery.index.images[static_cast<size_t>(img)].landmarks) {
                    galleryLandmarks = true;
                    break;
                }
            }
            if (face->landmarks5 && p.alignWithLandmarks && !p.cropToBox && galleryLandmarks) {
                landmarks = face->landmarks5;
                r.cropDetail = "aligned on its landmarks";
            } else {
                const bool galleryBoxes = p.cropToBox;
                r.box = galleryBoxes ? face->headBox : face->headSquare;
                p.cropToBox = true;
                r.cropDetail = galleryBoxes ? "head box, as the gallery's boxes" : "head shot, as the gallery's whole images";
            }
        } else {
            r.crop = QueryCrop::WholeImage;
        }
    } else {
        r.crop = QueryCrop::WholeImage;
    }
    if (r.crop == QueryCrop::WholeImage) p.cropToBox = false;
    if (landmarks && r.landmarks.empty()) r.landmarks.assign(landmarks->begin(), landmarks->end());
    r.detectMs = msSince(t0);

    t0 = std::chrono::steady_clock::now();
    const cv::Mat crop = data::cropFace(rgb8, landmarks, p, nullptr, r.box);
    if (landmarks && p.alignWithLandmarks) {
        // The aligned crop is a rotated square in the query: its corners, mapped back.
        cv::Mat inv;
        cv::invertAffineTransform(data::alignmentTransform(*landmarks, p.size, p.alignPadding), inv);
        const double n = p.size;
        for (const auto& [cx, cy] : {std::pair{0.0, 0.0}, {n, 0.0}, {n, n}, {0.0, n}})
            r.cropQuad.push_back({static_cast<float>(inv.at<double>(0, 0) * cx + inv.at<double>(0, 1) * cy + inv.at<double>(0, 2)),
                                  static_cast<float>(inv.at<double>(1, 0) * cx + inv.at<double>(1, 1) * cy + inv.at<double>(1, 2))});
    } else if (r.box) {
        boxQuad(*r.box);
    } else {
        boxQuad({0.f, 0.f, static_cast<float>(rgb8.cols), static_cast<float>(rgb8.rows)});
    }
    r.networkInput = crop;
    const cv::Mat x = data::normalizeCrop(crop, p);
    auto input = torch::empty({1, p.size, p.size, 3});
    std::memcpy(input.data_ptr<float>(), x.ptr<float>(), sizeof(float) * static_cast<size_t>(p.size) * p.size * 3);
    torch::Tensor q;
    {
        torch::NoGradGuard ng;
        model.net->eval();
        q = model.net->embed(input.permute({0, 3, 1, 2}).to(model.device)).to(torch::kCPU, torch::kFloat32);
    }
    r.embedMs = msSince(t0);

    t0 = std::chrono::steady_clock::now();
    if (q.size(1) != gallery.embeddings.size(1))
        throw std::runtime_error("the gallery's embeddings (" + std::to_string(gallery.embeddings.size(1)) +
                                 "-d) do not come from this run's network (" + std::to_string(q.size(1)) + "-d)");
    const auto scores = torch::mv(gallery.embeddings, q[0]).contiguous();
    const float* s = scores.data_ptr<float>();
    const size_t n = static_cast<size_t>(scores.numel());
    std::vector<int> order(n);
    std::iota(order.begin(), order.end(), 0);
    const size_t k = std::min(n, static_cast<size_t>(std::max(1, o.top)));
    std::partial_sort(order.begin(), order.begin() + static_cast<long>(k), order.end(), [&](int a, int b) { return s[a] > s[b]; });
    for (size_t i = 0; i < k; ++i) {
        const int img = gallery.images[static_cast<size_t>(order[i])];
        const auto& rec = gallery.index.images[static_cast<size_t>(img)];
        r.hits.push_back({img, gallery.index.identities[static_cast<size_t>(rec.identity)], gallery.index.absolutePath(rec), s[order[i]],
                          static_cast<int>(i) + 1});
    }
    if (o.identity) {
        // Rank of the identity's best image: 1 + the images of other identities scoring at least
        // as high (ties against the query, as the CMC definition).
        const std::string want = data::lowerAscii(*o.identity);
        float best = -2.f;
        bool present = false;
        for (size_t i = 0; i < n; ++i) {
            const auto& rec = gallery.index.images[static_cast<size_t>(gallery.images[i])];
            if (data::lowerAscii(gallery.index.identities[static_cast<size_t>(rec.identity)]) == want) {
                present = true;
                best = std::max(best, s[i]);
            }
        }
        if (present) {
            int above = 0;
            for (size_t i = 0; i < n; ++i) {
                const auto& rec = gallery.index.images[static_cast<size_t>(gallery.images[i])];
                above += s[i] >= best && data::lowerAscii(gallery.index.identities[static_cast<size_t>(rec.identity)]) != want;
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
        const auto ev = run::readEvalFile(run::RunDirectory::open(runDir).evalPath());
        for (const auto& [key, p] : ev.protocols)
            if (p.verification && p.verification->mean.count("threshold")) return p.verification->mean.at("threshold");
        if (ev.heldOut && ev.heldOut->figures.verification && std::isfinite(ev.heldOut->figures.verification->threshold))
            return ev.heldOut->figures.verification->threshold;
    } catch (const std::exception&) {}
    return std::nullopt;
}

nlohmann::json toJson(const MatchResult& r)
{
    nlohmann::json hits = nlohmann::json::array();
    for (const auto& h : r.hits) hits.push_back({{"rank", h.rank}, {"identity", h.identity}, {"path", h.path}, {"score", h.score}});
    nlohmann::json j = {
        {"results", hits}, {"crop", queryCropName(r.crop)}, {"timing_ms", {{"detect", r.detectMs}, {"embed", r.embedMs}, {"rank", r.rankMs}}}};
    if (r.detector) {
        j["detector"] = faceDetectorKindName(*r.detector);
        j["crop_detail"] = r.cropDetail;
        if (*r.detector == FaceDetectorKind::FaceApi) j["detection_score"] = r.detectionScore;
        j["detector_model"] = r.detectorModel;
    }
    if (!r.landmarks.empty()) {
        nlohmann::json pts = nlohmann::json::array();
        for (const auto& pt : r.landmarks) pts.push_back({pt.x, pt.y});
        j["landmarks"] = pts;
    }
    if (r.box) j["box"] = {r.box->x, r.box->y, r.box->width, r.box->height};
    j["true_identity_rank"] = r.trueIdentityRank ? nlohmann::json(*r.trueIdentityRank) : nlohmann::json(nullptr);
    if (r.samePerson) j["same_person"] = *r.samePerson;
    return j;
}

}  // namespace carilab::match
