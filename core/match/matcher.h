#pragma once
// One query against a gallery: detect (or take the given box), crop, embed, rank.
#include "match/face_finder.h"
#include "match/gallery.h"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace carilab::match {

struct QueryOptions {
    bool detect = true;  // run the face detector (photos); off: whole image
    std::optional<data::FaceBox> box;  // a user-drawn crop: wins over everything
    // Known geometry of the query (it comes from a dataset): cropped exactly as that dataset's
    // images are, so a gallery image queried against itself scores 1.
    std::optional<data::Landmarks5> landmarks;
    std::optional<data::FaceBox> datasetBox;
    std::optional<data::FaceBox> datasetFaceApiBox;  // its face_boxes.csv box (face-resnet crops it)
    int top = 10;
    std::optional<std::string> identity;  // the query's identity when known (for its rank)
    std::optional<double> threshold;  // "same person?" threshold; nullopt: no verdict
};

struct MatchHit {
    int image = -1;  // index into the gallery's dataset
    std::string identity;
    std::string path;  // absolute
    double score = 0;  // cosine similarity
    int rank = 0;  // 1-based
};

// Where a query's crop came from.
enum class QueryCrop { WholeImage, UserBox, DatasetLandmarks, DatasetBox, DatasetFaceBox, Detected };
// "whole image" | "user box" | "dataset landmarks" | "dataset box" | "dataset face box" | "detected"
const char* queryCropName(QueryCrop c);

struct MatchResult {
    std::vector<MatchHit> hits;  // best first, at most `top`
    QueryCrop crop = QueryCrop::WholeImage;
    // How a detected face was cropped, as the gallery's images are: "aligned on its landmarks"
    // (5-point alignment), "head box, ..." (box crops), "head shot, ..." (whole head-shot images).
    std::string cropDetail;
    std::optional<FaceDetectorKind> detector;  // set when a face was detected
    std::string detectorModel;  // FaceFinder::detectorTag(): "ssd" | "tiny" | "haar"
    double detectionScore = 0;  // face-api's score
    std::optional<data::FaceBox> box;  // the crop used, in query pixels
    std::vector<data::Point2> landmarks;  // the query's landmarks used or found (5 or 68), query pixels
    std::vector<data::Point2> cropQuad;  // the crop's corners in query pixels (rotated when aligned)
    cv::Mat networkInput;  // the uint8 RGB crop the network saw (before normalisation)
    std::optional<int> trueIdentityRank;  // rank of the first gallery image of the query's identity
    std::optional<bool> samePerson;  // best score >= threshold
    double embedMs = 0, rankMs = 0, detectMs = 0;
};

// Throws for an unusable query (the decode errors name the file and the reason).
// finder: used for queries without a box or dataset geometry when options.detect; nullptr: the
// whole image.
MatchResult matchQuery(run::RunModel& model, const Gallery& gallery, const cv::Mat& rgb8, const QueryOptions& options, FaceFinder* finder);

// The run's accept threshold from its evaluation (protocol or held-out), if any.
std::optional<double> runThreshold(const std::string& runDir);

nlohmann::json toJson(const MatchResult& r);

}  // namespace carilab::match
