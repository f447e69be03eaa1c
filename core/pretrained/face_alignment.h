#pragma once
// face-api's full pipeline, detectAllFaces(TinyFaceDetector or SsdMobilenetv1).withFaceLandmarks()
// .withFaceDescriptors(), in LibTorch: detect faces, find 68 landmarks in each detected box,
// align, describe. What the package does between the steps (its globalApi and classes
// FaceLandmarks/Box, reproduced with its roundings and quirks):
//   1. landmarks: the detection box is clipped to the image and floored, that region goes to
//      FaceLandmark68Net, and the landmarks are shifted by the *unclipped* box's corner;
//   2. alignment ("dlib" alignment): centres of the left eye (36-41), right eye (42-47) and
//      mouth (48-67); size = floor(mean eye-to-mouth distance / 0.45); the square of that size
//      whose (0.5, 0.43) point sits on the centroid of the three centres, corner floored and
//      kept >= 0 (its size capped at crop size + corner, as the package does);
//   3. that box, clipped and floored, is zero-padded (centred) to a square and resized to
//      150x150 (TF.js's legacy bilinear) and described by FaceRecognitionNet.
// Callers that only want aligned crops (the match view, preprocessing datasets without
// landmarks such as CaVI) use detectFaces -> landmarks -> alignedFace.
#include "pretrained/face_landmark_net.h"
#include "pretrained/face_recognition_net.h"
#include "pretrained/ssd_mobilenet_v1.h"
#include "pretrained/tfjs_image_ops.h"
#include "pretrained/tiny_face_detector.h"

#include <opencv2/core.hpp>

#include <string>
#include <vector>

namespace carilab::pretrained {

struct FaceLandmarksInImage {
    FaceLandmarks68 points;  // image pixels
    int cropWidth = 0, cropHeight = 0;  // the detection region the net saw (the alignment uses it)
};

struct AnalyzedFace {
    FaceDetection detection;  // box in image pixels, score
    FaceLandmarks68 landmarks;  // image pixels
    FaceRect alignedBox;  // the aligned square, before clipping to the image
    std::vector<float> descriptor;  // 128 values (raw, as computeFaceDescriptor); empty when the
        // aligned box falls outside the image
};

// The package's FaceLandmarks68.align(null, {useDlibAlignment: true}). cropWidth/cropHeight:
// the size of the region the landmarks were found in.
FaceRect alignDlibBox(const FaceLandmarks68& landmarks, int cropWidth, int cropHeight);

class FacePipeline {
public:
    // The three networks from the fetched face-api package; PretrainedMissing (saying what to
    // run) when it was not fetched.
    FacePipeline();
    // From explicit manifests (tests, other copies of the files).
    FacePipeline(const std::string& detectorManifest, const std::string& landmarkManifest, const std::string& recognitionManifest);
    // The same, and the SSD detector's manifest (else the fetched package's, found on first use).
    FacePipeline(const std::string& detectorManifest, const std::string& landmarkManifest, const std::string& recognitionManifest,
                 const std::string& ssdManifest);

    // Faces in an RGB image (CV_8UC3), best score first; empty when there is none.
    std::vector<FaceDetection> detectFaces(const cv::Mat& rgb8, const TinyDetectorOptions& o = {});
    // The same with the package's default detector, SSD MobileNet v1 (loaded on first use;
    // PretrainedMissing when it was not fetched).
    std::vector<FaceDetection> detectFacesSsd(const cv::Mat& rgb8, const SsdDetectorOptions& o = {});
    // The 68 landmarks of a detected face. Throws std::invalid_argument when the box does not
    // overlap the image.
    FaceLandmarksInImage landmarks(const cv::Mat& rgb8, const FaceDetection& face);
    // The aligned box of those landmarks.
    static FaceRect alignedBox(const FaceLandmarksInImage& lm);
    // The aligned face exactly as the descriptor sees it: float [150,150,3] RGB values.
    // Throws std::invalid_argument when the box lies outside the image.
    static torch::Tensor alignedFaceTensor(const cv::Mat& rgb8, const FaceRect& alignedBox);
    // The descriptor of an aligned face tensor from alignedFaceTensor().
    std::vector<float> describe(const torch::Tensor& aligned150);

    // All of it: every face found, with landmarks, aligned box and descriptor.
    std::vector<AnalyzedFace> describeFaces(const cv::Mat& rgb8, const TinyDetectorOptions& o = {});
    // The same with SSD MobileNet v1's boxes: detectAllFaces(new SsdMobilenetv1Options(o))
    // .withFaceLandmarks().withFaceDescriptors().
    std::vector<AnalyzedFace> describeFacesSsd(const cv::Mat& rgb8, const SsdDetectorOptions& o = {});
    // Landmarks, aligned box and descriptor of given detections (dropping those outside the image).
    std::vector<AnalyzedFace> describeDetections(const cv::Mat& rgb8, const std::vector<FaceDetection>& detections);

    TinyFaceDetector& detector() { return detector_; }
    // Loads it on first call (not thread-safe, like the rest of the pipeline).
    SsdMobilenetV1& ssdDetector();
    FaceLandmark68Net& landmarkNet() { return landmarkNet_; }
    FaceRecognitionNet& recognitionNet() { return recognitionNet_; }

private:
    TinyFaceDetector detector_{nullptr};
    FaceLandmark68Net landmarkNet_{nullptr};
    FaceRecognitionNet recognitionNet_{nullptr};
    SsdMobilenetV1 ssd_{nullptr};
    std::string ssdManifest_;  // "" = the fetched package's
};

}  // namespace carilab::pretrained
