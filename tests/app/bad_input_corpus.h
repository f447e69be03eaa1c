#pragma once
// The bad-input corpus: every kind of damaged, odd or hostile input CariLab is expected to meet,
// generated at run time (real encoder output, then corrupted; or hand-assembled bytes where no
// encoder at hand can write the case). Nothing here is downloaded or copied from a dataset.
#include <opencv2/core.hpp>

#include <string>
#include <vector>

namespace carilab::test::corpus {

using Bytes = std::vector<unsigned char>;

// Real encoder output (OpenCV imencode) of a w x h image filled with a BGR colour.
Bytes encodeSolid(const std::string& ext, int w, int h, const cv::Scalar& bgr);
// Real single-channel (grayscale) image of one grey level.
Bytes encodeGray(const std::string& ext, int w, int h, int level);
// Real JPEG/PNG of a textured image (so the entropy-coded data is long enough to cut).
Bytes encodeTextured(const std::string& ext, int w, int h);

Bytes truncated(const Bytes& b, double keepFraction);  // the first part of b
Bytes corruptJpegHeader();  // SOI, then the frame header and tables overwritten by noise, EOI kept
Bytes corruptPngData();  // complete PNG whose IDAT payload is noise (CRCs kept valid)
Bytes pngHeaderOnly(long long w, long long h);  // signature + IHDR claiming w x h + IEND: a bomb
Bytes jpegHeaderOnly(int w, int h);  // SOI + SOF0 claiming w x h + EOI: a bomb

// An 8x8 baseline CMYK JPEG with an Adobe APP14 marker (transform 0), every pixel holding the
// given ink values (0 = no ink). OpenCV cannot write CMYK, so it is assembled by hand: one
// quantisation table of ones, a DC Huffman table with two 2-bit codes (categories 10 and 11)
// and an AC table holding only end-of-block, so each 8x8 block is its DC value alone. Like
// Photoshop's, the samples are stored inverted (255 - ink).
Bytes cmykJpeg(int c, int m, int y, int k);

// A 16-bit, 3-channel PNG filled with `value` (0..65535) in every channel.
Bytes png16(int w, int h, int value);
// PNG with alpha: left half opaque `bgr`, right half fully transparent.
Bytes rgbaHalfTransparent(int w, int h, const cv::Scalar& bgr);
// A real JPEG of a w x h image, left half red and right half blue, with an EXIF APP1 segment
// (little-endian TIFF, one IFD entry: Orientation = orientation) inserted after SOI.
Bytes exifJpeg(int w, int h, int orientation);

void writeBytes(const std::string& path, const Bytes& b);
void writeText(const std::string& path, const std::string& text);
Bytes readBytes(const std::string& path);

// A WebCaricature FacialPoints file with n "x y" lines; line nanLine (1-based, 0: none) says nan.
std::string landmarkPoints(int n, int nanLine = 0);

// A folder-format dataset of `identities` people with `perSide` real JPEGs per modality.
// Returns root; identity i is named names[i] when given, else "id<i>".
std::string makeFolderDataset(const std::string& root, int identities, int perSide, const std::vector<std::string>& names = {});

// While alive, files this process writes cannot grow past `bytes` (RLIMIT_FSIZE; SIGXFSZ is
// ignored so write() fails with EFBIG instead of killing the process): a full disk without
// root, tmpfs or a real full device. Restores both on destruction.
class FileSizeLimit {
public:
    explicit FileSizeLimit(unsigned long long bytes);
    ~FileSizeLimit();
    FileSizeLimit(const FileSizeLimit&) = delete;
    FileSizeLimit& operator=(const FileSizeLimit&) = delete;

private:
    unsigned long long oldSoft_ = 0;
    void (*oldHandler_)(int) = nullptr;
};

}  // namespace carilab::test::corpus
