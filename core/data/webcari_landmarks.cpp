#include "data/webcari_landmarks.h"

#include "data/protocol_files.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace carilab::data {

namespace {

bool parseFloat(const std::string& s, float& v)
{
    try {
        size_t used = 0;
        v = std::stof(s, &used);
        return used == s.size() && std::isfinite(v) && std::fabs(v) <= kMaxLandmarkCoordinate;
    } catch (const std::exception&) {
        return false;
    }
}

}  // namespace

Landmarks17 readLandmarks17(const std::string& file)
{
    const auto lines = readProtocolLines(file);
    if (lines.size() != 17)
        throw std::runtime_error(file + ":" + std::to_string(lines.empty() ? 0 : lines.back().number) + ": " + std::to_string(lines.size()) +
                                 " points, expected 17 lines of 'x y'");
    Landmarks17 p;
    for (size_t i = 0; i < lines.size(); ++i) {
        const auto f = splitFields(lines[i].text, " \t,");
        if (f.size() != 2 || !parseFloat(f[0], p[i].x) || !parseFloat(f[1], p[i].y))
            throw std::runtime_error(file + ":" + std::to_string(lines[i].number) + ": expected two numbers 'x y', found '" + lines[i].text + "'");
    }
    return p;
}

Landmarks5 landmarks5From17(const Landmarks17& p)
{
    auto mid = [](const Point2& a, const Point2& b) { return Point2{(a.x + b.x) / 2.f, (a.y + b.y) / 2.f}; };
    Point2 e1 = mid(p[8], p[9]), e2 = mid(p[10], p[11]);
    Point2 m1 = p[14], m2 = p[16];
    // "Left" in the annotation is not reliably the image's left; the aligner wants image-left.
    if (e1.x > e2.x) std::swap(e1, e2);
    if (m1.x > m2.x) std::swap(m1, m2);
    return {e1, e2, p[12], m1, m2};
}

FaceBox officialFaceBox(const Landmarks17& p)
{
    float x0 = p[0].x, x1 = p[0].x, y0 = p[0].y, y1 = p[0].y;
    for (const auto& q : p) {
        x0 = std::min(x0, q.x);
        x1 = std::max(x1, q.x);
        y0 = std::min(y0, q.y);
        y1 = std::max(y1, q.y);
    }
    const float cx = (x0 + x1) / 2.f, cy = (y0 + y1) / 2.f;
    const float w = (x1 - x0) * 1.5f, h = (y1 - y0) * 1.2f;
    return {cx - w / 2.f, cy - h / 2.f, w, h};
}

}  // namespace carilab::data
