#include "data/image_decode.h"

#include "io/input_file.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace carilab::data {
namespace fs = std::filesystem;

namespace {

std::string lower(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

// Reads width and height from PNG/JPEG headers without decoding, so a 30 000 x 30 000 bomb
// is refused before OpenCV allocates gigabytes for it. Returns false for other formats.
bool peekDimensions(const std::vector<unsigned char>& b, long long& w, long long& h)
{
    if (b.size() >= 24 && b[0] == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G') {
        w = static_cast<long long>(b[16]) << 24 | b[17] << 16 | b[18] << 8 | b[19];
        h = static_cast<long long>(b[20]) << 24 | b[21] << 16 | b[22] << 8 | b[23];
        return true;
    }
    if (b.size() >= 4 && b[0] == 0xFF && b[1] == 0xD8) {
        size_t i = 2;
        while (i + 9 < b.size()) {
            if (b[i] != 0xFF) {
                ++i;
                continue;
            }
            const unsigned char marker = b[i + 1];
            if (marker == 0xFF) {
                ++i;
                continue;
            }
            const size_t len = static_cast<size_t>(b[i + 2]) << 8 | b[i + 3];
            // SOF0..SOF15 except DHT(C4), JPG(C8), DAC(CC) carry the frame size.
            if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC) {
                h = static_cast<long long>(b[i + 5]) << 8 | b[i + 6];
                w = static_cast<long long>(b[i + 7]) << 8 | b[i + 8];
                return true;
            }
            if (len < 2) return false;
            i += 2 + len;
        }
    }
    return false;
}

cv::Mat toRgb8(cv::Mat img, const std::string& name)
{
    if (img.empty()) throw ImageError(name + ": not a decodable image (corrupt, truncated or unsupported format)");
    if (img.depth() == CV_16U) {
        img.convertTo(img, CV_8U, 1.0 / 257.0);
    } else if (img.depth() == CV_32F || img.depth() == CV_64F) {
        img.convertTo(img, CV_8U, 255.0);
    } else if (img.depth() != CV_8U) {
        img.convertTo(img, CV_8U);
    }
    cv::Mat rgb;
    switch (img.channels()) {
    case 1: cv::cvtColor(img, rgb, cv::COLOR_GRAY2RGB); break;
    case 3: cv::cvtColor(img, rgb, cv::COLOR_BGR2RGB); break;
    case 4: {
        // Composite on white: transparent regions of drawn caricatures are paper, not black.
        std::vector<cv::Mat> ch;
        cv::split(img, ch);
        cv::Mat alpha;
        ch[3].convertTo(alpha, CV_32F, 1.0 / 255.0);
        cv::Mat bgr;
        cv::merge(std::vector<cv::Mat>{ch[0], ch[1], ch[2]}, bgr);
        cv::Mat bgrF, alpha3;
        bgr.convertTo(bgrF, CV_32F);
        cv::merge(std::vector<cv::Mat>{alpha, alpha, alpha}, alpha3);
        cv::Mat out = bgrF.mul(alpha3) + (cv::Scalar::all(1.0) - alpha3) * 255.0;
        out.convertTo(bgr, CV_8U);
        cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
        break;
    }
    default: throw ImageError(name + ": unsupported channel count " + std::to_string(img.channels()));
    }
    if (rgb.cols < 2 || rgb.rows < 2)
        throw ImageError(name + ": image is " + std::to_string(rgb.cols) + "x" + std::to_string(rgb.rows) + " pixels, too small to hold a face");
    return rgb.isContinuous() ? rgb : rgb.clone();
}

}  // namespace

bool hasImageExtension(const std::string& path)
{
    static const std::array<const char*, 9> kExt = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".pgm", ".ppm"};
    const std::string ext = lower(fs::path(path).extension().string());
    return std::find_if(kExt.begin(), kExt.end(), [&](const char* e) { return ext == e; }) != kExt.end();
}

cv::Mat decodeImageRgb8(const std::vector<unsigned char>& bytes, const std::string& name)
{
    if (bytes.empty()) throw ImageError(name + ": file is empty (0 bytes)");
    long long w = 0, h = 0;
    if (peekDimensions(bytes, w, h) && w * h > kMaxImagePixels)
        throw ImageError(name + ": image is " + std::to_string(w) + "x" + std::to_string(h) + " pixels, over the limit of " +
                         std::to_string(kMaxImagePixels / 1'000'000) + " MP");
    if (bytes.size() >= 4 && bytes[0] == 0xFF && bytes[1] == 0xD8) {
        // libjpeg "recovers" truncated files by filling grey, so check the end-of-image marker.
        // Like sniffImageFile, accept one in the last 4 KiB: cameras and editors append
        // trailers after it, and the index must not accept a file that decoding then refuses.
        const size_t from = bytes.size() > 4096 ? bytes.size() - 4096 : 2;
        bool eoi = false;
        for (size_t i = from; i + 1 < bytes.size() && !eoi; ++i) eoi = bytes[i] == 0xFF && bytes[i + 1] == 0xD9;
        if (!eoi) throw ImageError(name + ": JPEG is truncated (no end-of-image marker)");
    }
    cv::Mat img;
    try {
        // IMREAD_COLOR applies EXIF orientation; ANYDEPTH keeps 16-bit so we scale it ourselves.
        // ANYCOLOR would skip orientation, so alpha is read separately below only for PNG/WebP.
        // A JPEG has no alpha: decode it once (the two-pass path doubled the decoding cost of
        // every CaVI and WebCaricature image).
        const bool jpeg = bytes.size() >= 2 && bytes[0] == 0xFF && bytes[1] == 0xD8;
        if (!jpeg) img = cv::imdecode(bytes, cv::IMREAD_UNCHANGED);
        if (jpeg || (!img.empty() && img.channels() != 4)) img = cv::imdecode(bytes, cv::IMREAD_COLOR | cv::IMREAD_ANYDEPTH);
    } catch (const cv::Exception& e) {
        throw ImageError(name + ": decoder failed (" + e.err + ")");
    }
    return toRgb8(img, name);
}

cv::Mat decodeImageRgb8(const std::string& path)
{
    std::error_code ec;
    if (fs::is_directory(path, ec)) throw ImageError(path + ": is a folder, not an image file");
    if (!fs::exists(path, ec)) throw ImageError(path + ": file not found");
    if (const std::string p = io::regularFileProblem(path); !p.empty()) throw ImageError(path + ": " + p);
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) throw ImageError(path + ": cannot be opened (check read permissions)");
    // One read of the whole file, not a byte-at-a-time iterator.
    const auto size = static_cast<std::streamoff>(in.tellg());
    std::vector<unsigned char> bytes(size > 0 ? static_cast<std::size_t>(size) : 0);
    in.seekg(0);
    if (size > 0 && !in.read(reinterpret_cast<char*>(bytes.data()), size))
        throw ImageError(path + ": read error (" + std::to_string(size) + " bytes expected)");
    return decodeImageRgb8(bytes, path);
}

}  // namespace carilab::data

namespace carilab::data {

std::string sniffImageFile(const std::string& path)
{
    if (std::string p = io::regularFileProblem(path); !p.empty()) return p;
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    if (ec) return "cannot stat file (" + ec.message() + ")";
    if (size == 0) return "empty file (0 bytes)";
    std::ifstream in(path, std::ios::binary);
    if (!in) return "cannot be opened (check read permissions)";
    unsigned char head[24] = {};
    in.read(reinterpret_cast<char*>(head), sizeof head);
    const auto got = in.gcount();
    auto is = [&](std::initializer_list<int> sig, int offset = 0) {
        if (got < static_cast<std::streamsize>(offset + sig.size())) return false;
        int i = offset;
        for (int b : sig)
            if (head[i++] != b) return false;
        return true;
    };
    if (is({0xFF, 0xD8, 0xFF})) {
        unsigned char tail[2] = {};
        in.clear();
        in.seekg(-2, std::ios::end);
        in.read(reinterpret_cast<char*>(tail), 2);
        if (!(tail[0] == 0xFF && tail[1] == 0xD9)) {
            // Some encoders pad after EOI; look a little further back before calling it truncated.
            in.clear();
            const std::streamoff back = std::min<std::streamoff>(static_cast<std::streamoff>(size), 4096);
            in.seekg(-back, std::ios::end);
            std::vector<unsigned char> t(static_cast<size_t>(back));
            in.read(reinterpret_cast<char*>(t.data()), back);
            bool found = false;
            for (size_t i = 0; i + 1 < t.size(); ++i) found |= t[i] == 0xFF && t[i + 1] == 0xD9;
            if (!found) return "JPEG is truncated (no end-of-image marker)";
        }
        return "";
    }
    if (is({0x89, 'P', 'N', 'G'})) {
        // The IHDR size is in the first 24 bytes: refuse bombs and 1-pixel files here too.
        if (got < 24) return "PNG is truncated (no image header)";
        const long long w = static_cast<long long>(head[16]) << 24 | head[17] << 16 | head[18] << 8 | head[19];
        const long long h = static_cast<long long>(head[20]) << 24 | head[21] << 16 | head[22] << 8 | head[23];
        if (w < 2 || h < 2) return "image is " + std::to_string(w) + "x" + std::to_string(h) + " pixels, too small to hold a face";
        if (w * h > kMaxImagePixels) return "image is " + std::to_string(w) + "x" + std::to_string(h) + " pixels, over the limit";
        // A complete PNG ends with its IEND chunk (some tools append a little after it).
        in.clear();
        const std::streamoff back = std::min<std::streamoff>(static_cast<std::streamoff>(size), 4096);
        in.seekg(-back, std::ios::end);
        std::vector<unsigned char> t(static_cast<size_t>(back));
        in.read(reinterpret_cast<char*>(t.data()), back);
        bool found = false;
        for (size_t i = 0; i + 3 < t.size() && !found; ++i) found = t[i] == 'I' && t[i + 1] == 'E' && t[i + 2] == 'N' && t[i + 3] == 'D';
        if (!found) return "PNG is truncated (no IEND chunk)";
        return "";
    }
    if (is({'B', 'M'}) || is({'R', 'I', 'F', 'F'}) || is({'I', 'I', 42, 0}) || is({'M', 'M', 0, 42}) || is({'P', '5'}) || is({'P', '6'})) return "";
    return "not an image (unrecognised file signature)";
}

}  // namespace carilab::data
