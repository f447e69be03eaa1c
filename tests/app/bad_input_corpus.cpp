#include "bad_input_corpus.h"

#include <opencv2/imgcodecs.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <stdexcept>

namespace carilab::test::corpus {
namespace fs = std::filesystem;

namespace {

void put16be(Bytes& b, unsigned v)
{
    b.push_back(static_cast<unsigned char>(v >> 8));
    b.push_back(static_cast<unsigned char>(v & 0xFF));
}

void put32be(Bytes& b, std::uint32_t v)
{
    for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<unsigned char>(v >> s));
}

std::uint32_t crc32(const unsigned char* p, size_t n)
{
    std::uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; ++i) {
        c ^= p[i];
        for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return c ^ 0xFFFFFFFFu;
}

void pngChunk(Bytes& out, const char* type, const Bytes& data)
{
    put32be(out, static_cast<std::uint32_t>(data.size()));
    const size_t start = out.size();
    out.insert(out.end(), type, type + 4);
    out.insert(out.end(), data.begin(), data.end());
    put32be(out, crc32(out.data() + start, out.size() - start));
}

Bytes encode(const std::string& ext, const cv::Mat& img)
{
    Bytes out;
    if (!cv::imencode(ext, img, out)) throw std::runtime_error("OpenCV cannot encode " + ext);
    return out;
}

// Collects bits MSB first and emits JPEG entropy-coded bytes (0xFF stuffed with 0x00).
class BitWriter {
public:
    void put(unsigned value, int bits)
    {
        for (int i = bits - 1; i >= 0; --i) {
            acc_ = static_cast<unsigned char>(acc_ << 1 | ((value >> i) & 1u));
            if (++n_ == 8) flush();
        }
    }
    Bytes finish()
    {
        while (n_ != 0) put(1, 1);  // pad with one-bits, as the standard asks
        return out_;
    }

private:
    void flush()
    {
        out_.push_back(acc_);
        if (acc_ == 0xFF) out_.push_back(0x00);
        acc_ = 0;
        n_ = 0;
    }
    Bytes out_;
    unsigned char acc_ = 0;
    int n_ = 0;
};

}  // namespace

Bytes encodeSolid(const std::string& ext, int w, int h, const cv::Scalar& bgr) { return encode(ext, cv::Mat(h, w, CV_8UC3, bgr)); }

Bytes encodeGray(const std::string& ext, int w, int h, int level) { return encode(ext, cv::Mat(h, w, CV_8UC1, cv::Scalar(level))); }

Bytes encodeTextured(const std::string& ext, int w, int h)
{
    cv::Mat img(h, w, CV_8UC3);
    cv::RNG rng(7);
    rng.fill(img, cv::RNG::UNIFORM, 0, 256);
    return encode(ext, img);
}

Bytes truncated(const Bytes& b, double keepFraction)
{
    return Bytes(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(static_cast<double>(b.size()) * keepFraction));
}

Bytes corruptJpegHeader()
{
    Bytes b = encodeTextured(".jpg", 32, 32);
    std::mt19937 rng(3);
    // Everything between SOI and the last 64 bytes (which keep the EOI) becomes noise without
    // 0xFF, so no marker, table or frame header survives.
    for (size_t i = 2; i + 64 < b.size(); ++i) b[i] = static_cast<unsigned char>(rng() % 255);
    return b;
}

Bytes corruptPngData()
{
    const Bytes good = encodeTextured(".png", 32, 32);
    Bytes out(good.begin(), good.begin() + 8);
    std::mt19937 rng(5);
    size_t i = 8;
    while (i + 12 <= good.size()) {
        const std::uint32_t len = static_cast<std::uint32_t>(good[i]) << 24 | good[i + 1] << 16 | good[i + 2] << 8 | good[i + 3];
        const std::string type(good.begin() + static_cast<std::ptrdiff_t>(i) + 4, good.begin() + static_cast<std::ptrdiff_t>(i) + 8);
        Bytes data(good.begin() + static_cast<std::ptrdiff_t>(i) + 8, good.begin() + static_cast<std::ptrdiff_t>(i + 8 + len));
        if (type == "IDAT")
            for (auto& c : data) c = static_cast<unsigned char>(rng());
        pngChunk(out, type.c_str(), data);
        i += 12 + len;
    }
    return out;
}

Bytes pngHeaderOnly(long long w, long long h)
{
    Bytes out = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    Bytes ihdr;
    put32be(ihdr, static_cast<std::uint32_t>(w));
    put32be(ihdr, static_cast<std::uint32_t>(h));
    ihdr.insert(ihdr.end(), {8, 2, 0, 0, 0});  // 8-bit RGB, deflate, no filter, no interlace
    pngChunk(out, "IHDR", ihdr);
    pngChunk(out, "IEND", {});
    return out;
}

Bytes jpegHeaderOnly(int w, int h)
{
    Bytes b = {0xFF, 0xD8, 0xFF, 0xC0};
    put16be(b, 17);
    b.push_back(8);
    put16be(b, static_cast<unsigned>(h));
    put16be(b, static_cast<unsigned>(w));
    b.push_back(3);
    for (unsigned char id = 1; id <= 3; ++id) b.insert(b.end(), {id, 0x11, 0});
    b.insert(b.end(), {0xFF, 0xD9});
    return b;
}

Bytes cmykJpeg(int c, int m, int y, int k)
{
    Bytes b = {0xFF, 0xD8};
    // APP14 "Adobe": version 100, no flags, transform 0 (samples are CMYK, not YCCK).
    b.insert(b.end(), {0xFF, 0xEE});
    put16be(b, 14);
    b.insert(b.end(), {'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, 0});
    // DQT: table 0, all ones, so a coefficient is stored as is.
    b.insert(b.end(), {0xFF, 0xDB});
    put16be(b, 67);
    b.push_back(0);
    b.insert(b.end(), 64, 1);
    // SOF0: 8 bits, 8x8, four components, no subsampling, table 0.
    b.insert(b.end(), {0xFF, 0xC0});
    put16be(b, 20);
    b.push_back(8);
    put16be(b, 8);
    put16be(b, 8);
    b.push_back(4);
    for (unsigned char id = 1; id <= 4; ++id) b.insert(b.end(), {id, 0x11, 0});
    // DHT DC 0: two codes of length 2, "00" -> category 10, "01" -> category 11.
    b.insert(b.end(), {0xFF, 0xC4});
    put16be(b, 21);
    b.push_back(0x00);
    {
        Bytes counts(16, 0);
        counts[1] = 2;
        b.insert(b.end(), counts.begin(), counts.end());
        b.insert(b.end(), {10, 11});
    }
    // DHT AC 0: one code of length 1, "0" -> end of block.
    b.insert(b.end(), {0xFF, 0xC4});
    put16be(b, 20);
    b.push_back(0x10);
    {
        Bytes counts(16, 0);
        counts[0] = 1;
        b.insert(b.end(), counts.begin(), counts.end());
        b.push_back(0x00);
    }
    // SOS: all four components with tables 0/0, full spectrum.
    b.insert(b.end(), {0xFF, 0xDA});
    put16be(b, 14);
    b.push_back(4);
    for (unsigned char id = 1; id <= 4; ++id) b.insert(b.end(), {id, 0x00});
    b.insert(b.end(), {0, 63, 0});
    BitWriter bits;
    for (int ink : {c, m, y, k}) {
        // A flat block's DC coefficient is 8 * (sample - 128); only the two extremes are
        // needed, and they fall in categories 10 (1016) and 11 (-1024).
        const int sample = 255 - ink;
        if (sample != 0 && sample != 255) throw std::invalid_argument("cmykJpeg supports ink 0 or 255 only");
        const int dc = 8 * (sample - 128);
        if (dc > 0) {
            bits.put(0b00, 2);
            bits.put(static_cast<unsigned>(dc), 10);
        } else {
            bits.put(0b01, 2);
            bits.put(static_cast<unsigned>(dc + 2047), 11);  // negative values: ones' complement
        }
        bits.put(0, 1);  // end of block
    }
    const Bytes scan = bits.finish();
    b.insert(b.end(), scan.begin(), scan.end());
    b.insert(b.end(), {0xFF, 0xD9});
    return b;
}

Bytes png16(int w, int h, int value) { return encode(".png", cv::Mat(h, w, CV_16UC3, cv::Scalar::all(value))); }

Bytes rgbaHalfTransparent(int w, int h, const cv::Scalar& bgr)
{
    cv::Mat img(h, w, CV_8UC4, cv::Scalar(0, 0, 0, 0));
    img(cv::Rect(0, 0, w / 2, h)).setTo(cv::Scalar(bgr[0], bgr[1], bgr[2], 255));
    return encode(".png", img);
}

Bytes exifJpeg(int w, int h, int orientation)
{
    cv::Mat img(h, w, CV_8UC3, cv::Scalar(255, 0, 0));  // blue
    img(cv::Rect(0, 0, w / 2, h)).setTo(cv::Scalar(0, 0, 255));  // left half red
    const Bytes jpg = encode(".jpg", img);
    Bytes app1 = {0xFF, 0xE1};
    put16be(app1, 2 + 6 + 26);
    app1.insert(app1.end(), {'E', 'x', 'i', 'f', 0, 0});
    // TIFF, little-endian: header, then IFD0 at offset 8 with the single Orientation entry.
    app1.insert(app1.end(), {'I', 'I', 42, 0, 8, 0, 0, 0});
    app1.insert(app1.end(), {1, 0});  // one entry
    app1.insert(app1.end(), {0x12, 0x01, 3, 0, 1, 0, 0, 0});  // tag 0x0112, SHORT, count 1
    app1.insert(app1.end(), {static_cast<unsigned char>(orientation), 0, 0, 0});  // value, padded
    app1.insert(app1.end(), {0, 0, 0, 0});  // no next IFD
    // SOI, then APP1, then the rest. Copied into a buffer sized up front: building it by insert
    // trips a GCC 12 false positive (-Warray-bounds in the inlined memcpy).
    Bytes out(jpg.size() + app1.size());
    std::copy(jpg.begin(), jpg.begin() + 2, out.begin());
    std::copy(app1.begin(), app1.end(), out.begin() + 2);
    std::copy(jpg.begin() + 2, jpg.end(), out.begin() + 2 + static_cast<std::ptrdiff_t>(app1.size()));
    return out;
}

void writeBytes(const std::string& path, const Bytes& b)
{
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
    if (!out) throw std::runtime_error("cannot write " + path);
}

void writeText(const std::string& path, const std::string& text) { writeBytes(path, Bytes(text.begin(), text.end())); }

Bytes readBytes(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string landmarkPoints(int n, int nanLine)
{
    std::string s;
    for (int i = 1; i <= n; ++i) s += i == nanLine ? "nan 12.5\n" : std::to_string(10 + 3 * i) + " " + std::to_string(20 + 2 * i) + "\n";
    return s;
}

std::string makeFolderDataset(const std::string& root, int identities, int perSide, const std::vector<std::string>& names)
{
    cv::RNG rng(11);
    for (int i = 0; i < identities; ++i) {
        const std::string name = i < static_cast<int>(names.size()) ? names[static_cast<size_t>(i)] : "id" + std::to_string(i);
        for (const char* side : {"photo", "caricature"})
            for (int k = 0; k < perSide; ++k) {
                // Identity-dependent mean colour plus noise: learnable, and every file decodes.
                cv::Mat img(48, 48, CV_8UC3, cv::Scalar(40 * i % 255, 90, 200 - 30 * i % 200));
                cv::Mat noise(48, 48, CV_8UC3);
                rng.fill(noise, cv::RNG::UNIFORM, 0, 40);
                img += noise;
                writeBytes(root + "/" + name + "/" + side + "/" + std::to_string(k) + ".jpg", encode(".jpg", img));
            }
    }
    return root;
}

FileSizeLimit::FileSizeLimit(unsigned long long bytes)
{
    rlimit r{};
    ::getrlimit(RLIMIT_FSIZE, &r);
    oldSoft_ = r.rlim_cur;
    r.rlim_cur = bytes;
    oldHandler_ = std::signal(SIGXFSZ, SIG_IGN);
    if (::setrlimit(RLIMIT_FSIZE, &r) != 0) throw std::runtime_error("setrlimit(RLIMIT_FSIZE) failed");
}

FileSizeLimit::~FileSizeLimit()
{
    rlimit r{};
    ::getrlimit(RLIMIT_FSIZE, &r);
    r.rlim_cur = oldSoft_;
    ::setrlimit(RLIMIT_FSIZE, &r);
    std::signal(SIGXFSZ, oldHandler_);
}

}  // namespace carilab::test::corpus
