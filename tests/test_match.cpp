// Matching a caricature or photo against a gallery: a real short CariSynth training, the
// gallery embedding cache, ranks, the same-person verdict, bad queries, and the CLI.
#include "test_support.h"

#include "data/carisynth.h"
#include "data/dataset_registry.h"
#include "data/image_decode.h"
#include "match/matcher.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include <QtTest/QtTest>

using carilab::test::CliResult;
using carilab::test::runCli;
namespace fs = std::filesystem;
using namespace carilab;

namespace {

QString describe(const CliResult& r)
{
    return QStringLiteral("exit %1\n--- stdout\n%2\n--- stderr\n%3").arg(r.exitCode).arg(r.out.right(3000), r.err.right(3000));
}

void writeBytes(const QString& path, const std::string& bytes)
{
    std::ofstream(path.toStdString(), std::ios::binary | std::ios::trunc) << bytes;
}

}  // namespace

class TestMatch : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;
    QString data_, run_;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(tmp_.isValid());
        data_ = tmp_.path() + "/synth";
        run_ = tmp_.path() + "/run";
        data::CariSynthOptions o;
        o.identities = 10;
        o.photosPerIdentity = 10;
        o.caricaturesPerIdentity = 10;
        o.size = 96;
        o.seed = 5;
        data::generateCariSynth(data_.toStdString(), o);
        const auto r = runCli({"train", "--dataset", data_, "--run-dir", run_, "--steps", "150", "--batch", "32", "--threads", "2",
                               "--plain", "--checkpoint-every", "150"},
                              600000);
        QVERIFY2(r.exitCode == 0, qPrintable(describe(r)));
    }

    void rankedCaricatureQueries()
    {
        auto model = run::loadRunModel(run_.toStdString());
        match::GallerySpec spec;
        spec.modality = data::Modality::Photo;
        const auto gallery = match::loadGallery(model, run_.toStdString(), spec);
        QCOMPARE((int)gallery.images.size(), 100);
        QVERIFY(!gallery.fromCache);
        QVERIFY(fs::exists(gallery.cacheFile));
        for (int i : gallery.images) QCOMPARE(gallery.index.images[(size_t)i].modality, data::Modality::Photo);

        // Every identity's last caricature as a query: the results are sorted, and the true
        // identity ranks far better than chance (about 9 of 100 photos in 10 identities).
        double rankSum = 0;
        int top10 = 0, queries = 0;
        for (size_t i = 0; i < gallery.index.images.size(); ++i) {
            const auto& rec = gallery.index.images[i];
            if (rec.modality != data::Modality::Caricature || gallery.index.absolutePath(rec).find("_c_10") == std::string::npos) continue;
            match::QueryOptions q;
            q.detect = false;
            q.top = 10;
            q.identity = gallery.index.identities[(size_t)rec.identity];
            q.landmarks = rec.landmarks;
            const auto r = match::matchQuery(model, gallery, data::decodeImageRgb8(gallery.index.absolutePath(rec)), q, nullptr);
            QCOMPARE((int)r.hits.size(), 10);
            for (size_t k = 1; k < r.hits.size(); ++k) QVERIFY(r.hits[k - 1].score >= r.hits[k].score);
            QCOMPARE(r.hits[0].rank, 1);
            QVERIFY(r.trueIdentityRank.has_value());
            rankSum += *r.trueIdentityRank;
            bool inTop = false;
            for (const auto& h : r.hits) inTop |= h.identity == *q.identity;
            top10 += inTop;
            // The reported rank agrees with the list whenever the identity is in it.
            if (inTop) {
                int first = 0;
                for (const auto& h : r.hits)
                    if (h.identity == *q.identity) { first = h.rank; break; }
                QCOMPARE(*r.trueIdentityRank, first);
            }
            ++queries;
        }
        QCOMPARE(queries, 10);
        qInfo("mean true-identity rank %.1f (chance about 9), own identity in the top 10 for %d of 10", rankSum / queries, top10);
        QVERIFY(rankSum / queries < 3.0);
        QVERIFY(top10 >= 8);
    }

    void galleryCacheIsReusedAndInvalidated()
    {
        auto model = run::loadRunModel(run_.toStdString());
        match::GallerySpec spec;
        spec.modality = data::Modality::Caricature;
        const auto first = match::loadGallery(model, run_.toStdString(), spec);
        const auto second = match::loadGallery(model, run_.toStdString(), spec);
        QVERIFY(second.fromCache);
        // A gallery image queried with its own geometry finds itself first, with score 1.
        {
            const int img = first.images[7];
            const auto& rec = first.index.images[(size_t)img];
            match::QueryOptions q;
            q.landmarks = rec.landmarks;
            const auto r = match::matchQuery(model, first, data::decodeImageRgb8(first.index.absolutePath(rec)), q, nullptr);
            QCOMPARE(r.hits[0].image, img);
            QVERIFY(std::abs(r.hits[0].score - 1.0) < 1e-4);
        }
        QCOMPARE(second.cacheFile, first.cacheFile);
        QVERIFY(torch::equal(second.embeddings, first.embeddings));
        QCOMPARE(second.images, first.images);
        // Another modality is another cache entry.
        spec.modality = data::Modality::Photo;
        QVERIFY(match::loadGallery(model, run_.toStdString(), spec).cacheFile != first.cacheFile);
        // A damaged cache file is rebuilt, not trusted.
        spec.modality = data::Modality::Caricature;
        writeBytes(QString::fromStdString(first.cacheFile), "garbage");
        const auto rebuilt = match::loadGallery(model, run_.toStdString(), spec);
        QVERIFY(!rebuilt.fromCache);
        QVERIFY(torch::allclose(rebuilt.embeddings, first.embeddings));
    }

    void cliMatch()
    {
        const QString query = data_ + "/id_0003/caricature/id_0003_c_09.jpg";
        QVERIFY(QFile::exists(query));
        const auto r = runCli({"match", "--run", run_, "--image", query, "--top", "5", "--no-detect", "--json"});
        QVERIFY2(r.exitCode == 0, qPrintable(describe(r)));
        const auto j = nlohmann::json::parse(r.out.toStdString());
        QCOMPARE(j["results"].size(), (size_t)5);
        QCOMPARE(QString::fromStdString(j["query_identity"]), QString("id_0003"));   // found in the gallery's dataset
        QCOMPARE(QString::fromStdString(j["gallery"]["modality"]), QString("photo"));  // the other modality by default
        QCOMPARE(QString::fromStdString(j["crop"]), QString("dataset landmarks"));   // cropped as the gallery is
        QVERIFY(j["true_identity_rank"].is_number());
        for (size_t k = 1; k < 5; ++k) QVERIFY(j["results"][k - 1]["score"].get<double>() >= j["results"][k]["score"].get<double>());
        QVERIFY(j.contains("threshold") && j.contains("same_person"));   // from the run's evaluation
        // A user box, and the text form with the verdict.
        const auto boxed = runCli({"match", "--run", run_, "--image", query, "--box", "10,10,60,60", "--threshold", "0.99"});
        QVERIFY2(boxed.exitCode == 0, qPrintable(describe(boxed)));
        QVERIFY(boxed.out.contains("(user box)"));
        QVERIFY(boxed.out.contains("same person as the best match? no (threshold 0.990)"));
        QVERIFY(boxed.out.contains("id_0003: first correct match at rank"));
    }

    void badQueries_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("message");
        QTest::newRow("zero bytes") << "empty.jpg" << QByteArray() << "empty";
        QTest::newRow("text named jpg") << "notes.jpg" << QByteArray("just some text, not a picture\n") << "not a decodable image";
        QByteArray truncated;
        {
            std::ifstream in((tmp_.path() + "/synth/id_0001/photo/id_0001_p_01.jpg").toStdString(), std::ios::binary);
            std::string s((std::istreambuf_iterator<char>(in)), {});
            truncated = QByteArray(s.data(), (int)s.size() / 2);
        }
        QTest::newRow("truncated jpeg") << "half.jpg" << truncated << "truncated";
        // A PNG header claiming 30 000 x 30 000 pixels: refused before decoding.
        QByteArray bomb("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\x75\x30\0\0\x75\x30\x08\x02\0\0\0", 29);
        bomb.append(QByteArray(64, '\0'));
        QTest::newRow("decompression bomb") << "bomb.png" << bomb << "pixels";
        QTest::newRow("a folder") << "folder" << QByteArray("DIR") << "is a folder";
        QTest::newRow("missing") << "missing.jpg" << QByteArray("MISSING") << "missing.jpg";
    }
    void badQueries()
    {
        QFETCH(QString, name);
        QFETCH(QByteArray, bytes);
        QFETCH(QString, message);
        const QString path = tmp_.path() + "/bad-" + name;
        if (bytes == "DIR") QDir().mkpath(path);
        else if (bytes != "MISSING") writeBytes(path, bytes.toStdString());
        const auto r = runCli({"match", "--run", run_, "--image", path});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(message, Qt::CaseInsensitive), qPrintable(r.err));
        QVERIFY(!r.err.contains("terminate"));
    }

    void checkpointOfAnotherBackboneIsRefused()
    {
        // A copy of the run whose config claims another backbone: its checkpoint does not fit.
        const QString other = tmp_.path() + "/run-other";
        fs::copy(run_.toStdString(), other.toStdString(), fs::copy_options::recursive);
        auto cfg = nlohmann::json::parse(std::ifstream((other + "/config.json").toStdString()));
        cfg["backbone"] = "inception-resnet-v1";
        std::ofstream((other + "/config.json").toStdString(), std::ios::trunc) << cfg.dump(2);
        const auto r = runCli({"match", "--run", other, "--image", data_ + "/id_0001/photo/id_0001_p_01.jpg"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("backbone 'tiny'") && r.err.contains("inception-resnet-v1"), qPrintable(r.err));
    }

    void detectorOnRealPhotos()
    {
        const QString real = carilab::test::sharedDir() + "/datasets/cavi-dev/CaVI_Dataset/Real";
        if (!QFileInfo::exists(real)) QSKIP("../shared/datasets/cavi-dev is not here");
        match::FaceDetector detector;
        int tried = 0, found = 0;
        for (const auto& dir : fs::directory_iterator(real.toStdString())) {
            for (const auto& f : fs::directory_iterator(dir.path())) {
                if (f.path().extension() != ".jpg") continue;
                const cv::Mat img = data::decodeImageRgb8(f.path().string());
                const auto box = detector.detect(img);
                ++tried;
                if (box) {
                    ++found;
                    // The head box is centred on the image's content, not off in a corner.
                    const float cx = box->x + box->width / 2, cy = box->y + box->height / 2;
                    QVERIFY(cx > 0 && cx < img.cols && cy > 0 && cy < img.rows);
                }
                break;   // one photo per identity
            }
        }
        qInfo("cascade found a face in %d of %d CaVI photos", found, tried);
        QVERIFY(tried >= 30);
        QVERIFY(found * 2 >= tried);
    }
};

QTEST_GUILESS_MAIN(TestMatch)
#include "test_match.moc"
