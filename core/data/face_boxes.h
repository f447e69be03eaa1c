#pragma once
// The face box each image's face was found in, as the pretrained face-resnet descriptor crops
// it: face-api's aligned square ("dlib" alignment from the 68 landmarks), in file pixels,
// possibly reaching past the image. `carilab-cli dataset align` writes it for every image to
// the dataset root's face_boxes.csv, beside the 5-point landmarks.csv the other backbones use:
//   path,x,y,width,height,score,detector
// (path relative to the root, '/' separated; score: the detector's; detector: "ssd", "tiny",
// ... as data::FaceBoxRow::detector). A row with width 0 records an image in which no face was
// found, so a resumed `dataset align` does not search it again.
#include "data/landmarks.h"

#include <map>
#include <string>

namespace carilab::data {

struct FaceBoxRow {
    FaceBox box;  // width 0: no face found
    float score = 0.f;
    std::string detector;
    bool found() const { return box.width > 0.f && box.height > 0.f; }
};

constexpr const char* kFaceBoxesFileName = "face_boxes.csv";

// Throws std::runtime_error naming file and line for a malformed row.
std::map<std::string, FaceBoxRow> readFaceBoxesCsv(const std::string& file);
void writeFaceBoxesCsv(const std::string& file, const std::map<std::string, FaceBoxRow>& rows);

}  // namespace carilab::data
