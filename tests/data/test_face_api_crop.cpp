// face-api's descriptor crop in the data layer (data/face_api_crop.h), the face_boxes.csv
// sidecar that holds each image's box, and the pipeline choosing that crop for face-resnet.
#include "data/dataset_registry.h"
#include "data/face_api_crop.h"
#include "data/face_boxes.h"
#include "data/image_pipeline.h"

#include <opencv2/imgcodecs.hpp>

#include <filesystem>
#include <fstream>

#include <QtTest/QtTest>

using namespace carilab::data;
namespace fs = std::filesystem;

namespace {

// Every pixel distinct: (x, y, x + y) per channel.
cv::Mat gradient(int w, int h)
{
    cv::Mat m(h, w, CV_8UC3);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) m.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uchar>(x), static_cast<uchar>(y), static_cast<uchar>((x + y) / 2));
    return m;
}

void writeText(const fs::path& file, const std::string& text) { std::ofstream(file) << text; }

}  // namespace

class TestFaceApiCrop : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // A box inside the image at the output size is that region, pixel for pixel.
    void boxInsideAtSizeIsTheRegion()
    {
        const cv::Mat img = gradient(200, 120);
        const cv::Mat crop = faceApiCrop(img, FaceBox{30.25f, 20.5f, 50.f, 50.f}, 50);
        // Clipped box fields are floored: x 30, y 20, width floor(50) = 50.
        QCOMPARE(cv::norm(crop, img(cv::Rect(30, 20, 50, 50)), cv::NORM_INF), 0.0);
    }

    // A box reaching past the image is clipped, and the clipped region is padded with zeros,
    // centred, to a square (face-api's extractFaceTensors + padToSquare).
    void boxPastTheBorderIsClippedAndPaddedCentred()
    {
        const cv::Mat img = gradient(100, 80);
        const cv::Mat crop = faceApiCrop(img, FaceBox{60.f, -10.f, 60.f, 60.f}, 50);
        // Region x 60..99 (40 wide), y 0..49 (50 high): 10 columns of padding, round(5) after, 5 before.
        QCOMPARE(crop.size(), cv::Size(50, 50));
        QCOMPARE(cv::norm(crop(cv::Rect(0, 0, 5, 50)), cv::NORM_INF), 0.0);
        QCOMPARE(cv::norm(crop(cv::Rect(45, 0, 5, 50)), cv::NORM_INF), 0.0);
        QCOMPARE(cv::norm(crop(cv::Rect(5, 0, 40, 50)), img(cv::Rect(60, 0, 40, 50)), cv::NORM_INF), 0.0);
    }

    // No box (or one that misses the image): the whole image, padded and resized.
    void noBoxIsTheWholeImagePadded()
    {
        const cv::Mat img = gradient(120, 60);
        const cv::Mat whole = faceApiCrop(img, std::nullopt, 60);
        QCOMPARE(whole.size(), cv::Size(60, 60));
        // 60 rows of padding on a 120-wide image: 30 above, 30 below, halved by the resize.
        QCOMPARE(cv::norm(whole(cv::Rect(0, 0, 60, 15)), cv::NORM_INF), 0.0);
        QCOMPARE(cv::norm(whole(cv::Rect(0, 45, 60, 15)), cv::NORM_INF), 0.0);
        QVERIFY(cv::norm(whole(cv::Rect(0, 16, 60, 28)), cv::NORM_INF) > 0.0);
        QCOMPARE(cv::norm(faceApiCrop(img, FaceBox{500.f, 500.f, 40.f, 40.f}, 60), whole, cv::NORM_INF), 0.0);
    }

    // TF.js's legacy bilinear: output pixel i samples input i * in/out (no half-pixel shift):
    // halving takes every other pixel exactly.
    void legacyResizeSamplesWithoutHalfPixelShift()
    {
        cv::Mat f;
        gradient(80, 80).convertTo(f, CV_32FC3);
        const cv::Mat half = resizeBilinearLegacy(f, 40, 40);
        for (int y = 0; y < 40; y += 7)
            for (int x = 0; x < 40; x += 5) QCOMPARE(half.at<cv::Vec3f>(y, x), f.at<cv::Vec3f>(2 * y, 2 * x));
    }

    // The pipeline crops the face-api box when asked, whatever the other crop settings say,
    // and augmentation moves that crop without changing its size.
    void pipelineUsesTheFaceApiBox()
    {
        const cv::Mat img = gradient(200, 160);
        ImageRecord r;
        r.box = FaceBox{0.f, 0.f, 200.f, 160.f};
        r.faceApiBox = FaceBox{40.f, 30.f, 100.f, 100.f};
        PipelineOptions o;
        o.size = 150;
        o.cropToBox = true;
        QCOMPARE(cropBoxFor(r, o)->width, 200.f);
        o.faceApiCrop = true;
        QCOMPARE(cropBoxFor(r, o)->width, 100.f);
        const cv::Mat crop = cropFace(img, std::nullopt, o, nullptr, cropBoxFor(r, o));
        QCOMPARE(cv::norm(crop, faceApiCrop(img, r.faceApiBox, 150), cv::NORM_INF), 0.0);
        o.augment.enabled = true;
        std::mt19937_64 rng(5);
        const cv::Mat moved = cropFace(img, std::nullopt, o, &rng, r.faceApiBox);
        QCOMPARE(moved.size(), cv::Size(150, 150));
        QVERIFY(cv::norm(moved, crop, cv::NORM_L1) > 0.0);
    }

    // face_boxes.csv round-trips, "no face" rows are kept but give no box, malformed rows name
    // file and line, and every format's loader attaches the boxes to its images.
    void sidecarRoundTripAndMerge()
    {
        QTemporaryDir tmp;
        const fs::path root = fs::path(tmp.path().toStdString()) / "ds";
        for (const char* rel : {"alice/photo", "alice/caricature"}) fs::create_directories(root / rel);
        cv::imwrite((root / "alice/photo/p1.png").string(), gradient(64, 64));
        cv::imwrite((root / "alice/caricature/c1.png").string(), gradient(64, 64));
        std::map<std::string, FaceBoxRow> rows{{"alice/photo/p1.png", {{-3.5f, 4.f, 70.f, 70.f}, 0.93f, "ssd"}},
                                               {"alice/caricature/c1.png", {{}, 0.f, "ssd"}}};
        const std::string file = (root / kFaceBoxesFileName).string();
        writeFaceBoxesCsv(file, rows);
        const auto back = readFaceBoxesCsv(file);
        QCOMPARE(back.size(), size_t(2));
        QCOMPARE(back.at("alice/photo/p1.png").box.x, -3.5f);
        QCOMPARE(back.at("alice/photo/p1.png").detector, std::string("ssd"));
        QVERIFY(!back.at("alice/caricature/c1.png").found());

        const auto index = loadDataset(root.string(), "folder");
        int withBox = 0;
        for (const auto& r : index.images) {
            withBox += r.faceApiBox.has_value();
            if (r.faceApiBox) QCOMPARE(r.faceApiBox->width, 70.f);
        }
        QCOMPARE(withBox, 1);

        writeText(file, "path,x,y,width,height,score,detector\nalice/photo/p1.png,1,2,three,4,0.5,ssd\n");
        try {
            readFaceBoxesCsv(file);
            QFAIL("a malformed row was accepted");
        } catch (const std::runtime_error& e) {
            QVERIFY2(QString(e.what()).contains("face_boxes.csv:2") && QString(e.what()).contains("'three'"), e.what());
        }
        // A broken sidecar is a warning on load, not a dataset that cannot be opened.
        const auto warned = loadDataset(root.string(), "folder");
        QVERIFY(std::any_of(warned.warnings.begin(), warned.warnings.end(),
                            [](const std::string& w) { return w.find("dataset align") != std::string::npos; }));
    }
};

QTEST_GUILESS_MAIN(TestFaceApiCrop)
#include "test_face_api_crop.moc"
