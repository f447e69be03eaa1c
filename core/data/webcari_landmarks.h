#pragma once
// WebCaricature's 17 facial points (FacialPoints/<Name>/<image>.txt, one "x y" line each;
// floats, scientific notation and CRLF all occur) and the two crops made from them.
#include "data/landmarks.h"

#include <array>
#include <string>

namespace carilab::data {

// 1-based order: 1 hairline top, 2 left-ear centre, 3 chin, 4 right-ear centre, 5-8 eyebrow
// corners, 9-10 and 11-12 eye corners, 13 nose tip, 14 upper lip, 15 and 17 mouth corners,
// 16 lower lip.
using Landmarks17 = std::array<Point2, 17>;

// Throws std::runtime_error naming file and line: unreadable file, a line that is not two
// numbers, non-finite values or ones beyond kMaxLandmarkCoordinate, or a point count other
// than 17.
Landmarks17 readLandmarks17(const std::string& file);

// The five alignment points: eye centres (means of points 9-10 and 11-12), nose tip (13) and
// mouth corners (15, 17), ordered image-left first as Landmarks5 expects.
Landmarks5 landmarks5From17(const Landmarks17& p);

// The official crop (get_faces_webcari.py): the points' bounding box, its width scaled 1.5x and
// its height 1.2x about the centre. Not clamped: the crop clamps to the image it cuts from.
FaceBox officialFaceBox(const Landmarks17& p);

}  // namespace carilab::data
