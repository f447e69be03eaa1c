#pragma once
// Finding the face in a query image that has no geometry of its own (a dropped photo, a file from
// outside the gallery's dataset). face-api's tiny face detector with its 68 landmarks when the
// pretrained networks are fetched -- it finds faces the Haar cascade misses (profile-ish
// photos, caricatures with plausible eyes) and gives landmarks, so the query can be aligned
// exactly as landmark datasets are; else OpenCV's Haar cascade, which gives only a box.
#include "data/landmarks.h"

#include <opencv2/core.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace carilab::pretrained {
class FacePipeline;
struct FaceDetection;
}  // namespace carilab::pretrained

namespace carilab::match {

class FaceDetector;

// Which detector found a face: face-api's networks, or OpenCV's Haar cascade when they are absent.
enum class FaceDetectorKind { FaceApi, Haar };
const char* faceDetectorKindName(FaceDetectorKind k);  // "face-api" | "haar", as in `match --json`

struct FoundFace {
    FaceDetectorKind detector = FaceDetectorKind::FaceApi;
    double score = 0;  // face-api's detection score (haar: 0)
    data::FaceBox detection;  // the detector's own box
    // A loose head box, the shape of the datasets' face boxes (WebCaricature's: the landmarks'
    // bounding box x1.5 wide, x1.2 high): what box-cropping runs crop.
    data::FaceBox headBox;
    // A square head shot around the face (hair and chin in), as datasets of whole-image head
    // shots (CaVI) frame their images: what runs on such galleries crop.
    data::FaceBox headSquare;
    // face-api only, image pixels; empty (and no landmarks5) when the landmark net failed on
    // this face (its points collapsed far inside the detection box): then the boxes come from
    // the detection.
    std::vector<data::Point2> landmarks68;
    std::optional<data::Landmarks5> landmarks5;  // from the 68: eye centres, nose tip, mouth corners
    // What the pretrained descriptor crops (data/face_api_crop.h): face-api's aligned box from the
    // 68 landmarks; when they collapsed, the square around the detection box. Unset for haar.
    std::optional<data::FaceBox> faceApiBox;
};

// The 5-point landmarks (data::Landmarks5 order) of a 68-point iBUG annotation.
data::Landmarks5 landmarks5From68(const std::vector<data::Point2>& points68);

// Which of face-api's detectors finds the face: "ssd" (SSD MobileNet v1, face-api's default
// for detectSingleFace, what its descriptor pipeline uses) or "tiny" (the tiny face detector:
// faster, misses more tight head shots).
enum class FaceApiDetector { Ssd, Tiny };
// Throws std::invalid_argument naming the known detectors.
FaceApiDetector parseFaceApiDetector(const std::string& name);
const char* faceApiDetectorName(FaceApiDetector d);  // "ssd" | "tiny", as the --detector option
struct FaceFinderOptions {
    FaceApiDetector detector = FaceApiDetector::Ssd;
};

class FaceFinder {
public:
    // face-api when its networks are fetched, else the Haar cascade. Throws only when neither
    // can be loaded (the message says what to install or fetch), or for an unknown detector.
    explicit FaceFinder(const FaceFinderOptions& options = {});
    // An explicit face-api pipeline (tests); nullptr: Haar only.
    explicit FaceFinder(std::shared_ptr<pretrained::FacePipeline> faceApi, const FaceFinderOptions& options = {});
    ~FaceFinder();
    FaceFinder(FaceFinder&&) noexcept;

    // "face-api SSD MobileNet v1 + 68 landmarks", "face-api tiny face detector + 68 landmarks"
    // or "OpenCV Haar cascade".
    std::string detectorName() const;
    // Short name recorded with results and sidecars: "ssd", "tiny" or "haar".
    std::string detectorTag() const;
    // Why face-api is not used (empty when it is).
    const std::string& fallbackReason() const { return fallbackReason_; }

    // The best face (face-api: highest score whose aligned box overlaps the image, trying the
    // image as it is (the tiny detector also at 608 px) and then with a border, for faces that
    // fill the frame; haar: the largest), nullopt when none is found. Not thread-safe: one
    // finder per thread.
    std::optional<FoundFace> find(const cv::Mat& rgb8);

private:
    std::vector<pretrained::FaceDetection> detect(const cv::Mat& rgb8, int tinyInputSize);
    std::optional<FoundFace> findWith(const cv::Mat& rgb8, int tinyInputSize);

    FaceFinderOptions options_;
    std::shared_ptr<pretrained::FacePipeline> faceApi_;
    std::unique_ptr<FaceDetector> haar_;
    std::string fallbackReason_;
};

}  // namespace carilab::match
