#pragma once
// Landmarks for a dataset that ships none (CaVI): face-api's detector and 68 landmarks on every
// image without landmarks, reduced to the 5 points CariLab aligns with and written to the
// dataset's landmarks.csv sidecar (data/dataset_registry.h), which every format then reads.
// Training, evaluation, the browser and the match view all align those images from then on.
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
    int saveEvery = 200;   // images between saves of the sidecar: a killed run loses at most these
};

struct DatasetAlignReport {
    std::string root;             // the dataset the sidecar belongs to (the copy with `out`)
    std::string format;
    std::string landmarksFile;
    std::size_t images = 0;
    std::size_t hadLandmarks = 0;   // annotated already (by the dataset, or by an earlier run)
    std::size_t aligned = 0;        // landmarks found now
    std::size_t noFace = 0;         // no face found: those images stay unaligned (whole image)
    std::size_t badLandmarks = 0;   // a face, but its landmarks collapsed (FoundFace): unaligned too
    std::size_t unreadable = 0;
    std::vector<std::string> noFaceFiles, badLandmarkFiles, failures;   // relative paths; "path: reason"
    double seconds = 0;
};

using AlignProgress = std::function<void(std::size_t done, std::size_t total)>;

// Throws std::runtime_error when face-api is not fetched (the Haar cascade gives no landmarks),
// when `out` is a non-empty folder that is not such a copy, or when the sidecar cannot be
// written (naming the file).
DatasetAlignReport alignDataset(const std::string& root, const DatasetAlignOptions& options, FaceFinder& finder,
                                const AlignProgress& progress = {});

nlohmann::json toJson(const DatasetAlignReport& r);

}  // namespace carilab::match
