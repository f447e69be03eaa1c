// Decoding every kind of image file CariLab meets, the crop/standardise pipeline, the cache.
#include "data/image_cache.h"
#include "data/image_decode.h"
#include "data/image_pipeline.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include <QtTest/QtTest>

using namespace carilab::data;

namespace {

// The 64x48 (w x h) fixture: grey background, a red block top-left, a blue block top-right,
// a green block bottom-left. 16-pixel blocks so JPEG's 8x8 blocks keep their centres pure.
constexpr int kW = 64, kH = 48;

cv::Mat colourFixture(int depth = CV_8U)
{
    const double one = depth == CV_16U ? 65535.0 : 255.0;
    cv::Mat m(kH, kW, CV_MAKETYPE(depth, 3), cv::Scalar::all(one * 0.5));
    m(cv::Rect(0, 0, 16, 16)).setTo(cv::Scalar(0, 0, one));  // BGR red
    m(cv::Rect(48, 0, 16, 16)).setTo(cv::Scalar(one, 0, 0));  // BGR blue
    m(cv::Rect(0, 32, 16, 16)).setTo(cv::Scalar(0, one, 0));  // BGR green
    return m;
}

std::vector<unsigned char> readBytes(const QString& path)
{
    std::ifstream in(path.toStdString(), std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void writeBytes(const QString& path, const std::vector<unsigned char>& b)
{
    std::ofstream out(path.toStdString(), std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

std::vector<unsigned char> encode(const std::string& ext, const cv::Mat& m, const std::vector<int>& params = {})
{
    std::vector<unsigned char> out;
    if (!cv::imencode(ext, m, out, params)) qFatal("imencode %s failed", ext.c_str());
    return out;
}

// Splices an APP1 Exif segment (big-endian TIFF, one IFD entry: Orientation = value) right
// after the JFIF APP0 segment of an encoded JPEG.
std::vector<unsigned char> withExifOrientation(std::vector<unsigned char> jpg, int orientation)
{
    const std::vector<unsigned char> app1 = {0xFF, 0xE1,
                                             0x00, 34,  // APP1, length 34 (includes these 2 bytes)
                                             'E',  'x',
                                             'i',  'f',
                                             0x00, 0x00,  // Exif identifier
                                             'M',  'M',
                                             0x00, 0x2A,
                                             0x00, 0x00,
                                             0x00, 0x08,  // TIFF header, IFD0 at offset 8
                                             0x00, 0x01,  // 1 entry
                                             0x01, 0x12,
                                             0x00, 0x03,
                                             0x00, 0x00,
                                             0x00, 0x01,  // Orientation, SHORT, count 1
                                             0x00, static_cast<unsigned char>(orientation),
                                             0x00, 0x00,  // value, padded
                                             0x00, 0x00,
                                             0x00, 0x00};  // no next IFD
    size_t at = 2;  // after SOI
    if (jpg.size() > 6 && jpg[2] == 0xFF && jpg[3] == 0xE0) at = 4 + (static_cast<size_t>(jpg[4]) << 8 | jpg[5]);
    jpg.insert(jpg.begin() + static_cast<std::ptrdiff_t>(at), app1.begin(), app1.end());
    return jpg;
}

std::uint32_t crc32(const unsigned char* p, size_t n)
{
    std::uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; ++i) {
        c ^= p[i];
        for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return ~c;
}

void putBe32(std::vector<unsigned char>& v, std::uint32_t x)
{
    for (int s = 24; s >= 0; s -= 8) v.push_back(static_cast<unsigned char>(x >> s));
}

// A PNG that is only a signature, a valid IHDR claiming w x h, an empty IDAT and IEND.
std::vector<unsigned char> pngHeaderOnly(std::uint32_t w, std::uint32_t h)
{
    std::vector<unsigned char> b = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
    auto chunk = [&](const char* type, const std::vector<unsigned char>& data) {
        putBe32(b, static_cast<std::uint32_t>(data.size()));
        std::vector<unsigned char> body(type, type + 4);
        body.insert(body.end(), data.begin(), data.end());
        b.insert(b.end(), body.begin(), body.end());
        putBe32(b, crc32(body.data(), body.size()));
    };
    std::vector<unsigned char> ihdr;
    putBe32(ihdr, w);
    putBe32(ihdr, h);
    ihdr.insert(ihdr.end(), {8, 2, 0, 0, 0});  // 8-bit RGB, deflate, no filter, no interlace
    chunk("IHDR", ihdr);
    chunk("IDAT", {});
    chunk("IEND", {});
    return b;
}

cv::Vec3b pixelAt(const cv::Mat& rgb, int x, int y) { return rgb.at<cv::Vec3b>(y, x); }

QString describe(const cv::Vec3b& v) { return QStringLiteral("(%1,%2,%3)").arg(v[0]).arg(v[1]).arg(v[2]); }

bool near(const cv::Vec3b& v, int r, int g, int b, int tol)
{
    return std::abs(v[0] - r) <= tol && std::abs(v[1] - g) <= tol && std::abs(v[2] - b) <= tol;
}

// The ArcFace 112x112 five-point template every aligner uses, as the pipeline documents it.
constexpr double kTemplate112[5][2] = {{38.2946, 51.6963}, {73.5318, 51.5014}, {56.0252, 71.7366}, {41.5493, 92.3655}, {70.7299, 92.2041}};

cv::Point2d templatePoint(int i, int size, double padding)
{
    const double shrink = 1.0 - padding;
    return {((kTemplate112[i][0] / 112.0 - 0.5) * shrink + 0.5) * size, ((kTemplate112[i][1] / 112.0 - 0.5) * shrink + 0.5) * size};
}

cv::Point2d apply(const cv::Mat& m, double x, double y)
{
    return {m.at<double>(0, 0) * x + m.at<double>(0, 1) * y + m.at<double>(0, 2),
            m.at<double>(1, 0) * x + m.at<double>(1, 1) * y + m.at<double>(1, 2)};
}

cv::Mat randomImage(int w, int h, int seed)
{
    cv::Mat m(h, w, CV_8UC3);
    cv::RNG rng(static_cast<std::uint64_t>(seed));
    rng.fill(m, cv::RNG::UNIFORM, 0, 256);
    cv::GaussianBlur(m, m, cv::Size(5, 5), 0);
    return m;
}

}  // namespace

class TestImagePipeline final : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    QString path(const QString& name) const { return dir_.filePath(name); }

private Q_SLOTS:
    void initTestCase() { QVERIFY(dir_.isValid()); }

    void decodeGoodKinds_data();
    void decodeGoodKinds();
    void decodeExifOrientation_data();
    void decodeExifOrientation();
    void decodeFromMemoryMatchesFile();
    void decodeBadKinds_data();
    void decodeBadKinds();
    void imageExtensions_data();
    void imageExtensions();

    void preprocessShapeAndStandardisation_data();
    void preprocessShapeAndStandardisation();
    void preprocessConstantImageIsFinite();
    void preprocessWithoutStandardisation();
    void alignmentRecoversSimilarity_data();
    void alignmentRecoversSimilarity();
    void alignedCropPutsLandmarksOnTemplate();
    void augmentationDeterministicPerSeed();
    void randomErasingCoversOneRectangle();
    void cropWithoutLandmarksResizesWholeImage_data();
    void cropWithoutLandmarksResizesWholeImage();
    void cropIsNotShifted_data();
    void cropIsNotShifted();

    void cacheHitsAndMisses();
    void cacheEvictsLeastRecentlyUsed();
    void cacheDownscalesLargeImages();
    void cacheRefusesBadFile();
};

// ---------------------------------------------------------------------------------------------
// Decoding

void TestImagePipeline::decodeGoodKinds_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("file");
    QTest::addColumn<int>("tolerance");  // per-channel, for lossy codecs
    QTest::addColumn<bool>("colour");  // the fixture has its red/blue/green blocks

    QTest::newRow("jpg") << "jpg"
                         << "a.jpg" << 40 << true;
    QTest::newRow("jpeg-uppercase-ext") << "jpg"
                                        << "b.JPEG" << 40 << true;
    QTest::newRow("jpg-with-trailer") << "jpgtrailer"
                                      << "trailer.jpg" << 40 << true;  // data after EOI
    QTest::newRow("png") << "png"
                         << "a.png" << 0 << true;
    QTest::newRow("bmp") << "bmp"
                         << "a.bmp" << 0 << true;
    QTest::newRow("webp-lossless") << "webp"
                                   << "a.webp" << 0 << true;
    QTest::newRow("tiff") << "tiff"
                          << "a.tiff" << 0 << true;
    QTest::newRow("grey-png") << "grey"
                              << "g.png" << 0 << false;
    QTest::newRow("grey-jpg") << "grey"
                              << "g.jpg" << 6 << false;
    QTest::newRow("rgba-png") << "rgba"
                              << "rgba.png" << 1 << true;
    QTest::newRow("png-16bit") << "png16"
                               << "deep.png" << 1 << true;
    QTest::newRow("tiff-16bit") << "png16"
                                << "deep.tif" << 1 << true;
}

void TestImagePipeline::decodeGoodKinds()
{
    QFETCH(QString, kind);
    QFETCH(QString, file);
    QFETCH(int, tolerance);
    QFETCH(bool, colour);

    const std::string ext = QFileInfo(file).suffix().toLower().toStdString();
    if (!cv::haveImageWriter("x." + ext)) QSKIP(qPrintable("this OpenCV cannot write ." + QString::fromStdString(ext)));
    const QString p = path(file);
    std::vector<int> params;
    if (ext == "webp") params = {cv::IMWRITE_WEBP_QUALITY, 101};  // > 100 = lossless
    if (ext == "jpg" || ext == "jpeg") params = {cv::IMWRITE_JPEG_QUALITY, 95};

    cv::Mat src;
    if (kind == "grey") {
        src = cv::Mat(kH, kW, CV_8UC1, cv::Scalar(100));
        src(cv::Rect(0, 0, 16, 16)).setTo(cv::Scalar(200));
    } else if (kind == "rgba") {
        cv::Mat bgr = colourFixture();
        cv::Mat alpha(kH, kW, CV_8UC1, cv::Scalar(255));
        alpha(cv::Rect(16, 16, 16, 16)).setTo(cv::Scalar(0));  // fully transparent black
        alpha(cv::Rect(32, 16, 16, 16)).setTo(cv::Scalar(128));  // half transparent black
        bgr(cv::Rect(16, 16, 32, 16)).setTo(cv::Scalar(0, 0, 0));
        std::vector<cv::Mat> ch;
        cv::split(bgr, ch);
        ch.push_back(alpha);
        cv::merge(ch, src);
    } else if (kind == "png16") {
        src = colourFixture(CV_16U);
        src(cv::Rect(16, 16, 16, 16)).setTo(cv::Scalar::all(32896));
        src(cv::Rect(32, 16, 16, 16)).setTo(cv::Scalar::all(65535));
    } else {
        src = colourFixture();
    }
    QVERIFY(cv::imwrite(p.toStdString(), src, params));
    if (kind == "jpgtrailer") {
        // Phones and editors append trailers after the end-of-image marker.
        auto b = readBytes(p);
        const std::string trailer = "\x01\x02SAMSUNG-TRAILER-DATA\x7f";
        b.insert(b.end(), trailer.begin(), trailer.end());
        writeBytes(p, b);
    }
    if (kind == "png16") {
        // Make sure the fixture really is 16-bit on disk, or the test would prove nothing.
        const cv::Mat raw = cv::imread(p.toStdString(), cv::IMREAD_UNCHANGED);
        QCOMPARE(raw.depth(), CV_16U);
    }

    QCOMPARE(sniffImageFile(p.toStdString()), std::string());
    const cv::Mat rgb = decodeImageRgb8(p.toStdString());
    QCOMPARE(rgb.type(), CV_8UC3);
    QVERIFY(rgb.isContinuous());
    QCOMPARE(rgb.cols, kW);
    QCOMPARE(rgb.rows, kH);

    auto expect = [&](int x, int y, int r, int g, int b, int tol) {
        const cv::Vec3b v = pixelAt(rgb, x, y);
        if (!near(v, r, g, b, tol))
            QFAIL(qPrintable(
                QStringLiteral("pixel (%1,%2) is %3, expected (%4,%5,%6) +-%7").arg(x).arg(y).arg(describe(v)).arg(r).arg(g).arg(b).arg(tol)));
    };
    if (colour) {
        expect(8, 8, 255, 0, 0, tolerance);  // BGR(0,0,255) written by OpenCV reads as RGB red
        expect(56, 8, 0, 0, 255, tolerance);  // blue
        expect(8, 40, 0, 255, 0, tolerance);  // green
    }
    if (kind == "grey") {
        expect(8, 8, 200, 200, 200, tolerance);
        expect(40, 30, 100, 100, 100, tolerance);
    }
    if (kind == "rgba") {
        expect(24, 24, 255, 255, 255, tolerance);  // transparent -> white paper, not black
        expect(40, 24, 127, 127, 127, tolerance);  // 50% black over white
        expect(40, 40, 128, 128, 128, tolerance);  // opaque grey untouched
    }
    if (kind == "png16") {
        expect(24, 24, 128, 128, 128, tolerance);  // 32896 -> 128
        expect(40, 24, 255, 255, 255, 0);  // 65535 -> 255 exactly
        expect(56, 8, 0, 0, 255, 0);  // 16-bit BGR order too
    }
}

void TestImagePipeline::decodeExifOrientation_data()
{
    QTest::addColumn<int>("orientation");
    QTest::addColumn<int>("width");
    QTest::addColumn<int>("height");
    QTest::addColumn<int>("redX");  // where the red block's centre ends up
    QTest::addColumn<int>("redY");

    // 1 = as stored; 6 = rotate 90 degrees clockwise to display (top-left goes top-right);
    // 8 = rotate 90 counter-clockwise (top-left goes bottom-left); 3 = 180 degrees.
    QTest::newRow("orientation-1") << 1 << kW << kH << 8 << 8;
    QTest::newRow("orientation-6") << 6 << kH << kW << kH - 8 << 8;
    QTest::newRow("orientation-8") << 8 << kH << kW << 8 << kW - 8;
    QTest::newRow("orientation-3") << 3 << kW << kH << kW - 8 << kH - 8;
}

void TestImagePipeline::decodeExifOrientation()
{
    QFETCH(int, orientation);
    QFETCH(int, width);
    QFETCH(int, height);
    QFETCH(int, redX);
    QFETCH(int, redY);

    const auto bytes = withExifOrientation(encode(".jpg", colourFixture(), {cv::IMWRITE_JPEG_QUALITY, 95}), orientation);
    const QString p = path(QStringLiteral("exif-%1.jpg").arg(orientation));
    writeBytes(p, bytes);
    QCOMPARE(sniffImageFile(p.toStdString()), std::string());

    const cv::Mat rgb = decodeImageRgb8(p.toStdString());
    QCOMPARE(rgb.type(), CV_8UC3);
    QCOMPARE(rgb.cols, width);
    QCOMPARE(rgb.rows, height);
    const cv::Vec3b v = pixelAt(rgb, redX, redY);
    QVERIFY2(near(v, 255, 0, 0, 40), qPrintable("red block not where the orientation puts it: " + describe(v)));
}

void TestImagePipeline::decodeFromMemoryMatchesFile()
{
    const auto bytes = encode(".png", colourFixture());
    const QString p = path(QStringLiteral("mem.png"));
    writeBytes(p, bytes);
    const cv::Mat a = decodeImageRgb8(p.toStdString());
    const cv::Mat b = decodeImageRgb8(bytes, "in-memory.png");
    QCOMPARE(a.size(), b.size());
    QCOMPARE(cv::norm(a, b, cv::NORM_INF), 0.0);
    try {
        decodeImageRgb8(std::vector<unsigned char>{'n', 'o', 'p', 'e'}, "the-buffer-name");
        QFAIL("garbage bytes decoded");
    } catch (const ImageError& e) {
        QVERIFY2(std::string(e.what()).find("the-buffer-name") != std::string::npos, e.what());
    }
}

void TestImagePipeline::decodeBadKinds_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("reasonPart");  // a word the decode error must contain

    QTest::newRow("zero-byte") << "empty"
                               << "empty.jpg"
                               << "empty";
    QTest::newRow("text-as-jpg") << "text"
                                 << "notes.jpg"
                                 << "decodable";
    QTest::newRow("truncated-jpg") << "truncjpg"
                                   << "half.jpg"
                                   << "truncated";
    QTest::newRow("truncated-png") << "truncpng"
                                   << "half.png"
                                   << "";
    QTest::newRow("one-pixel") << "tiny"
                               << "dot.png"
                               << "small";
    QTest::newRow("png-bomb-30000") << "bomb"
                                    << "bomb.png"
                                    << "30000x30000";
    QTest::newRow("folder") << "folder"
                            << "adir.jpg"
                            << "folder";
    QTest::newRow("missing") << "missing"
                             << "nothere.png"
                             << "not found";
}

void TestImagePipeline::decodeBadKinds()
{
    QFETCH(QString, kind);
    QFETCH(QString, file);
    QFETCH(QString, reasonPart);

    const QString p = path(file);
    if (kind == "empty") {
        writeBytes(p, {});
    } else if (kind == "text") {
        const std::string t = "these are my notes, not a picture\n";
        writeBytes(p, std::vector<unsigned char>(t.begin(), t.end()));
    } else if (kind == "truncjpg" || kind == "truncpng") {
        const auto full = encode(kind == "truncjpg" ? ".jpg" : ".png", randomImage(96, 96, 3));
        writeBytes(p, std::vector<unsigned char>(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(full.size()) / 2));
    } else if (kind == "tiny") {
        QVERIFY(cv::imwrite(p.toStdString(), cv::Mat(1, 1, CV_8UC3, cv::Scalar(1, 2, 3))));
    } else if (kind == "bomb") {
        writeBytes(p, pngHeaderOnly(30000, 30000));
    } else if (kind == "folder") {
        QVERIFY(QDir(dir_.path()).mkpath(file));
    }

    const std::string sniff = sniffImageFile(p.toStdString());
    QVERIFY2(!sniff.empty(), "sniffImageFile accepted a bad file");

    try {
        const cv::Mat m = decodeImageRgb8(p.toStdString());
        QFAIL(qPrintable(QStringLiteral("decoded a bad file into %1x%2").arg(m.cols).arg(m.rows)));
    } catch (const ImageError& e) {
        const QString msg = QString::fromUtf8(e.what());
        QVERIFY2(msg.contains(file), qPrintable("message does not name the file: " + msg));
        QVERIFY2(msg.contains(reasonPart, Qt::CaseInsensitive), qPrintable("message lacks '" + reasonPart + "': " + msg));
    } catch (const std::exception& e) {
        QFAIL(qPrintable(QStringLiteral("threw a non-ImageError: ") + e.what()));
    }
}

void TestImagePipeline::imageExtensions_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<bool>("image");
    QTest::newRow("jpg") << "a/b.jpg" << true;
    QTest::newRow("JPEG") << "B.JPEG" << true;
    QTest::newRow("png") << "x.png" << true;
    QTest::newRow("webp") << "x.webp" << true;
    QTest::newRow("tif") << "x.tif" << true;
    QTest::newRow("txt") << "notes.txt" << false;
    QTest::newRow("db") << "Thumbs.db" << false;
    QTest::newRow("no-ext") << "README" << false;
    QTest::newRow("jpg-in-dir-name") << "a.jpg/readme" << false;
}

void TestImagePipeline::imageExtensions()
{
    QFETCH(QString, file);
    QFETCH(bool, image);
    QCOMPARE(hasImageExtension(file.toStdString()), image);
}

// ---------------------------------------------------------------------------------------------
// Pipeline

void TestImagePipeline::preprocessShapeAndStandardisation_data()
{
    QTest::addColumn<int>("size");
    QTest::addColumn<bool>("withLandmarks");
    QTest::addColumn<bool>("augment");
    QTest::newRow("112-whole") << 112 << false << false;
    QTest::newRow("64-aligned") << 64 << true << false;
    QTest::newRow("48-aligned-augmented") << 48 << true << true;
    QTest::newRow("33-whole-augmented") << 33 << false << true;
}

void TestImagePipeline::preprocessShapeAndStandardisation()
{
    QFETCH(int, size);
    QFETCH(bool, withLandmarks);
    QFETCH(bool, augment);

    const cv::Mat img = randomImage(150, 180, size);
    PipelineOptions o;
    o.size = size;
    o.augment.enabled = augment;
    std::optional<Landmarks5> lm;
    if (withLandmarks) lm = Landmarks5{{{50, 70}, {100, 70}, {75, 100}, {55, 130}, {95, 130}}};
    std::mt19937_64 rng(5);
    const cv::Mat f = preprocess(img, lm, o, augment ? &rng : nullptr);
    QCOMPARE(f.type(), CV_32FC3);
    QCOMPARE(f.cols, size);
    QCOMPARE(f.rows, size);
    QVERIFY(cv::checkRange(f));
    cv::Scalar mean, sd;
    cv::meanStdDev(f.reshape(1), mean, sd);
    QVERIFY2(std::abs(mean[0]) < 1e-3, qPrintable(QString::number(mean[0])));
    QVERIFY2(std::abs(sd[0] - 1.0) < 1e-3, qPrintable(QString::number(sd[0])));
}

void TestImagePipeline::preprocessConstantImageIsFinite()
{
    // std = 0: the official max(std, 1/sqrt(N)) guard must avoid a division by zero.
    const cv::Mat img(40, 40, CV_8UC3, cv::Scalar(90, 90, 90));
    PipelineOptions o;
    o.size = 32;
    const cv::Mat f = preprocess(img, std::nullopt, o);
    QVERIFY(cv::checkRange(f));
    QVERIFY(cv::norm(f, cv::NORM_INF) < 1e-4);
}

void TestImagePipeline::preprocessWithoutStandardisation()
{
    cv::Mat img(40, 40, CV_8UC3, cv::Scalar(0, 0, 0));
    img(cv::Rect(0, 0, 40, 20)).setTo(cv::Scalar(255, 255, 255));
    PipelineOptions o;
    o.size = 40;
    o.standardize = false;
    const cv::Mat f = preprocess(img, std::nullopt, o);
    QCOMPARE(f.type(), CV_32FC3);
    double lo = 0, hi = 0;
    cv::minMaxLoc(f.reshape(1), &lo, &hi);
    QCOMPARE(lo, 0.0);
    QCOMPARE(hi, 1.0);
}

void TestImagePipeline::alignmentRecoversSimilarity_data()
{
    QTest::addColumn<double>("angleDeg");  // of the landmark set relative to the template
    QTest::addColumn<double>("scale");
    QTest::addColumn<double>("tx");
    QTest::addColumn<double>("ty");
    QTest::addColumn<int>("size");
    QTest::addColumn<double>("padding");

    QTest::newRow("identity") << 0.0 << 1.0 << 0.0 << 0.0 << 112 << 0.0;
    QTest::newRow("shift") << 0.0 << 1.0 << 37.5 << -12.25 << 128 << 0.1;
    QTest::newRow("rot20-scale2.5") << 20.0 << 2.5 << 300.0 << 150.0 << 128 << 0.1;
    QTest::newRow("rot-35-scale0.4") << -35.0 << 0.4 << 5.0 << 80.0 << 96 << 0.2;
    QTest::newRow("upside-down") << 180.0 << 3.0 << 600.0 << 400.0 << 64 << 0.0;
}

void TestImagePipeline::alignmentRecoversSimilarity()
{
    QFETCH(double, angleDeg);
    QFETCH(double, scale);
    QFETCH(double, tx);
    QFETCH(double, ty);
    QFETCH(int, size);
    QFETCH(double, padding);

    // Landmarks = S(template) for a known similarity S; the alignment must be S^-1.
    const double a = angleDeg * CV_PI / 180.0;
    Landmarks5 lm;
    for (int i = 0; i < 5; ++i) {
        const cv::Point2d t = templatePoint(i, size, padding);
        lm[static_cast<size_t>(i)].x = static_cast<float>(scale * (std::cos(a) * t.x - std::sin(a) * t.y) + tx);
        lm[static_cast<size_t>(i)].y = static_cast<float>(scale * (std::sin(a) * t.x + std::cos(a) * t.y) + ty);
    }
    const cv::Mat m = alignmentTransform(lm, size, static_cast<float>(padding));
    QCOMPARE(m.type(), CV_64F);
    QCOMPARE(m.rows, 2);
    QCOMPARE(m.cols, 3);
    for (int i = 0; i < 5; ++i) {
        const cv::Point2d got = apply(m, lm[static_cast<size_t>(i)].x, lm[static_cast<size_t>(i)].y);
        const cv::Point2d want = templatePoint(i, size, padding);
        const double residual = std::hypot(got.x - want.x, got.y - want.y);
        QVERIFY2(residual < 0.01, qPrintable(QStringLiteral("point %1 lands %2 px off").arg(i).arg(residual)));
    }
    // No shear, no reflection; scale and rotation are the inverse of the ones applied.
    QVERIFY(std::abs(m.at<double>(0, 0) - m.at<double>(1, 1)) < 1e-6);
    QVERIFY(std::abs(m.at<double>(0, 1) + m.at<double>(1, 0)) < 1e-6);
    const double gotScale = std::hypot(m.at<double>(0, 0), m.at<double>(1, 0));
    const double gotAngle = std::atan2(m.at<double>(1, 0), m.at<double>(0, 0)) * 180.0 / CV_PI;
    QVERIFY2(std::abs(gotScale - 1.0 / scale) < 1e-4 / scale, qPrintable(QString::number(gotScale)));
    double dAngle = std::remainder(gotAngle + angleDeg, 360.0);
    QVERIFY2(std::abs(dAngle) < 0.01, qPrintable(QString::number(gotAngle)));
}

void TestImagePipeline::alignedCropPutsLandmarksOnTemplate()
{
    // Paint a bright dot at each (rotated, scaled) landmark: after cropFace each dot must sit
    // on its template point in the output crop.
    const int size = 96;
    const double padding = 0.1, a = 15.0 * CV_PI / 180.0, s = 2.0;
    cv::Mat img(300, 300, CV_8UC3, cv::Scalar(0, 0, 0));
    Landmarks5 lm;
    for (int i = 0; i < 5; ++i) {
        const cv::Point2d t = templatePoint(i, size, padding);
        lm[static_cast<size_t>(i)] = {static_cast<float>(s * (std::cos(a) * t.x - std::sin(a) * t.y) + 60),
                                      static_cast<float>(s * (std::sin(a) * t.x + std::cos(a) * t.y) + 20)};
        cv::circle(
            img, cv::Point(static_cast<int>(std::lround(lm[static_cast<size_t>(i)].x)), static_cast<int>(std::lround(lm[static_cast<size_t>(i)].y))),
            3, cv::Scalar(255, 255, 255), cv::FILLED);
    }
    PipelineOptions o;
    o.size = size;
    o.alignPadding = static_cast<float>(padding);
    const cv::Mat crop = cropFace(img, lm, o);
    QCOMPARE(crop.type(), CV_8UC3);
    QCOMPARE(crop.size(), cv::Size(size, size));
    for (int i = 0; i < 5; ++i) {
        const cv::Point2d t = templatePoint(i, size, padding);
        const cv::Vec3b v = crop.at<cv::Vec3b>(static_cast<int>(std::lround(t.y)), static_cast<int>(std::lround(t.x)));
        QVERIFY2(v[0] > 200, qPrintable(QStringLiteral("landmark %1 not on its template point: %2").arg(i).arg(describe(v))));
    }
    // And the far corner stays dark: the crop is not just a resize of the bright image.
    QVERIFY(crop.at<cv::Vec3b>(0, 0)[0] < 30);

    // alignWithLandmarks = false ignores them: same as no landmarks at all.
    o.alignWithLandmarks = false;
    QCOMPARE(cv::norm(cropFace(img, lm, o), cropFace(img, std::nullopt, o), cv::NORM_INF), 0.0);
}

// On a flat grey image with only erasing on, what changed is one rectangle of 2-33 % of the
// crop (the noise may repeat a grey pixel inside it, so its bounding box is checked, not each
// pixel), the same for the same seed, and nothing changes with probability 0.
void TestImagePipeline::randomErasingCoversOneRectangle()
{
    const cv::Mat img(96, 96, CV_8UC3, cv::Scalar::all(128));
    PipelineOptions o;
    o.size = 96;
    o.alignWithLandmarks = false;
    o.augment = AugmentOptions{true, false, 0.f, 0.f, 0.f, 0.f, 1.f};
    int erased = 0;
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
        std::mt19937_64 r1(seed), r2(seed);
        const cv::Mat a = cropFace(img, std::nullopt, o, &r1), b = cropFace(img, std::nullopt, o, &r2);
        QCOMPARE(cv::norm(a, b, cv::NORM_INF), 0.0);
        cv::Mat changed;
        cv::cvtColor(cv::abs(a - img) + cv::abs(img - a), changed, cv::COLOR_RGB2GRAY);
        const cv::Rect box = cv::boundingRect(changed > 0);
        if (box.area() == 0) continue;  // all ten placements failed: allowed, but rare
        ++erased;
        const double share = static_cast<double>(box.area()) / (96.0 * 96.0);
        QVERIFY2(share >= 0.015 && share <= 0.34, qPrintable(QString("erased share %1").arg(share)));
        QVERIFY2(cv::countNonZero(changed(box)) > 0.9 * box.area(), "the erased pixels do not fill one rectangle");
    }
    QVERIFY2(erased >= 18, qPrintable(QString("only %1 of 20 crops were erased").arg(erased)));
    o.augment.eraseProbability = 0.f;
    std::mt19937_64 r(7);
    QCOMPARE(cv::norm(cropFace(img, std::nullopt, o, &r), img, cv::NORM_INF), 0.0);
}

void TestImagePipeline::augmentationDeterministicPerSeed()
{
    const cv::Mat img = randomImage(120, 140, 11);
    const Landmarks5 lm{{{40, 60}, {80, 60}, {60, 85}, {45, 105}, {75, 105}}};
    PipelineOptions o;
    o.size = 64;
    o.augment.enabled = true;

    std::mt19937_64 r1(42), r2(42), r3(43);
    const cv::Mat a = preprocess(img, lm, o, &r1);
    const cv::Mat b = preprocess(img, lm, o, &r2);
    const cv::Mat c = preprocess(img, lm, o, &r3);
    QCOMPARE(cv::norm(a, b, cv::NORM_INF), 0.0);
    QVERIFY2(cv::norm(a, c, cv::NORM_INF) > 0.1, "another seed gave the same augmentation");

    // The generator advances: a second draw from the same engine differs from the first.
    const cv::Mat a2 = preprocess(img, lm, o, &r1);
    QVERIFY(cv::norm(a, a2, cv::NORM_INF) > 0.1);

    // Without rng, or with augmentation off, no augmentation happens: all equal the plain crop.
    const cv::Mat plain = preprocess(img, lm, o, nullptr);
    PipelineOptions off = o;
    off.augment.enabled = false;
    std::mt19937_64 r4(42);
    QCOMPARE(cv::norm(plain, preprocess(img, lm, off, &r4), cv::NORM_INF), 0.0);
    QVERIFY(cv::norm(plain, a, cv::NORM_INF) > 0.1);
}

void TestImagePipeline::cropWithoutLandmarksResizesWholeImage_data()
{
    QTest::addColumn<int>("width");
    QTest::addColumn<int>("height");
    QTest::addColumn<int>("size");
    QTest::newRow("downscale-wide") << 200 << 100 << 64;
    QTest::newRow("downscale-large") << 1000 << 800 << 64;  // the pre-shrink path (> 2x)
    QTest::newRow("upscale") << 40 << 30 << 96;
    QTest::newRow("same") << 64 << 64 << 64;
}

void TestImagePipeline::cropWithoutLandmarksResizesWholeImage()
{
    QFETCH(int, width);
    QFETCH(int, height);
    QFETCH(int, size);

    // Four colour quadrants: the whole image is resized (aspect not kept), nothing cropped away.
    cv::Mat img(height, width, CV_8UC3);
    const int hw = width / 2, hh = height / 2;
    img(cv::Rect(0, 0, hw, hh)).setTo(cv::Scalar(255, 0, 0));
    img(cv::Rect(hw, 0, width - hw, hh)).setTo(cv::Scalar(0, 255, 0));
    img(cv::Rect(0, hh, hw, height - hh)).setTo(cv::Scalar(0, 0, 255));
    img(cv::Rect(hw, hh, width - hw, height - hh)).setTo(cv::Scalar(255, 255, 0));
    PipelineOptions o;
    o.size = size;
    const cv::Mat out = cropFace(img, std::nullopt, o);
    QCOMPARE(out.type(), CV_8UC3);
    QCOMPARE(out.size(), cv::Size(size, size));
    const int q = size / 4, e = 1, f = size - 2;
    // Quadrant centres and the extreme corners keep their colours.
    for (const auto& [x, y, c] : std::vector<std::tuple<int, int, cv::Vec3b>>{{q, q, {255, 0, 0}},
                                                                              {3 * q, q, {0, 255, 0}},
                                                                              {q, 3 * q, {0, 0, 255}},
                                                                              {3 * q, 3 * q, {255, 255, 0}},
                                                                              {e, e, {255, 0, 0}},
                                                                              {f, e, {0, 255, 0}},
                                                                              {e, f, {0, 0, 255}},
                                                                              {f, f, {255, 255, 0}}}) {
        const cv::Vec3b v = out.at<cv::Vec3b>(y, x);
        QVERIFY2(near(v, c[0], c[1], c[2], 2), qPrintable(QStringLiteral("(%1,%2) is %3").arg(x).arg(y).arg(describe(v))));
    }
    // And it matches a plain resize of the whole image on a smooth image (no shift, no crop).
    cv::Mat smooth(height, width, CV_8UC3);
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x) smooth.at<cv::Vec3b>(y, x) = {static_cast<uchar>(255 * x / width), static_cast<uchar>(255 * y / height), 128};
    cv::Mat ref;
    cv::resize(smooth, ref, cv::Size(size, size), 0, 0, size < width ? cv::INTER_AREA : cv::INTER_LINEAR);
    const cv::Mat got = cropFace(smooth, std::nullopt, o);
    cv::Mat diff;
    cv::absdiff(got, ref, diff);
    const double meanDiff = cv::mean(diff.reshape(1))[0];
    QVERIFY2(meanDiff < 1.0, qPrintable(QStringLiteral("differs from cv::resize by %1 on average").arg(meanDiff)));
}

void TestImagePipeline::cropIsNotShifted_data()
{
    QTest::addColumn<int>("width");
    QTest::addColumn<int>("height");
    QTest::addColumn<double>("landmarkScale");  // 0 = no landmarks (whole-image resize)
    QTest::addColumn<double>("angleDeg");
    QTest::newRow("whole-downscale") << 200 << 160 << 0.0 << 0.0;
    QTest::newRow("whole-downscale-preshrink") << 1000 << 800 << 0.0 << 0.0;
    QTest::newRow("whole-upscale") << 40 << 30 << 0.0 << 0.0;
    QTest::newRow("aligned-zoom-in") << 120 << 120 << 0.5 << 10.0;
    QTest::newRow("aligned-zoom-out-preshrink") << 900 << 900 << 5.0 << -12.0;
}

void TestImagePipeline::cropIsNotShifted()
{
    // A Gaussian blob centred at a known source point must land, to a tenth of a pixel, where
    // the crop's transform sends that point: pixel centres at integer coordinates throughout
    // (OpenCV's convention), in every resampling path.
    QFETCH(int, width);
    QFETCH(int, height);
    QFETCH(double, landmarkScale);
    QFETCH(double, angleDeg);
    const int size = 64;
    const double padding = 0.1;
    PipelineOptions o;
    o.size = size;
    o.alignPadding = static_cast<float>(padding);

    std::optional<Landmarks5> lm;
    cv::Point2d centre, expected;
    double sx = 0, sy = 0;  // dst pixels per src pixel
    if (landmarkScale > 0) {
        const double a = angleDeg * CV_PI / 180.0;
        Landmarks5 l;
        double mx = 0, my = 0;
        for (int i = 0; i < 5; ++i) {
            const cv::Point2d t = templatePoint(i, size, padding);
            l[static_cast<size_t>(i)] = {static_cast<float>(landmarkScale * (std::cos(a) * t.x - std::sin(a) * t.y) + width * 0.3),
                                         static_cast<float>(landmarkScale * (std::sin(a) * t.x + std::cos(a) * t.y) + height * 0.2)};
            mx += l[static_cast<size_t>(i)].x / 5.0;
            my += l[static_cast<size_t>(i)].y / 5.0;
        }
        lm = l;
        centre = {mx, my};
        expected = apply(alignmentTransform(l, size, static_cast<float>(padding)), mx, my);
        sx = sy = 1.0 / landmarkScale;
    } else {
        centre = {width * 0.45 + 0.3, height * 0.55 - 0.2};
        sx = static_cast<double>(size) / width;
        sy = static_cast<double>(size) / height;
        expected = {(centre.x + 0.5) * sx - 0.5, (centre.y + 0.5) * sy - 0.5};
    }
    const double sigma = 4.0;  // in output pixels
    cv::Mat f(height, width, CV_32F);
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x) {
            const double dx = (x - centre.x) * sx / sigma, dy = (y - centre.y) * sy / sigma;
            f.at<float>(y, x) = static_cast<float>(250.0 * std::exp(-0.5 * (dx * dx + dy * dy)));
        }
    cv::Mat g8, img;
    f.convertTo(g8, CV_8U);
    cv::cvtColor(g8, img, cv::COLOR_GRAY2RGB);

    const cv::Mat crop = cropFace(img, lm, o);
    double sum = 0, cx = 0, cy = 0;
    for (int y = 0; y < size; ++y)
        for (int x = 0; x < size; ++x) {
            const double v = crop.at<cv::Vec3b>(y, x)[0];
            sum += v;
            cx += v * x;
            cy += v * y;
        }
    QVERIFY(sum > 0);
    cx /= sum;
    cy /= sum;
    QVERIFY2(std::hypot(cx - expected.x, cy - expected.y) < 0.1,
             qPrintable(QStringLiteral("blob at (%1, %2), expected (%3, %4)").arg(cx).arg(cy).arg(expected.x).arg(expected.y)));
}

// ---------------------------------------------------------------------------------------------
// Cache

void TestImagePipeline::cacheHitsAndMisses()
{
    const QString a = path(QStringLiteral("cache-a.png")), b = path(QStringLiteral("cache-b.png"));
    QVERIFY(cv::imwrite(a.toStdString(), randomImage(40, 40, 1)));
    QVERIFY(cv::imwrite(b.toStdString(), randomImage(40, 40, 2)));
    ImageCache cache(1 << 20, 0);
    QCOMPARE(cache.size(), size_t(0));
    const cv::Mat first = cache.get(a.toStdString());
    QCOMPARE(cache.misses(), size_t(1));
    QCOMPARE(cache.hits(), size_t(0));
    const cv::Mat again = cache.get(a.toStdString());
    QCOMPARE(cache.hits(), size_t(1));
    QCOMPARE(cache.misses(), size_t(1));
    QCOMPARE(cv::norm(first, again, cv::NORM_INF), 0.0);
    QCOMPARE(cv::norm(first, decodeImageRgb8(a.toStdString()), cv::NORM_INF), 0.0);
    cache.get(b.toStdString());
    cache.get(b.toStdString());
    QCOMPARE(cache.hits(), size_t(2));
    QCOMPARE(cache.misses(), size_t(2));
    QCOMPARE(cache.size(), size_t(2));
    QCOMPARE(cache.bytes(), size_t(2 * 40 * 40 * 3));
}

void TestImagePipeline::cacheEvictsLeastRecentlyUsed()
{
    // 40x40x3 = 4800 bytes each; a 10 000-byte cache holds two.
    std::vector<std::string> p;
    for (int i = 0; i < 4; ++i) {
        p.push_back(path(QStringLiteral("lru-%1.png").arg(i)).toStdString());
        QVERIFY(cv::imwrite(p.back(), randomImage(40, 40, 10 + i)));
    }
    ImageCache cache(10000, 0);
    cache.get(p[0]);
    cache.get(p[1]);
    cache.get(p[0]);  // 0 is now the most recent, 1 the least
    cache.get(p[2]);  // evicts 1
    QCOMPARE(cache.size(), size_t(2));
    QVERIFY(cache.bytes() <= 10000);
    QCOMPARE(cache.misses(), size_t(3));
    cache.get(p[0]);  // still there
    QCOMPARE(cache.hits(), size_t(2));
    QCOMPARE(cache.misses(), size_t(3));
    cache.get(p[1]);  // was evicted: a miss, evicting 2 (0 was used after 2? no: 2 then 0)
    QCOMPARE(cache.misses(), size_t(4));
    cache.get(p[0]);  // 0 survived (it was more recent than 2)
    QCOMPARE(cache.hits(), size_t(3));
    cache.get(p[2]);  // 2 was evicted
    QCOMPARE(cache.misses(), size_t(5));
    QCOMPARE(cache.size(), size_t(2));
    QCOMPARE(cache.bytes(), size_t(2 * 4800));

    // An image larger than the whole budget is returned but not kept.
    ImageCache tiny(1000, 0);
    const cv::Mat big = tiny.get(p[3]);
    QCOMPARE(big.cols, 40);
    QCOMPARE(tiny.size(), size_t(0));
    QCOMPARE(tiny.bytes(), size_t(0));
}

void TestImagePipeline::cacheDownscalesLargeImages()
{
    const std::string big = path(QStringLiteral("big.jpg")).toStdString();
    QVERIFY(cv::imwrite(big, randomImage(640, 480, 7)));
    ImageCache cache(1 << 24, 120);
    double scale = 0;
    const cv::Mat m = cache.get(big, &scale);
    QCOMPARE(scale, 0.25);  // shorter side 480 -> 120
    QCOMPARE(m.rows, 120);
    QCOMPARE(m.cols, 160);
    QCOMPARE(m.type(), CV_8UC3);
    double again = 0;
    cache.get(big, &again);  // a hit reports the same factor
    QCOMPARE(again, 0.25);
    QCOMPARE(cache.hits(), size_t(1));

    // Small images are kept as they are, with factor 1.
    const std::string small = path(QStringLiteral("small.png")).toStdString();
    QVERIFY(cv::imwrite(small, randomImage(100, 90, 8)));
    double s = 0;
    const cv::Mat sm = cache.get(small, &s);
    QCOMPARE(s, 1.0);
    QCOMPARE(sm.size(), cv::Size(100, 90));
}

void TestImagePipeline::cacheRefusesBadFile()
{
    const QString bad = path(QStringLiteral("cache-bad.jpg"));
    writeBytes(bad, {'x', 'y', 'z'});
    ImageCache cache;
    QVERIFY_THROWS_EXCEPTION(ImageError, cache.get(bad.toStdString()));
    QCOMPARE(cache.size(), size_t(0));
    QCOMPARE(cache.bytes(), size_t(0));
}

QTEST_GUILESS_MAIN(TestImagePipeline)
#include "test_image_pipeline.moc"
