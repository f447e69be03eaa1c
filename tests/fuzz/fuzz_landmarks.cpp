// libFuzzer target: landmark files. The first byte picks the kind ('0': a WebCaricature
// FacialPoints .txt of 17 "x y" lines, '1': a dataset's landmarks.csv), the rest is the file.
// Contract: a bad file is a std::runtime_error; what is accepted is finite, and so is every
// crop computed from it.
#include "fuzz_support.h"

#include "data/landmarks.h"
#include "data/webcari_landmarks.h"

#include <cmath>
#include <stdexcept>

using namespace carilab::data;
using carilab::fuzz::writeScratchFile;

namespace {

bool finite(const Point2& p) { return std::isfinite(p.x) && std::isfinite(p.y); }

void fuzzLandmarks17(const std::uint8_t* data, size_t size)
{
    const std::string file = writeScratchFile("FacialPoints/Alice/C00001.txt", data, size);
    Landmarks17 points;
    try {
        points = readLandmarks17(file);
    } catch (const std::runtime_error&) {
        return;
    }
    for (const auto& p : points) FUZZ_REQUIRE(finite(p));
    for (const auto& p : landmarks5From17(points)) FUZZ_REQUIRE(finite(p));
    const FaceBox box = officialFaceBox(points);
    FUZZ_REQUIRE(std::isfinite(box.x) && std::isfinite(box.y) && std::isfinite(box.width) && std::isfinite(box.height));
    FUZZ_REQUIRE(box.width >= 0 && box.height >= 0);
}

void fuzzLandmarksCsv(const std::uint8_t* data, size_t size)
{
    const std::string file = writeScratchFile("dataset/landmarks.csv", data, size);
    std::map<std::string, Landmarks5> rows;
    try {
        rows = readLandmarksCsv(file);
    } catch (const std::runtime_error&) {
        return;
    }
    for (const auto& [path, lm] : rows)
        for (const auto& p : lm) FUZZ_REQUIRE(finite(p));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size)
{
    if (size == 0) return 0;
    if (static_cast<std::uint8_t>(data[0] - '0') % 2 == 0)
        fuzzLandmarks17(data + 1, size - 1);
    else
        fuzzLandmarksCsv(data + 1, size - 1);
    return 0;
}
