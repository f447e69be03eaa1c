#include "pretrained/face_alignment.h"

#include "pretrained/pretrained_store.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace carilab::pretrained {

namespace {

// Where the aligned square sits on the eyes-and-mouth centroid, and its size relative to the
// eye-to-mouth distance (face-api's classes/FaceLandmarks.ts).
constexpr double kAlignRelX = 0.5;
constexpr double kAlignRelY = 0.43;
constexpr double kAlignRelScale = 0.45;

LandmarkPoint centre(const FaceLandmarks68& p, int from, int to)
{
    LandmarkPoint c;
    for (int i = from; i < to; ++i) {
        c.x += p[static_cast<std::size_t>(i)].x;
        c.y += p[static_cast<std::size_t>(i)].y;
    }
    return {c.x / (to - from), c.y / (to - from)};
}

double distance(const LandmarkPoint& a, const LandmarkPoint& b) { return std::hypot(a.x - b.x, a.y - b.y); }

}  // namespace

FaceRect alignDlibBox(const FaceLandmarks68& landmarks, int cropWidth, int cropHeight)
{
    const auto leftEye = centre(landmarks, 36, 42), rightEye = centre(landmarks, 42, 48), mouth = centre(landmarks, 48, 68);
    const double eyeToMouth = (distance(mouth, leftEye) + distance(mouth, rightEye)) / 2;
    const double size = std::floor(eyeToMouth / kAlignRelScale);
    const LandmarkPoint ref{(leftEye.x + rightEye.x + mouth.x) / 3, (leftEye.y + rightEye.y + mouth.y) / 3};
    const double x = std::floor(std::max(0.0, ref.x - kAlignRelX * size));
    const double y = std::floor(std::max(0.0, ref.y - kAlignRelY * size));
    // The package caps with the landmark region's size, not the image's (kept for parity).
    return {x, y, std::min(size, cropWidth + x), std::min(size, cropHeight + y)};
}

FacePipeline::FacePipeline()
    : FacePipeline(requireModelManifest("tiny_face_detector_model"), requireModelManifest("face_landmark_68_model"),
                   requireModelManifest("face_recognition_model"))
{}

FacePipeline::FacePipeline(const std::string& detectorManifest, const std::string& landmarkManifest, const std::string& recognitionManifest)
    : detector_(loadTinyFaceDetector(detectorManifest)), landmarkNet_(loadFaceLandmark68Net(landmarkManifest)),
      recognitionNet_(loadFaceRecognitionNet(recognitionManifest))
{}

FacePipeline::FacePipeline(const std::string& detectorManifest, const std::string& landmarkManifest, const std::string& recognitionManifest,
                           const std::string& ssdManifest)
    : FacePipeline(detectorManifest, landmarkManifest, recognitionManifest)
{
    ssdManifest_ = ssdManifest;
}

std::vector<FaceDetection> FacePipeline::detectFaces(const cv::Mat& rgb8, const TinyDetectorOptions& o) { return detector_->detect(rgb8, o); }

SsdMobilenetV1& FacePipeline::ssdDetector()
{
    // Lazily: most callers use the tiny detector, and the SSD weights are 30 times its size.
    if (!ssd_) ssd_ = loadSsdMobilenetV1(ssdManifest_.empty() ? requireModelManifest("ssd_mobilenetv1_model") : ssdManifest_);
    return ssd_;
}

std::vector<FaceDetection> FacePipeline::detectFacesSsd(const cv::Mat& rgb8, const SsdDetectorOptions& o) { return ssdDetector()->detect(rgb8, o); }

FaceLandmarksInImage FacePipeline::landmarks(const cv::Mat& rgb8, const FaceDetection& face)
{
    // The package goes through relative coordinates and back (FaceDetection.forSize) before
    // clipping; doing the same keeps the floors on the same side.
    const double W = rgb8.cols, H = rgb8.rows;
    const FaceRect b{(face.box.x / W) * W, (face.box.y / H) * H, (face.box.width / W) * W, (face.box.height / H) * H};
    const FaceRect region = clipAtImageBorders(b, rgb8.cols, rgb8.rows);
    if (region.width <= 0 || region.height <= 0) throw std::invalid_argument("face box does not overlap the image");
    FaceLandmarksInImage out;
    out.points = landmarkNet_->detectLandmarks(sliceRegion(rgb8, region));
    for (auto& p : out.points) {
        p.x += face.box.x;
        p.y += face.box.y;
    }
    out.cropWidth = static_cast<int>(region.width);
    out.cropHeight = static_cast<int>(region.height);
    return out;
}

FaceRect FacePipeline::alignedBox(const FaceLandmarksInImage& lm) { return alignDlibBox(lm.points, lm.cropWidth, lm.cropHeight); }

torch::Tensor FacePipeline::alignedFaceTensor(const cv::Mat& rgb8, const FaceRect& alignedBox)
{
    const FaceRect region = clipAtImageBorders(alignedBox, rgb8.cols, rgb8.rows);
    if (region.width <= 0 || region.height <= 0) throw std::invalid_argument("aligned face box lies outside the image");
    return toBatchTensor(sliceRegion(rgb8, region), kFaceDescriptorInput, true);
}

std::vector<float> FacePipeline::describe(const torch::Tensor& aligned150)
{
    const auto d = recognitionNet_->computeDescriptors(aligned150.unsqueeze(0)).contiguous();
    return {d.data_ptr<float>(), d.data_ptr<float>() + d.numel()};
}

std::vector<AnalyzedFace> FacePipeline::describeFaces(const cv::Mat& rgb8, const TinyDetectorOptions& o)
{
    return describeDetections(rgb8, detectFaces(rgb8, o));
}

std::vector<AnalyzedFace> FacePipeline::describeFacesSsd(const cv::Mat& rgb8, const SsdDetectorOptions& o)
{
    return describeDetections(rgb8, detectFacesSsd(rgb8, o));
}

std::vector<AnalyzedFace> FacePipeline::describeDetections(const cv::Mat& rgb8, const std::vector<FaceDetection>& detections)
{
    std::vector<AnalyzedFace> faces;
    for (const auto& det : detections) {
        const double W = rgb8.cols, H = rgb8.rows;
        const FaceRect region =
            clipAtImageBorders({(det.box.x / W) * W, (det.box.y / H) * H, (det.box.width / W) * W, (det.box.height / H) * H}, rgb8.cols, rgb8.rows);
        if (region.width <= 0 || region.height <= 0) continue;  // the package drops these too
        AnalyzedFace f;
        f.detection = det;
        const auto lm = landmarks(rgb8, det);
        f.landmarks = lm.points;
        f.alignedBox = alignedBox(lm);
        const FaceRect aligned = clipAtImageBorders(f.alignedBox, rgb8.cols, rgb8.rows);
        if (aligned.width > 0 && aligned.height > 0) f.descriptor = describe(alignedFaceTensor(rgb8, f.alignedBox));
        faces.push_back(std::move(f));
    }
    return faces;
}

}  // namespace carilab::pretrained
