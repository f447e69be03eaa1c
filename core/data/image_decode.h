#pragma once
// Decoding any image file CariLab may meet into 8-bit RGB.
#include <opencv2/core.hpp>

#include <stdexcept>
#include <string>
#include <vector>

namespace carilab::data {

// Thrown for files that are not usable images; what() names the file and the reason.
class ImageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Refuse images past this many pixels before decoding them (decompression bombs).
constexpr long long kMaxImagePixels = 100'000'000LL;

// Decodes jpg/png/bmp/webp/tiff, grayscale, RGBA (alpha composited on white), 16-bit (scaled
// to 8 bits), EXIF-rotated photos (orientation applied), into a continuous CV_8UC3 RGB Mat.
// Throws ImageError for a missing, empty, non-image, truncated or oversized file.
cv::Mat decodeImageRgb8(const std::string& path);
// Same from an in-memory buffer; `name` is used in messages only.
cv::Mat decodeImageRgb8(const std::vector<unsigned char>& bytes, const std::string& name);

// True for the file extensions CariLab treats as images (case-insensitive).
bool hasImageExtension(const std::string& path);

}  // namespace carilab::data

namespace carilab::data {
// Cheap check without decoding (reads the first and last bytes): returns the reason the file
// cannot be an image (empty, unreadable, unknown signature, truncated JPEG), or "" if it looks
// like one. Index building uses this so a 12 000-image folder is indexed in well under a second.
std::string sniffImageFile(const std::string& path);
}  // namespace carilab::data
