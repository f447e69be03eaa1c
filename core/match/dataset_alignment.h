#pragma once
// Face geometry for a dataset that ships none (CaVI): face-api's detector and 68 landmarks on
// every image, written to two sidecars at the dataset root that every format then reads
// (data/dataset_registry.h): the 5 points CariLab aligns with (landmarks.csv, for images
// without landmarks of their own) and face-api's aligned face box (face_boxes.csv, what the
// pretrained face-resnet crops). Training, evaluation, the browser and the match view all crop
// those images from then on.
#include "match/face_finder.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

namespace carilab::match {

struct DatasetAlignOptions {
    std::string format = "auto";
    // Write into a copy of the dataset folder here (hard links where the file system allows,
    // else copies) instead of into the dataset itself -- for read-only datasets. Must not exist
    // or be empty, unless it is an earlier copy of the same dataset (then it resumes or updates).
    std::string out;
    int saveEvery = 200;  // images between saves of the sidecar: a killed run loses at most these
};

struct DatasetAlignReport {
    std::string root;  // the dataset the sidecar belongs to (the copy with `out`)
    std::string format;
    std::string landmarksFile;
    std::string faceBoxesFile;  // face_boxes.csv: face-api's box per image, what face-resnet crops
    std::string detector;  // FaceFinder::detectorTag()
    std::size_t images = 0;
    std::size_t hadLandmarks = 0;  // searched by an earlier run already (its face_boxes.csv has a row)
    std::size_t aligned = 0;  // landmarks found now
    std::size_t faceBoxes = 0;  // face boxes found now (every image searched now that has a face)
    std::size_t noFace = 0;  // no face found: those images stay unaligned (whole image)
    std::size_t badLandmarks = 0;  // a face, but its landmarks collapsed (FoundFace): unaligned too
    std::size_t unreadable = 0;
    std::vector<std::string> noFaceFiles, badLandmarkFiles, failures;  // relative paths; "path: reason"
    double seconds = 0;
};

using AlignProgress = std::function<void(std::size_t done, std::size_t total)>;

// Throws std::runtime_error when face-api is not fetched (the Haar cascade gives no landmarks),
// when `out` is a non-empty folder that is not such a copy, or when the sidecar cannot be
// written (naming the file).
DatasetAlignReport alignDataset(const std::string& root, const DatasetAlignOptions& options, FaceFinder& finder, const AlignProgress& progress = {});

nlohmann::json toJson(const DatasetAlignReport& r);

}  // namespace carilab::match
