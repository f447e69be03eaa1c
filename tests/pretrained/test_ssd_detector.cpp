// face-api's SSD MobileNet v1 detector in LibTorch against the package's own JavaScript run
// (tests/pretrained/make_fixtures.js wrote ssd_reference.json and ssd_pipeline.json): decoded
// boxes and scores of all 5118 anchors on the committed CariSynth images (no shared data
// needed), detections, and the full pipeline detectAllFaces(SsdMobilenetv1Options())
// .withFaceLandmarks().withFaceDescriptors() on cavi-dev photos and caricatures (skipped where
// cavi-dev or the fetched package is absent). Also the suppression on hand-made boxes, the
// errors, and the time of one detect() on one thread.
#include "data/image_decode.h"
#include "pretrained/face_alignment.h"
#include "pretrained/pretrained_store.h"
#include "pretrained/sha256.h"
#include "pretrained_parity.h"
#include "test_support.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <memory>

#include <QtTest/QtTest>

using namespace carilab;
using namespace carilab::pretrained;
using namespace carilab::test;

namespace {

// Decoded boxes are fractions of the 512 px input (1e-4 is a twentieth of a pixel); scores are
// probabilities. The fixture keeps 7 significant digits.
constexpr double kMaxRawDiff = 1e-4;

double maxAbsDiff(const torch::Tensor& t, const std::vector<float>& ref)
{
    const auto c = t.contiguous();
    double d = 0;
    for (std::size_t i = 0; i < ref.size(); ++i) d = std::max(d, std::abs(static_cast<double>(c.data_ptr<float>()[i]) - ref[i]));
    return d;
}

// Same count, each box IoU >= kMinIou with its reference, scores close; returns the worst IoU.
double compareDetections(const std::vector<FaceDetection>& dets, const nlohmann::json& ref)
{
    if (dets.size() != ref.size())
        throw std::runtime_error(std::to_string(dets.size()) + " detections, the reference has " + std::to_string(ref.size()));
    double worst = 1;
    for (std::size_t i = 0; i < dets.size(); ++i) {
        worst = std::min(worst, iou(dets[i].box, rectOf(ref[i]["box"])));
        if (std::abs(dets[i].score - ref[i]["score"].get<double>()) > 1e-3)
            throw std::runtime_error("detection " + std::to_string(i) + ": score " + std::to_string(dets[i].score) + " vs " +
                                     std::to_string(ref[i]["score"].get<double>()));
    }
    return worst;
}

}  // namespace

class TestSsdDetector final : public QObject {
    Q_OBJECT

public:
    TestSsdDetector() = default;
    Q_DISABLE_COPY_MOVE(TestSsdDetector)

private:
    QTemporaryDir tmp_;
    QString fixtures_;
    QString cavi_;  // cavi-dev root, or "" when absent
    QString caviMissing_;
    std::unique_ptr<FacePipeline> pipeline_;  // null when the package was not fetched
    QString missing_;

    SsdMobilenetV1& ssd() { return pipeline_->ssdDetector(); }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(tmp_.isValid());
        fixtures_ = QFileInfo(QFINDTESTDATA("pretrained/ssd_reference.json")).absolutePath();
        QVERIFY2(!fixtures_.isEmpty(), "tests/pretrained/ssd_reference.json not found");
        torch::set_num_threads(2);
        try {
            pipeline_ = std::make_unique<FacePipeline>();
            pipeline_->ssdDetector();
        } catch (const PretrainedMissing& e) {
            pipeline_.reset();
            missing_ = QString::fromStdString(e.what());
        }
        const QString cavi = test::sharedDir() + "/datasets/cavi-dev";
        if (QFileInfo::exists(cavi + "/CaVI_Dataset"))
            cavi_ = cavi;
        else
            caviMissing_ = cavi + "/CaVI_Dataset is not here";
    }

    // Greedy, best first, ties in anchor order, at most maxResults; no weights needed.
    void suppression()
    {
        // top, left, bottom, right; boxes 0 and 1 overlap at IoU 0.6, box 2 is apart, box 3
        // scores below the threshold, box 4 has its corners swapped (the package reorders them).
        const auto boxes =
            torch::tensor({0.f, 0.f, .5f, .5f, 0.f, .125f, .5f, .625f, .6f, .6f, .9f, .9f, .6f, 0.f, .9f, .3f, .5f, .5f, 0.f, 0.f}).view({5, 4});
        auto scores = torch::tensor({.8f, .9f, .7f, .4f, .85f});
        QCOMPARE(ssdNonMaxSuppression(boxes, scores, 100, 0.5, 0.5), (std::vector<int>{1, 2}));
        QCOMPARE(ssdNonMaxSuppression(boxes, scores, 100, 0.7, 0.5), (std::vector<int>{1, 4, 2}));
        QCOMPARE(ssdNonMaxSuppression(boxes, scores, 1, 0.5, 0.5), (std::vector<int>{1}));
        QCOMPARE(ssdNonMaxSuppression(boxes, scores, 100, 0.5, 0.95), std::vector<int>{});
        scores = torch::tensor({.8f, .8f, .8f, .8f, .8f});  // equal scores: the first anchor wins
        QCOMPARE(ssdNonMaxSuppression(boxes, scores, 100, 0.5, 0.5), (std::vector<int>{0, 2, 3}));
    }

    void rawOutputParity_data()
    {
        QTest::addColumn<int>("entry");
        const auto ref = readJson(fixtures_ + "/ssd_reference.json");
        for (std::size_t i = 0; i < ref["images"].size(); ++i)
            QTest::newRow(ref["images"][i]["image"].get<std::string>().c_str()) << static_cast<int>(i);
    }

    // Boxes and scores of every anchor, and the detections, on the committed images.
    void rawOutputParity()
    {
        QFETCH(int, entry);
        if (!pipeline_) QSKIP(qPrintable(missing_));
        const auto e = readJson(fixtures_ + "/ssd_reference.json")["images"][static_cast<std::size_t>(entry)];
        const cv::Mat rgb = data::decodeImageRgb8((fixtures_ + "/images/" + QString::fromStdString(e["image"].get<std::string>())).toStdString());
        if (e.contains("boxes")) {
            const auto raw = ssd()->rawOutput(rgb);
            QCOMPARE(std::vector<std::int64_t>(raw.boxes.sizes().begin(), raw.boxes.sizes().end()),
                     e["boxes_shape"].get<std::vector<std::int64_t>>());
            QCOMPARE(raw.scores.numel(), kSsdAnchorCount);
            const double boxDiff = maxAbsDiff(raw.boxes, e["boxes"].get<std::vector<float>>());
            const double scoreDiff = maxAbsDiff(raw.scores, e["scores"].get<std::vector<float>>());
            qInfo("%s: raw boxes max abs diff %.3g, scores max abs diff %.3g", e["image"].get<std::string>().c_str(), boxDiff, scoreDiff);
            QVERIFY2(boxDiff < kMaxRawDiff, qPrintable(QStringLiteral("boxes differ by %1").arg(boxDiff)));
            QVERIFY2(scoreDiff < kMaxRawDiff, qPrintable(QStringLiteral("scores differ by %1").arg(scoreDiff)));
        }
        try {
            const double worst = compareDetections(ssd()->detect(rgb), e["detections"]);
            qInfo("%s: %d detections, IoU >= %.6f", e["image"].get<std::string>().c_str(), static_cast<int>(e["detections"].size()), worst);
            QVERIFY2(worst >= kMinIou, qPrintable(QStringLiteral("IoU %1").arg(worst)));
        } catch (const std::runtime_error& err) {
            QFAIL(err.what());
        }
    }

    void pipelineParity_data()
    {
        QTest::addColumn<int>("entry");
        const auto ref = readJson(fixtures_ + "/ssd_pipeline.json");
        for (std::size_t i = 0; i < ref["images"].size(); ++i)
            QTest::newRow(ref["images"][i]["path"].get<std::string>().c_str()) << static_cast<int>(i);
    }

    // Detections and the full pipeline on real photos and caricatures.
    void pipelineParity()
    {
        QFETCH(int, entry);
        if (!pipeline_) QSKIP(qPrintable(missing_));
        if (cavi_.isEmpty()) QSKIP(qPrintable(caviMissing_));
        const auto e = readJson(fixtures_ + "/ssd_pipeline.json")["images"][static_cast<std::size_t>(entry)];
        const cv::Mat rgb = data::decodeImageRgb8((cavi_ + "/" + QString::fromStdString(e["path"].get<std::string>())).toStdString());
        QCOMPARE(rgb.cols, e["width"].get<int>());
        QCOMPARE(rgb.rows, e["height"].get<int>());
        const bool samePixels = sha256Hex(std::string(reinterpret_cast<const char*>(rgb.data), rgb.total() * 3)) == e["rgb_sha256"];

        double detIou = 1;
        try {
            detIou = compareDetections(pipeline_->detectFacesSsd(rgb), e["detections"]);
        } catch (const std::runtime_error& err) {
            QFAIL(err.what());
        }
        QVERIFY2(detIou >= kMinIou, qPrintable(QStringLiteral("detection IoU %1").arg(detIou)));

        const auto faces = pipeline_->describeFacesSsd(rgb);
        QCOMPARE(int(faces.size()), int(e["faces"].size()));
        const auto p = compareFaces(faces, e["faces"]);
        qInfo("%s: %d faces, same decoded pixels as the reference: %s, detection IoU >= %.6f, landmarks within %.4f px, aligned box IoU >= "
              "%.6f, descriptor 1 - cosine <= %.2g",
              e["path"].get<std::string>().c_str(), static_cast<int>(faces.size()), samePixels ? "yes" : "no", detIou, p.worstLandmarkPx,
              p.worstAlignedIou, 1 - p.worstCosine);
        QVERIFY2(p.passes(), "a face differs from face-api's beyond the parity bars (see the line above)");
    }

    // A blank image, a tiny one and an extreme aspect ratio: no face, no crash.
    void noFace_data()
    {
        QTest::addColumn<int>("w");
        QTest::addColumn<int>("h");
        QTest::newRow("grey 300x200") << 300 << 200;
        QTest::newRow("tiny 4x4") << 4 << 4;
        QTest::newRow("strip 640x3") << 640 << 3;
    }

    void noFace()
    {
        QFETCH(int, w);
        QFETCH(int, h);
        if (!pipeline_) QSKIP(qPrintable(missing_));
        const cv::Mat grey(h, w, CV_8UC3, cv::Scalar(128, 128, 128));
        QVERIFY(pipeline_->describeFacesSsd(grey).empty());
    }

    void errors()
    {
        if (!pipeline_) QSKIP(qPrintable(missing_));
        const cv::Mat img(64, 64, CV_8UC3, cv::Scalar(0, 0, 0));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, ssd()->detect(cv::Mat()));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, ssd()->detect(img, SsdDetectorOptions{0.0, 100}));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, ssd()->detect(img, SsdDetectorOptions{1.0, 100}));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, ssd()->detect(img, SsdDetectorOptions{0.5, 0}));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, ssd()->detect(cv::Mat(8, 8, CV_8UC1)));
    }

    // Without the fetched files: PretrainedMissing, naming the file and what to run.
    void missingWeights()
    {
        const QString empty = tmp_.filePath("no-pretrained");
        const QByteArray before = qgetenv("CARILAB_PRETRAINED_DIR");
        const bool wasSet = qEnvironmentVariableIsSet("CARILAB_PRETRAINED_DIR");
        qputenv("CARILAB_PRETRAINED_DIR", empty.toUtf8());
        auto restore = qScopeGuard([&] { wasSet ? qputenv("CARILAB_PRETRAINED_DIR", before) : qunsetenv("CARILAB_PRETRAINED_DIR"); });
        try {
            requireModelManifest("ssd_mobilenetv1_model");
            QFAIL("the SSD manifest was found in an empty cache");
        } catch (const PretrainedMissing& e) {
            const QString msg = QString::fromStdString(e.what());
            QVERIFY2(msg.contains(empty) && msg.contains("ssd_mobilenetv1_model-weights_manifest.json") &&
                         msg.contains("carilab-cli pretrained fetch"),
                     qPrintable(msg));
        }
    }

    // Not a bar: the time of one detect() on one thread, per face found, for the report.
    void speedOneThread()
    {
        if (!pipeline_) QSKIP(qPrintable(missing_));
        if (cavi_.isEmpty()) QSKIP(qPrintable(caviMissing_));
        const auto e = readJson(fixtures_ + "/ssd_pipeline.json")["images"][0];
        const cv::Mat rgb = data::decodeImageRgb8((cavi_ + "/" + QString::fromStdString(e["path"].get<std::string>())).toStdString());
        const int threads = torch::get_num_threads();
        torch::set_num_threads(1);
        auto restore = qScopeGuard([&] { torch::set_num_threads(threads); });
        std::size_t faces = ssd()->detect(rgb).size();  // warm-up
        constexpr int kRuns = 3;
        const auto t0 = std::chrono::steady_clock::now();
        for (int i = 0; i < kRuns; ++i) faces = ssd()->detect(rgb).size();
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() / kRuns;
        qInfo("SSD detect() on 1 thread: %.1f ms per %dx%d image, %zu face(s): %.1f ms per face", ms, rgb.cols, rgb.rows, faces,
              ms / static_cast<double>(std::max<std::size_t>(faces, 1)));
        QVERIFY(faces >= 1);
    }
};

QTEST_GUILESS_MAIN(TestSsdDetector)
#include "test_ssd_detector.moc"
