// face-api's detector, 68-landmark network and full pipeline in LibTorch, against the package's
// own JavaScript run (tests/pretrained/make_fixtures.js wrote the fixtures): raw network outputs
// on the committed CariSynth images (no shared data needed), and boxes, landmarks and
// descriptors on cavi-dev photos and caricatures (skipped where cavi-dev is absent). Also the
// TF.js image operations and the alignment on hand-made input, the errors, and `carilab-cli
// embed` with --align, --dataset and --run.
#include "data/carisynth.h"
#include "data/dataset_registry.h"
#include "data/face_api_crop.h"
#include "data/image_cache.h"
#include "data/image_decode.h"
#include "data/image_pipeline.h"
#include "eval/embedder.h"
#include "pretrained/face_alignment.h"
#include "pretrained/pretrained_store.h"
#include "pretrained/sha256.h"
#include "pretrained_parity.h"
#include "run/run_model.h"
#include "test_support.h"

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <numeric>
#include <sstream>

#include <QtTest/QtTest>

using namespace carilab;
using namespace carilab::pretrained;
using namespace carilab::test;
namespace fs = std::filesystem;

namespace {

cv::Mat pngImage(const QString& path) { return data::decodeImageRgb8(path.toStdString()); }

// identity,modality,path -> values, from an embed CSV.
std::map<std::string, std::vector<float>> readCsv(const QString& path, std::string* header = nullptr)
{
    std::ifstream in(path.toStdString());
    std::string line;
    std::getline(in, line);
    if (header) *header = line;
    std::map<std::string, std::vector<float>> rows;
    while (std::getline(in, line)) {
        std::stringstream s(line);
        std::string identity, modality, file, v;
        std::getline(s, identity, ',');
        std::getline(s, modality, ',');
        std::getline(s, file, ',');
        auto& values = rows[identity + "|" + modality + "|" + file];
        while (std::getline(s, v, ',')) values.push_back(std::stof(v));
    }
    return rows;
}

}  // namespace

class TestFacePipeline final : public QObject {
    Q_OBJECT

public:
    TestFacePipeline() = default;
    Q_DISABLE_COPY_MOVE(TestFacePipeline)

private:
    QTemporaryDir tmp_;
    QString fixtures_;
    QString cavi_;  // cavi-dev root, or "" when absent
    std::unique_ptr<FacePipeline> pipeline_;  // null when the package was not fetched
    QString missing_;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(tmp_.isValid());
        fixtures_ = QFileInfo(QFINDTESTDATA("pretrained/face_pipeline.json")).absolutePath();
        QVERIFY2(!fixtures_.isEmpty(), "tests/pretrained/face_pipeline.json not found");
        torch::set_num_threads(2);
        try {
            pipeline_ = std::make_unique<FacePipeline>();
        } catch (const PretrainedMissing& e) {
            missing_ = QString::fromStdString(e.what());
        }
        const QString cavi = test::sharedDir() + "/datasets/cavi-dev";
        if (QFileInfo::exists(cavi + "/CaVI_Dataset")) cavi_ = cavi;
    }

    // TF.js's legacy bilinear resize: output pixel i samples input i * in/out.
    void resizeBilinearLegacy()
    {
        auto in = torch::tensor({0.f, 10.f, 20.f, 30.f}).view({1, 4, 1});
        auto up = resizeBilinear(in, 1, 8);
        const std::vector<float> expected{0, 5, 10, 15, 20, 25, 30, 30};  // the last clamps
        for (int i = 0; i < 8; ++i) QCOMPARE(up[0][i][0].item<float>(), expected[static_cast<std::size_t>(i)]);
        auto down = resizeBilinear(in, 1, 3);  // sources 0, 4/3, 8/3
        QCOMPARE(down[0][1][0].item<float>(), 10.f + 10.f / 3.f);
        QCOMPARE(down[0][2][0].item<float>(), 20.f + 20.f / 3.f);
    }

    void padToSquareSplit_data()
    {
        QTest::addColumn<int>("h");
        QTest::addColumn<int>("w");
        QTest::addColumn<bool>("centred");
        QTest::addColumn<int>("before");  // zero rows/columns before the image
        QTest::newRow("wide, appended") << 3 << 8 << false << 0;
        QTest::newRow("tall, appended") << 8 << 3 << false << 0;
        QTest::newRow("wide, centred, odd difference") << 3 << 8 << true << 2;  // round(2.5) = 3 after
        QTest::newRow("tall, centred, even difference") << 4 << 8 << true << 2;
    }

    void padToSquareSplit()
    {
        QFETCH(int, h);
        QFETCH(int, w);
        QFETCH(bool, centred);
        QFETCH(int, before);
        const auto sq = padToSquare(torch::ones({h, w, 3}), centred);
        const int side = std::max(h, w);
        QCOMPARE(int(sq.size(0)), side);
        QCOMPARE(int(sq.size(1)), side);
        // Sum of ones along the padded axis, per position: 0 in the padding.
        const auto profile = h < w ? sq.select(2, 0).sum(1) : sq.select(2, 0).sum(0);
        for (int i = 0; i < side; ++i) {
            const bool inImage = i >= before && i < before + std::min(h, w);
            QCOMPARE(profile[i].item<float>() > 0, inImage);
        }
    }

    void nonMaxSuppressionOrder()
    {
        // Two overlapping boxes (IoU 0.68) and a separate one: the weaker overlapping one goes.
        const std::vector<FaceRect> boxes{{0, 0, 10, 10}, {1, 1, 10, 10}, {50, 50, 10, 10}};
        const auto kept = nonMaxSuppression(boxes, {0.6, 0.9, 0.7}, kTinyDetectorIouThreshold);
        QCOMPARE(kept, (std::vector<int>{1, 2}));
        QCOMPARE(nonMaxSuppression(boxes, {0.6, 0.9, 0.7}, 0.99), (std::vector<int>{1, 2, 0}));
    }

    // Eyes at y 50 (x 40 and 80), mouth at (60, 90): eye-to-mouth 44.72 -> size floor(99.38) = 99,
    // centroid (60, 63.33) -> corner (floor(10.5), floor(20.77)).
    void dlibAlignmentBox()
    {
        FaceLandmarks68 lm{};
        for (int i = 36; i < 42; ++i) lm[static_cast<std::size_t>(i)] = {40, 50};
        for (int i = 42; i < 48; ++i) lm[static_cast<std::size_t>(i)] = {80, 50};
        for (int i = 48; i < 68; ++i) lm[static_cast<std::size_t>(i)] = {60, 90};
        auto b = alignDlibBox(lm, 200, 200);
        QCOMPARE(b.x, 10.0);
        QCOMPARE(b.y, 20.0);
        QCOMPARE(b.width, 99.0);
        QCOMPARE(b.height, 99.0);
        // The package caps the size with the landmark region's size plus the corner.
        b = alignDlibBox(lm, 50, 60);
        QCOMPARE(b.width, 60.0);
        QCOMPARE(b.height, 80.0);
    }

    // The networks alone, on committed images: no shared data needed.
    void rawNetworkParity_data()
    {
        QTest::addColumn<int>("entry");
        const auto ref = readJson(fixtures_ + "/networks_reference.json");
        for (std::size_t i = 0; i < ref["images"].size(); ++i)
            QTest::newRow(ref["images"][i]["image"].get<std::string>().c_str()) << static_cast<int>(i);
    }

    void rawNetworkParity()
    {
        QFETCH(int, entry);
        if (!pipeline_) QSKIP(qPrintable(missing_));
        const auto e = readJson(fixtures_ + "/networks_reference.json")["images"][static_cast<std::size_t>(entry)];
        const cv::Mat rgb = pngImage(fixtures_ + "/images/" + QString::fromStdString(e["image"].get<std::string>()));

        const auto lmRef = e["landmarks_raw"].get<std::vector<float>>();
        const auto lm = pipeline_->landmarkNet()->rawOutput(rgb).contiguous();
        QCOMPARE(int(lm.numel()), int(lmRef.size()));
        double lmDiff = 0;
        for (std::size_t i = 0; i < lmRef.size(); ++i) lmDiff = std::max(lmDiff, std::abs(static_cast<double>(lm.data_ptr<float>()[i]) - lmRef[i]));
        // Outputs are fractions of the 112 px input: 1e-4 is a hundredth of a pixel.
        QVERIFY2(lmDiff < 1e-4, qPrintable(QStringLiteral("landmark output differs by %1").arg(lmDiff)));

        if (!e.contains("detector")) return;
        const auto detRef = e["detector"].get<std::vector<float>>();
        const auto det = pipeline_->detector()->rawOutput(rgb).contiguous();
        QCOMPARE(std::vector<std::int64_t>(det.sizes().begin(), det.sizes().end()), e["detector_shape"].get<std::vector<std::int64_t>>());
        double detDiff = 0, detMax = 0;
        for (std::size_t i = 0; i < detRef.size(); ++i) {
            detDiff = std::max(detDiff, std::abs(static_cast<double>(det.data_ptr<float>()[i]) - detRef[i]));
            detMax = std::max(detMax, std::abs(static_cast<double>(detRef[i])));
        }
        qInfo("%s: landmark output max diff %.3g, detector output max diff %.3g (values up to %.3g)", e["image"].get<std::string>().c_str(), lmDiff,
              detDiff, detMax);
        QVERIFY2(detDiff < 1e-3, qPrintable(QStringLiteral("detector output differs by %1").arg(detDiff)));
    }

    // The full pipeline on real photos and caricatures.
    void pipelineParity_data()
    {
        QTest::addColumn<int>("entry");
        const auto ref = readJson(fixtures_ + "/face_pipeline.json");
        for (std::size_t i = 0; i < ref["images"].size(); ++i)
            QTest::newRow(ref["images"][i]["path"].get<std::string>().c_str()) << static_cast<int>(i);
    }

    void pipelineParity()
    {
        QFETCH(int, entry);
        if (!pipeline_) QSKIP(qPrintable(missing_));
        if (cavi_.isEmpty()) QSKIP("../shared/datasets/cavi-dev is not here");
        const auto e = readJson(fixtures_ + "/face_pipeline.json")["images"][static_cast<std::size_t>(entry)];
        const cv::Mat rgb = data::decodeImageRgb8((cavi_ + "/" + QString::fromStdString(e["path"].get<std::string>())).toStdString());
        QCOMPARE(rgb.cols, e["width"].get<int>());
        QCOMPARE(rgb.rows, e["height"].get<int>());
        const bool samePixels = sha256Hex(std::string(reinterpret_cast<const char*>(rgb.data), rgb.total() * 3)) == e["rgb_sha256"];

        const auto dets = pipeline_->detectFaces(rgb);
        QCOMPARE(int(dets.size()), int(e["detections"].size()));
        for (std::size_t i = 0; i < dets.size(); ++i) {
            const double overlap = iou(dets[i].box, rectOf(e["detections"][i]["box"]));
            QVERIFY2(overlap >= kMinIou, qPrintable(QStringLiteral("detection %1: IoU %2").arg(i).arg(overlap)));
            QVERIFY(std::abs(dets[i].score - e["detections"][i]["score"].get<double>()) < 0.02);
        }

        const auto faces = pipeline_->describeFaces(rgb);
        QCOMPARE(int(faces.size()), int(e["faces"].size()));
        const auto p = compareFaces(faces, e["faces"]);
        qInfo("%s: %d faces, same decoded pixels as the reference: %s, box IoU >= %.6f, landmarks within %.4f px, descriptor cosine >= %.8f",
              e["path"].get<std::string>().c_str(), static_cast<int>(faces.size()), samePixels ? "yes" : "no", p.worstBoxIou, p.worstLandmarkPx,
              p.worstCosine);
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
        QVERIFY(pipeline_->describeFaces(grey).empty());
    }

    void errors()
    {
        if (!pipeline_) QSKIP(qPrintable(missing_));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, pipeline_->detector()->rawOutput(cv::Mat(64, 64, CV_8UC3), 100));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, pipeline_->detectFaces(cv::Mat()));
        // A box entirely outside the image has no landmarks to find.
        const cv::Mat img(100, 100, CV_8UC3, cv::Scalar(0, 0, 0));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, pipeline_->landmarks(img, FaceDetection{{200, 200, 50, 50}, 0.9}));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, FacePipeline::alignedFaceTensor(img, {-80, -80, 50, 50}));
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
            FacePipeline p;
            QFAIL("a pipeline loaded from an empty cache");
        } catch (const PretrainedMissing& e) {
            const QString msg = QString::fromStdString(e.what());
            QVERIFY2(msg.contains(empty) && msg.contains("-weights_manifest.json") && msg.contains("carilab-cli pretrained fetch"), qPrintable(msg));
        }
        const auto r = test::runCli({"embed", "--pretrained", "face-resnet", "--image", fixtures_ + "/images/carisynth_id_0001_p_01.png"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("carilab-cli pretrained fetch"), qPrintable(r.err));
    }

    void cliUsage_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("message");
        QTest::newRow("neither network") << QStringList{"--image", "x.png"} << "--pretrained face-resnet or --run DIR";
        QTest::newRow("both networks") << QStringList{"--pretrained", "face-resnet", "--run", "r", "--image", "x.png"}
                                       << "--pretrained face-resnet or --run DIR";
        QTest::newRow("no input") << QStringList{"--pretrained", "face-resnet"} << "--image FILE or --dataset PATH";
        QTest::newRow("dataset without out") << QStringList{"--pretrained", "face-resnet", "--dataset", "d", "--align", "none"} << "--out";
        QTest::newRow("bad align") << QStringList{"--pretrained", "face-resnet", "--image", "x.png", "--align", "maybe"} << "auto or none";
        QTest::newRow("bad detector") << QStringList{"--pretrained", "face-resnet", "--image", "x.png", "--detector", "mtcnn"}
                                      << "unknown face detector 'mtcnn' (known: ssd, tiny)";
    }

    void cliUsage()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, message);
        const auto r = test::runCli(QStringList{"embed"} + args);
        QVERIFY2(r.exitCode != 0, qPrintable(r.out));
        QVERIFY2(r.err.contains(message), qPrintable(r.err));
    }

    // --image --align auto on a real photo is the fixture's full-pipeline descriptor; a CariSynth
    // render without a detectable face is refused with a clear message.
    void cliImageAligned()
    {
        if (!pipeline_) QSKIP(qPrintable(missing_));
        const auto blank = tmp_.filePath("blank.png");
        QVERIFY(cv::imwrite(blank.toStdString(), cv::Mat(120, 160, CV_8UC3, cv::Scalar(90, 90, 90))));
        auto r = test::runCli({"embed", "--pretrained", "face-resnet", "--image", blank});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("no face found") && r.err.contains("--align none"), qPrintable(r.err));

        if (cavi_.isEmpty()) QSKIP("../shared/datasets/cavi-dev is not here");
        // The default detector is SSD: the fixture of face-api's SSD pipeline.
        const auto ref = readJson(fixtures_ + "/ssd_pipeline.json");
        for (const auto& e : ref["images"]) {
            if (e["faces"].size() != 1) continue;
            const QString image = cavi_ + "/" + QString::fromStdString(e["path"].get<std::string>());
            r = test::runCli({"embed", "--pretrained", "face-resnet", "--image", image, "--json"});
            QVERIFY2(r.exitCode == 0, qPrintable(r.err));
            const auto d = nlohmann::json::parse(r.out.toStdString()).get<std::vector<float>>();
            QCOMPARE(int(d.size()), kFaceDescriptorDim);
            QVERIFY(cosine(d, e["faces"][0]["descriptor"].get<std::vector<float>>()) >= kMinCosine);
            r = test::runCli({"embed", "--pretrained", "face-resnet", "--image", image});
            QVERIFY2(r.exitCode == 0 && r.out.contains("68 landmarks, aligned box"), qPrintable(r.out + r.err));
            return;
        }
        QFAIL("no single-face image in ssd_pipeline.json");
    }

    // --dataset: one CSV row per image; faces the detector misses fall back to the dataset's
    // crop, and those rows are exactly the --align none rows.
    void cliDatasetPretrained()
    {
        if (!pipeline_) QSKIP(qPrintable(missing_));
        const QString synth = tmp_.filePath("synth-small");
        data::CariSynthOptions o;
        o.identities = 2;
        o.photosPerIdentity = 2;
        o.caricaturesPerIdentity = 1;
        o.size = 128;
        o.seed = 3;
        data::generateCariSynth(synth.toStdString(), o);

        const QString autoCsv = tmp_.filePath("auto.csv"), noneCsv = tmp_.filePath("none.csv");
        auto r = test::runCli({"embed", "--pretrained", "face-resnet", "--dataset", synth, "--out", autoCsv, "--json"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const auto summary = nlohmann::json::parse(r.out.toStdString());
        QCOMPARE(summary["images"].get<int>(), 6);
        QCOMPARE(summary["written"].get<int>(), 6);
        QCOMPARE(summary["dim"].get<int>(), kFaceDescriptorDim);
        QCOMPARE(summary["aligned"].get<int>() + summary["no_face_dataset_crop"].get<int>(), 6);
        r = test::runCli({"embed", "--pretrained", "face-resnet", "--dataset", synth, "--out", noneCsv, "--align", "none"});
        QVERIFY2(r.exitCode == 0 && r.out.contains("wrote " + noneCsv + ": 6 of 6 images, 128-d"), qPrintable(r.out + r.err));

        std::string header;
        const auto a = readCsv(autoCsv, &header), n = readCsv(noneCsv);
        QVERIFY(QString::fromStdString(header).startsWith("identity,modality,path,v0,v1,"));
        QVERIFY(QString::fromStdString(header).endsWith(",v127"));
        QCOMPARE(int(a.size()), 6);
        QCOMPARE(int(n.size()), 6);
        int same = 0;
        for (const auto& [key, values] : a) {
            QVERIFY2(n.count(key), key.c_str());
            QCOMPARE(int(values.size()), kFaceDescriptorDim);
            same += values == n.at(key);
        }
        QCOMPARE(same, summary["no_face_dataset_crop"].get<int>());

        // The --align none row of an image is the descriptor of the dataset's own crop.
        const auto index = data::loadDataset(synth.toStdString());
        const auto& rec = index.images.front();
        data::PipelineOptions p;
        p.size = kFaceDescriptorInput;
        const cv::Mat crop = data::cropFace(data::decodeImageRgb8(index.absolutePath(rec)), rec.landmarks, p);
        const auto d = pipeline_->recognitionNet()->computeDescriptor(crop);
        const auto& row = n.at(index.identities[static_cast<std::size_t>(rec.identity)] + "|" + data::modalityName(rec.modality) + "|" + rec.path);
        QVERIFY(cosine(d, row) > 0.999999);
    }

    // One face path: after `dataset align`, the crop every dataset path gives face-resnet
    // (training batches, evaluation, galleries) is the crop `embed --align auto` describes, and
    // it is face-api's own: the fixture's JavaScript descriptor (detectAllFaces with its default
    // SSD detector) where face-api found one face.
    void datasetCropIsTheEmbedCrop()
    {
        if (!pipeline_) QSKIP(qPrintable(missing_));
        if (cavi_.isEmpty()) QSKIP("../shared/datasets/cavi-dev is not here");
        const auto ref = readJson(fixtures_ + "/ssd_pipeline.json");
        const QString mini = tmp_.filePath("mini-cavi");
        std::map<std::string, nlohmann::json> byPath;
        for (const auto& e : ref["images"]) {
            const QString rel = QString::fromStdString(e["path"].get<std::string>());
            QVERIFY(QDir().mkpath(QFileInfo(mini + "/" + rel).absolutePath()));
            QVERIFY(QFile::copy(cavi_ + "/" + rel, mini + "/" + rel));
            byPath[e["path"].get<std::string>()] = e;
        }
        auto r = test::runCli({"dataset", "align", mini, "--json", "--threads", "2"}, 300000);
        QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));

        auto model = run::loadPretrainedModel("face-resnet");
        const auto index = data::loadDataset(mini.toStdString());
        run::useDatasetCrop(model, index);
        QVERIFY(model.pipeline.faceApiCrop);
        std::vector<int> all(index.images.size());
        std::iota(all.begin(), all.end(), 0);
        data::ImageCache cache(1ull << 30, 0);
        const auto emb = eval::embedImages(model.net, index, all, cache, model.pipeline, 4, model.device);
        int compared = 0, withFixture = 0;
        for (std::size_t i = 0; i < index.images.size(); ++i) {
            const auto& rec = index.images[i];
            if (!rec.faceApiBox) continue;
            const QString file = QString::fromStdString(index.absolutePath(rec));
            // The stored box is face-api's aligned box; the dataset's uint8 crop (OpenCV) is the
            // float crop of the descriptor path (torch, checked against the JavaScript) rounded.
            const cv::Mat rgb = data::decodeImageRgb8(file.toStdString());
            const auto& b = *rec.faceApiBox;
            const auto t = FacePipeline::alignedFaceTensor(rgb, {b.x, b.y, b.width, b.height}).round().clamp(0, 255).to(torch::kUInt8).contiguous();
            const cv::Mat viaPipeline(kFaceDescriptorInput, kFaceDescriptorInput, CV_8UC3, t.data_ptr<std::uint8_t>());
            QVERIFY(cv::norm(viaPipeline, data::faceApiCrop(rgb, rec.faceApiBox, kFaceDescriptorInput), cv::NORM_INF) <= 1.0);

            const auto e = emb.embeddings[emb.rowOf(static_cast<int>(i))].contiguous();
            const std::vector<float> dataset(e.data_ptr<float>(), e.data_ptr<float>() + e.numel());
            r = test::runCli({"embed", "--pretrained", "face-resnet", "--image", file, "--json"});
            QVERIFY2(r.exitCode == 0, qPrintable(r.err));
            const double c = cosine(dataset, nlohmann::json::parse(r.out.toStdString()).get<std::vector<float>>());
            QVERIFY2(c >= 0.9999, qPrintable(QStringLiteral("%1: dataset path vs embed --align auto, cosine %2").arg(file).arg(c)));
            ++compared;
            for (const auto& [rel, fx] : byPath) {
                if (!QString::fromStdString(rec.path).endsWith(QString::fromStdString(fs::path(rel).filename().string()))) continue;
                if (fx["faces"].size() != 1) continue;
                const double j = cosine(dataset, fx["faces"][0]["descriptor"].get<std::vector<float>>());
                QVERIFY2(j >= kMinCosine, qPrintable(QStringLiteral("%1: dataset path vs face-api's JavaScript, cosine %2").arg(file).arg(j)));
                ++withFixture;
            }
        }
        qInfo("dataset crop = embed crop on %d cavi-dev images, = face-api's own descriptor on %d", compared, withFixture);
        QVERIFY(compared >= 5);
        QVERIFY(withFixture >= 3);
    }

    // --run: a trained run's branch-1 embeddings, the same as its evaluation computes them.
    void cliDatasetRun()
    {
        const QString synth = tmp_.filePath("synth-run");
        data::CariSynthOptions o;
        o.identities = 3;
        o.photosPerIdentity = 2;
        o.caricaturesPerIdentity = 2;
        o.size = 64;
        o.seed = 4;
        data::generateCariSynth(synth.toStdString(), o);
        const QString run = tmp_.filePath("run");
        auto r = test::runCli(
            {"train", "--dataset", synth, "--run-dir", run, "--steps", "4", "--batch", "8", "--threads", "2", "--plain", "--checkpoint-every", "4"},
            300000);
        QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));

        const QString csv = tmp_.filePath("run.csv");
        r = test::runCli({"embed", "--run", run, "--dataset", synth, "--out", csv});
        QVERIFY2(r.exitCode == 0 && r.out.contains("12 of 12 images"), qPrintable(r.out + r.err));
        const auto rows = readCsv(csv);
        QCOMPARE(int(rows.size()), 12);

        auto model = run::loadRunModel(run.toStdString());
        const auto index = data::loadDataset(synth.toStdString());
        std::vector<int> all(index.images.size());
        std::iota(all.begin(), all.end(), 0);
        data::ImageCache cache;
        const auto emb = eval::embedImages(model.net, index, all, cache, model.pipeline, 4, model.device);
        for (std::size_t i = 0; i < index.images.size(); ++i) {
            const auto& rec = index.images[i];
            const auto& values =
                rows.at(index.identities[static_cast<std::size_t>(rec.identity)] + "|" + data::modalityName(rec.modality) + "|" + rec.path);
            QCOMPARE(std::int64_t(values.size()), emb.embeddings.size(1));
            const auto e = emb.embeddings[emb.rowOf(static_cast<int>(i))].contiguous();
            const std::vector<float> ref(e.data_ptr<float>(), e.data_ptr<float>() + e.numel());
            QVERIFY(cosine(values, ref) > 0.99999);
            double norm = 0;
            for (float v : values) norm += static_cast<double>(v) * v;
            QVERIFY(std::abs(std::sqrt(norm) - 1.0) < 1e-4);
        }

        // One image: the run's preprocessing of the whole image.
        const QString image = QString::fromStdString(index.absolutePath(index.images.front()));
        r = test::runCli({"embed", "--run", run, "--image", image, "--json"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QCOMPARE(std::int64_t(nlohmann::json::parse(r.out.toStdString()).size()), emb.embeddings.size(1));
    }
};

QTEST_GUILESS_MAIN(TestFacePipeline)
#include "test_face_pipeline.moc"
