#pragma once
// Five-point facial landmarks and the files that hold them.
#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace carilab::data {

struct Point2 {
    float x = 0.f;
    float y = 0.f;
};

// Order: left eye centre, right eye centre, nose tip, left mouth corner, right mouth corner,
// where "left" means the image's left side. This is the 5-point convention of most face
// aligners (MTCNN, SphereFace), so crops from any source line up.
using Landmarks5 = std::array<Point2, 5>;

// An axis-aligned face box in image pixels (the official WebCaricature crop: the landmarks'
// bounding box widened x1.5 and heightened x1.2 about its centre).
struct FaceBox {
    float x = 0.f, y = 0.f, width = 0.f, height = 0.f;
};

// A dataset root may hold `landmarks.csv`: a header line, then one row per image:
//   <path relative to root, '/' separated>,x1,y1,x2,y2,x3,y3,x4,y4,x5,y5
// Throws std::runtime_error naming file and line on malformed rows (wrong field count,
// non-finite values or ones beyond kMaxLandmarkCoordinate).
std::map<std::string, Landmarks5> readLandmarksCsv(const std::string& file);
void writeLandmarksCsv(const std::string& file, const std::map<std::string, Landmarks5>& rows);

constexpr const char* kLandmarksFileName = "landmarks.csv";

// The sidecar files' shared parsing: a line's comma-separated fields, and one numeric field
// checked as readLandmarksCsv checks coordinates (throws std::runtime_error starting with
// `where`, naming the 1-based field `index`).
std::vector<std::string> splitCsvLine(const std::string& line);
float parseCsvCoordinate(const std::string& field, const std::string& where, int index);

// No image CariLab opens is a million pixels across; a coordinate beyond this is a corrupt
// file, and letting it through would overflow the crop box computed from it to inf/NaN.
constexpr float kMaxLandmarkCoordinate = 1e6f;

}  // namespace carilab::data
