// The face-resnet backbone and the zero-shot baseline, with the real pretrained weights (fetched
// by `carilab-cli pretrained fetch`; the tests that need them skip, saying so, where they are
// absent): the split network reproduces the pretrained one exactly at init, its pipeline feeds it
// the package's normalisation, a few dynamic-strategy steps train it and its checkpoint loads and
// resumes, and the zero-shot descriptor evaluates through carilab-cli (and on the real CaVI
// subset in ../shared when present).
#include "data/carisynth.h"
#include "data/dataset_registry.h"
#include "data/image_decode.h"
#include "data/image_pipeline.h"
#include "eval/embedder.h"
#include "eval/input_normalisation.h"
#include "fixture_trees.h"
#include "nn/face_resnet_backbone.h"
#include "nn/multitask_net.h"
#include "pretrained/backbone_weights.h"
#include "pretrained/face_recognition_net.h"
#include "pretrained/pretrained_store.h"
#include "run/evaluator.h"
#include "run/run_directory.h"
#include "run/run_model.h"
#include "run/trainer.h"
#include "test_support.h"

#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include <QtTest/QtTest>

using namespace carilab;
using carilab::test::runCli;

namespace {

QString describe(const test::CliResult& r)
{
    return QStringLiteral("exit %1\n--- stdout\n%2\n--- stderr\n%3").arg(r.exitCode).arg(r.out.right(3000), r.err.right(3000));
}

// A committed test image as the pretrained network's uint8 [150,150,3] RGB input.
torch::Tensor faceImage150(const QString& name)
{
    const QString path = QFINDTESTDATA(QStringLiteral("pretrained/images/") + name);
    const cv::Mat rgb = data::decodeImageRgb8(path.toStdString());
    cv::Mat face;
    cv::resize(rgb, face, cv::Size(pretrained::kFaceDescriptorInput, pretrained::kFaceDescriptorInput), 0, 0, cv::INTER_LINEAR);
    return torch::from_blob(face.data, {face.rows, face.cols, 3}, torch::kUInt8).clone();
}

// The first parameter of a module whose name contains `part`.
torch::Tensor parameterNamed(torch::nn::Module& m, const std::string& part)
{
    for (const auto& p : m.named_parameters())
        if (p.key().find(part) != std::string::npos) return p.value();
    return {};
}

}  // namespace

class TestFaceResnet final : public QObject {
    Q_OBJECT

private:
    QTemporaryDir tmp_;
    std::string manifest_;
    QString missing_;
    QString carisynth_;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(tmp_.isValid());
        run::Trainer::configureThreads(2);
        try {
            manifest_ = pretrained::requireModelManifest("face_recognition_model");
        } catch (const pretrained::PretrainedMissing& e) {
            missing_ = QString::fromStdString(e.what());
        }
        // Zero-shot galleries are cached under the user data folder: keep them in the test's.
        qputenv("CARILAB_PRETRAINED_DIR", QByteArray::fromStdString(pretrained::pretrainedRoot()));
        qputenv("CARILAB_HOME", tmp_.filePath(QStringLiteral("home")).toUtf8());
    }

    void listedWithItsInput()
    {
        const auto names = nn::backboneNames();
        QVERIFY(std::find(names.begin(), names.end(), "face-resnet") != names.end());
        // Random weights need no files, so this holds on every machine.
        const auto info = nn::makeBackbone("face-resnet")->info();
        QCOMPARE(info.inputSize, std::int64_t(150));
        QCOMPARE(info.embeddingDim, std::int64_t(128));
        QVERIFY(info.inputMeanRgb.has_value());
        QCOMPARE((*info.inputMeanRgb)[0], pretrained::kFaceMeanRgb[0]);
        QVERIFY(!nn::makeBackbone("tiny")->info().inputMeanRgb.has_value());
    }

    void missingWeightsSayWhatToRun()
    {
        const QByteArray old = qgetenv("CARILAB_PRETRAINED_DIR");
        QVERIFY(!old.isEmpty());  // initTestCase set it
        qputenv("CARILAB_PRETRAINED_DIR", tmp_.filePath(QStringLiteral("no-weights-here")).toUtf8());
        QString message;
        try {
            pretrained::backboneWeights("face-resnet");
        } catch (const pretrained::PretrainedMissing& e) {
            message = QString::fromStdString(e.what());
        }
        qputenv("CARILAB_PRETRAINED_DIR", old);
        QVERIFY2(message.contains(QStringLiteral("carilab-cli pretrained fetch")), qPrintable(message));
    }

    // The pipeline hands face-resnet exactly the package's (rgb - mean) / 255 at 150x150.
    void pipelineNormalisation()
    {
        const auto rgb = faceImage150(QStringLiteral("carisynth_id_0001_p_01.png"));
        const cv::Mat img(150, 150, CV_8UC3, rgb.data_ptr<std::uint8_t>());
        data::PipelineOptions p;
        p.size = 150;
        eval::applyInputNormalisation(nn::makeBackbone("face-resnet")->info(), p);
        const cv::Mat x = data::preprocess(img, std::nullopt, p);
        const auto fromPipeline = torch::from_blob(const_cast<float*>(x.ptr<float>()), {1, 150, 150, 3}).permute({0, 3, 1, 2});
        QVERIFY(torch::equal(fromPipeline, pretrained::FaceRecognitionNetImpl::normalize(rgb)));
        // Other backbones keep the per-image standardisation.
        data::PipelineOptions tiny;
        tiny.size = 150;
        eval::applyInputNormalisation(nn::makeBackbone("tiny")->info(), tiny);
        const cv::Mat t = data::preprocess(img, std::nullopt, tiny);
        cv::Scalar mean, sd;
        cv::meanStdDev(t.reshape(1), mean, sd);
        QVERIFY(std::abs(mean[0]) < 1e-3 && std::abs(sd[0] - 1.0) < 1e-3);
    }

    // Trunk + each branch is the pretrained network before any training: bit for bit in the
    // reference's NCHW layout, to float rounding in channels-last (other summation order).
    void reproducesPretrainedAtInit_data()
    {
        QTest::addColumn<QString>("image");
        QTest::addColumn<bool>("channelsLast");
        QTest::newRow("photo, NCHW") << QStringLiteral("carisynth_id_0001_p_01.png") << false;
        QTest::newRow("caricature, NCHW") << QStringLiteral("carisynth_id_0001_c_01.png") << false;
        QTest::newRow("photo, channels-last") << QStringLiteral("carisynth_id_0001_p_01.png") << true;
        QTest::newRow("caricature, channels-last") << QStringLiteral("carisynth_id_0001_c_01.png") << true;
    }
    void reproducesPretrainedAtInit()
    {
        if (manifest_.empty()) QSKIP(qPrintable(missing_));
        QFETCH(QString, image);
        QFETCH(bool, channelsLast);
        auto reference = pretrained::loadFaceRecognitionNet(manifest_);
        nn::MultiTaskOptions o;
        o.backbone = "face-resnet";
        o.numClasses = 5;
        o.channelsLast = channelsLast;
        o.pretrainedWeights = pretrained::backboneWeights("face-resnet");
        nn::MultiTaskNet net(o);
        net->eval();
        torch::NoGradGuard ng;
        const auto x = pretrained::FaceRecognitionNetImpl::normalize(faceImage150(image));
        const auto want = reference->forward(x);
        const auto out = net->forward(x);
        QCOMPARE(out.z.size(1), std::int64_t(256 * 4 * 4));
        for (int t = 0; t < nn::kNumTasks; ++t)
            QVERIFY2(channelsLast ? torch::allclose(out.embeddings[t], want, 1e-4, 1e-5) : torch::equal(out.embeddings[t], want),
                     nn::kTaskNames[static_cast<size_t>(t)]);
        const auto unit = torch::nn::functional::normalize(want, torch::nn::functional::NormalizeFuncOptions().dim(1));
        QVERIFY(torch::allclose(net->embed(x), unit, 0, channelsLast ? 1e-5 : 1e-6));
        // From scratch: the same architecture with other weights.
        o.pretrainedWeights = nullptr;
        nn::MultiTaskNet scratch(o);
        scratch->eval();
        QVERIFY(!torch::allclose(scratch->forward(x).embeddings[0], want, 1e-3, 1e-3));
    }

    // A few real dynamic-strategy steps move the pretrained weights; the checkpoint loads back
    // with the pretrained pipeline and the run resumes.
    void trainsLoadsAndResumes()
    {
        if (manifest_.empty()) QSKIP(qPrintable(missing_));
        carisynth_ = tmp_.filePath(QStringLiteral("carisynth"));
        data::CariSynthOptions so;
        so.identities = 6;
        so.photosPerIdentity = 4;
        so.caricaturesPerIdentity = 4;
        so.size = 96;
        data::generateCariSynth(carisynth_.toStdString(), so);

        run::TrainConfig c;
        c.dataset = carisynth_.toStdString();
        c.backbone = "face-resnet";
        c.strategy = nn::parseStrategyName("dynamic");
        run::applyStrategyDefaults(c, nlohmann::json::object());
        c.optimizer.lr = 0.01;
        c.steps = 2;
        c.batch = 8;
        c.threads = 2;
        c.checkpointEvery = 2;
        c.evalEvery = 100000;
        const std::string dir = tmp_.filePath(QStringLiteral("run")).toStdString();
        {
            run::Trainer t(c, dir);
            t.start();
            t.wait();
            QCOMPARE(int(t.state()), int(run::Trainer::State::Finished));
        }
        const auto m = run::RunDirectory::open(dir).metrics();
        QCOMPARE(int(m.train.size()), 2);
        for (const auto& rec : m.train) QVERIFY(rec.loss && run::allFinite(*rec.loss));

        auto model = run::loadRunModel(dir);
        QCOMPARE(model.step, 2LL);
        QCOMPARE(model.pipeline.size, 150);
        QVERIFY(model.pipeline.meanRgb.has_value());
        nn::MultiTaskOptions o;
        o.backbone = "face-resnet";
        o.numClasses = 6;
        o.pretrainedWeights = pretrained::backboneWeights("face-resnet");
        nn::MultiTaskNet fresh(o);
        const auto before = parameterNamed(*fresh, "trunk.conv32_down.conv.weight");
        const auto after = parameterNamed(*model.net, "trunk.conv32_down.conv.weight").cpu();
        QVERIFY(before.defined() && after.defined());
        QVERIFY2(!torch::equal(before, after), "the shared stem did not move");

        c.steps = 3;
        run::Trainer more(c, dir, /*resume=*/true);
        more.start();
        more.wait();
        QCOMPARE(int(more.state()), int(run::Trainer::State::Finished));
        QCOMPARE(int(run::RunDirectory::open(dir).metrics().train.size()), 3);
    }

    // The zero-shot baseline through the CLI: eval's tables and match, without any run.
    void zeroShotCli_data()
    {
        QTest::addColumn<QString>("protocol");
        QTest::newRow("cavi") << QStringLiteral("cavi");
        QTest::newRow("images") << QStringLiteral("images");
    }
    void zeroShotCli()
    {
        if (manifest_.empty()) QSKIP(qPrintable(missing_));
        QFETCH(QString, protocol);
        static const auto cavi = carilab::test::makeCaviFixture(tmp_.path());
        const auto r = runCli({"eval", "--pretrained", "face-resnet", "--dataset", cavi.root, "--protocol", protocol, "--threads", "2", "--json"});
        QVERIFY2(r.exitCode == 0, qPrintable(describe(r)));
        const auto j = nlohmann::json::parse(r.out.toStdString());
        const double acc = protocol == "cavi" ? j["verification"]["mean"]["accuracy"].get<double>() : j["photo_verification_acc"].get<double>();
        QVERIFY2(acc >= 0.0 && acc <= 1.0, qPrintable(QString::number(acc)));
        QVERIFY(!j.contains("classification") && !j.contains("caricature_acc"));
        const auto table = runCli({"eval", "--pretrained", "face-resnet", "--dataset", cavi.root, "--protocol", protocol, "--threads", "2"});
        QVERIFY2(table.exitCode == 0, qPrintable(describe(table)));
        QVERIFY2(table.out.contains(QStringLiteral("zero-shot")) && table.out.contains(QStringLiteral("%")), qPrintable(table.out));
        if (protocol != "images") return;

        // A gallery photo queried against the photos ranks itself first with score 1.
        const auto index = data::loadDataset(cavi.root.toStdString(), "auto");
        const data::ImageRecord* photo = nullptr;
        for (const auto& rec : index.images)
            if (rec.modality == data::Modality::Photo) {
                photo = &rec;
                break;
            }
        QVERIFY(photo);
        const QString path = QString::fromStdString(index.absolutePath(*photo));
        const auto m = runCli({"match", "--pretrained", "face-resnet", "--image", path, "--gallery", cavi.root, "--modality", "photo", "--no-detect",
                               "--threads", "2", "--json"});
        QVERIFY2(m.exitCode == 0, qPrintable(describe(m)));
        const auto mj = nlohmann::json::parse(m.out.toStdString());
        QCOMPARE(QString::fromStdString(mj["results"][0]["path"].get<std::string>()), path);
        QVERIFY(mj["results"][0]["score"].get<double>() > 0.999);
        QCOMPARE(mj["model"].get<std::string>(), std::string("pretrained:face-resnet"));
        // Without a gallery there is nothing to rank, and the message says so.
        const auto bad = runCli({"match", "--pretrained", "face-resnet", "--image", path});
        QVERIFY(bad.exitCode != 0 && bad.err.contains(QStringLiteral("--gallery")));
    }

    // The real CaVI subset: the untrained descriptor tells photos of different people apart.
    void zeroShotCaviDev()
    {
        if (manifest_.empty()) QSKIP(qPrintable(missing_));
        const QString root = test::sharedDir() + QStringLiteral("/datasets/cavi-dev");
        if (!QFileInfo::exists(root)) QSKIP("../shared/datasets/cavi-dev is absent on this machine");
        const auto index = data::loadDataset(root.toStdString(), "cavi");
        // Five photos per identity keep this to seconds; chance is 50% (one negative per positive).
        std::vector<int> photos;
        std::map<int, int> taken;
        for (size_t i = 0; i < index.images.size(); ++i) {
            const auto& rec = index.images[i];
            if (rec.modality == data::Modality::Photo && taken[rec.identity]++ < 5) photos.push_back(static_cast<int>(i));
        }
        auto model = run::loadPretrainedModel("face-resnet");
        run::useDatasetCrop(model, index);
        run::EvalOptions eo;
        eo.pipeline = model.pipeline;
        data::ImageCache cache;
        const auto r = run::evaluateImages(model.net, index, photos, cache, eo, model.device);
        const double acc = r.value("photo_verification_acc", 0.0);
        qInfo("cavi-dev zero-shot photo-photo verification: %.4f over %lld pairs (%zu photos)", acc, r.value("photo_pairs", 0LL), photos.size());
        QVERIFY2(acc > 0.70, qPrintable(QString::number(acc)));  // chance: 0.5
    }

    // bf16 inference on real faces: the pretrained descriptor's embeddings of cavi-dev's photos
    // and caricatures agree with fp32, and each caricature finds the same nearest photo.
    void bf16MatchesFp32OnCaviDev()
    {
        if (manifest_.empty()) QSKIP(qPrintable(missing_));
        if (!nn::cpuHasNativeBf16()) QSKIP("this CPU has neither AMX nor AVX-512 BF16");
        const QString root = test::sharedDir() + QStringLiteral("/datasets/cavi-dev");
        if (!QFileInfo::exists(root)) QSKIP("../shared/datasets/cavi-dev is absent on this machine");
        const auto index = data::loadDataset(root.toStdString(), "cavi");
        std::vector<int> images;
        std::map<std::pair<int, int>, int> taken;
        for (size_t i = 0; i < index.images.size(); ++i) {
            const auto& rec = index.images[i];
            if (taken[{rec.identity, static_cast<int>(rec.modality)}]++ < 3) images.push_back(static_cast<int>(i));
        }
        auto model = run::loadPretrainedModel("face-resnet");
        run::useDatasetCrop(model, index);
        data::ImageCache cache;
        const auto e32 = eval::embedImages(model.net, index, images, cache, model.pipeline, 32, model.device);
        model.net->setInferencePrecision(nn::Precision::Bf16);
        const auto e16 = eval::embedImages(model.net, index, images, cache, model.pipeline, 32, model.device);
        QVERIFY(e32.failures.empty());
        const auto cos = (e32.embeddings * e16.embeddings).sum(1);
        std::vector<std::int64_t> cari, photo;
        for (size_t r = 0; r < images.size(); ++r)
            (index.images[static_cast<size_t>(images[r])].modality == data::Modality::Caricature ? cari : photo)
                .push_back(static_cast<std::int64_t>(r));
        const auto c = torch::tensor(cari), p = torch::tensor(photo);
        const auto nearest = [&](const torch::Tensor& e) { return e.index_select(0, c).matmul(e.index_select(0, p).t()).argmax(1); };
        const double same = (nearest(e32.embeddings) == nearest(e16.embeddings)).to(torch::kFloat64).mean().item<double>();
        qInfo("cavi-dev, %zu images: fp32 vs bf16 cosine min %.5f mean %.5f; same nearest photo for %.1f%% of %zu caricatures", images.size(),
              cos.min().item<double>(), cos.mean().item<double>(), 100 * same, cari.size());
        QVERIFY2(cos.min().item<double>() > 0.99, qPrintable(QString::number(cos.min().item<double>())));
        QVERIFY2(same > 0.9, qPrintable(QString::number(same)));
    }
};

QTEST_GUILESS_MAIN(TestFaceResnet)
#include "test_face_resnet.moc"
