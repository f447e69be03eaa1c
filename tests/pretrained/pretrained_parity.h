#pragma once
// What the face-api parity tests (test_face_pipeline, test_ssd_detector) share: the issue's
// parity bars, the fixture readers and the comparison of found faces with the JavaScript's.
#include "pretrained/face_alignment.h"
#include "pretrained/tfjs_image_ops.h"

#include <nlohmann/json.hpp>

#include <QString>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <vector>

namespace carilab::test {

constexpr double kMinIou = 0.95;
constexpr double kMaxLandmarkPx = 0.5;
constexpr double kMinCosine = 0.999;

inline nlohmann::json readJson(const QString& path)
{
    std::ifstream in(path.toStdString());
    return nlohmann::json::parse(in);
}

inline double cosine(const std::vector<float>& a, const std::vector<float>& b)
{
    double ab = 0, aa = 0, bb = 0;
    for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
        ab += static_cast<double>(a[i]) * b[i];
        aa += static_cast<double>(a[i]) * a[i];
        bb += static_cast<double>(b[i]) * b[i];
    }
    return ab / std::sqrt(aa * bb);
}

inline pretrained::FaceRect rectOf(const nlohmann::json& a)
{
    return {a[0].get<double>(), a[1].get<double>(), a[2].get<double>(), a[3].get<double>()};
}

// The worst agreement over faces found vs the fixture's faces (same order): detection box IoU
// (where the fixture has "box"), aligned box IoU (where it has "aligned_box"), landmark
// distance in pixels and descriptor cosine.
struct FaceParity {
    double worstBoxIou = 1, worstAlignedIou = 1, worstLandmarkPx = 0, worstCosine = 1;
    bool passes() const
    {
        return worstBoxIou >= kMinIou && worstAlignedIou >= kMinIou && worstLandmarkPx <= kMaxLandmarkPx && worstCosine >= kMinCosine;
    }
};

inline FaceParity compareFaces(const std::vector<pretrained::AnalyzedFace>& faces, const nlohmann::json& ref)
{
    FaceParity p;
    for (std::size_t i = 0; i < faces.size() && i < ref.size(); ++i) {
        const auto& r = ref[i];
        if (r.contains("box")) p.worstBoxIou = std::min(p.worstBoxIou, pretrained::iou(faces[i].detection.box, rectOf(r["box"])));
        if (r.contains("aligned_box"))
            p.worstAlignedIou = std::min(p.worstAlignedIou, pretrained::iou(faces[i].alignedBox, rectOf(r["aligned_box"])));
        for (std::size_t k = 0; k < faces[i].landmarks.size(); ++k) {
            const auto& q = faces[i].landmarks[k];
            p.worstLandmarkPx =
                std::max(p.worstLandmarkPx, std::hypot(q.x - r["landmarks"][k][0].get<double>(), q.y - r["landmarks"][k][1].get<double>()));
        }
        p.worstCosine =
            faces[i].descriptor.empty() ? 0.0 : std::min(p.worstCosine, cosine(faces[i].descriptor, r["descriptor"].get<std::vector<float>>()));
    }
    return p;
}

}  // namespace carilab::test
