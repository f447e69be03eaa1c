// Matching a caricature or photo against a gallery: a real short CariSynth training, the
// gallery embedding cache, ranks, the same-person verdict, bad queries, and the CLI.
#include "test_support.h"

#include "data/carisynth.h"
#include "data/dataset_registry.h"
#include "data/image_decode.h"
#include "match/face_detector.h"
#include "match/matcher.h"
#include "pretrained/pretrained_store.h"
#include "run/run_model.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

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

// One photo per identity of cavi-dev (the first in name order), or empty when it is not here.
std::vector<fs::path> firstCaviPhotos()
{
    std::vector<fs::path> out;
    const fs::path real = (carilab::test::sharedDir() + "/datasets/cavi-dev/CaVI_Dataset/Real").toStdString();
    std::error_code ec;
    if (!fs::is_directory(real, ec)) return out;
    std::vector<fs::path> ids;
    for (const auto& d : fs::directory_iterator(real)) ids.push_back(d.path());
    std::sort(ids.begin(), ids.end());
    for (const auto& d : ids) {
        std::vector<fs::path> files;
        for (const auto& f : fs::directory_iterator(d))
            if (f.path().extension() == ".jpg") files.push_back(f.path());
        std::sort(files.begin(), files.end());
        if (!files.empty()) out.push_back(files.front());
    }
    return out;
}

// A "real photo" with a face somewhere in it: the head shot shrunk onto a larger grey scene off
// centre, so only a detector finds the face. Returns where the head shot went.
cv::Rect placeInScene(const cv::Mat& rgb, cv::Mat& scene, int i)
{
    scene = cv::Mat(480, 640, CV_8UC3, cv::Scalar(120 + 5 * (i % 7), 125, 118));
    const int side = 180 + 10 * (i % 5);
    const cv::Rect where(60 + 37 * (i % 9), 40 + 23 * (i % 7), side, side);
    cv::Mat head;
    cv::resize(rgb, head, where.size(), 0, 0, cv::INTER_AREA);
    head.copyTo(scene(where));
    return where;
}

void writeBytes(const QString& path, const std::string& bytes) { std::ofstream(path.toStdString(), std::ios::binary | std::ios::trunc) << bytes; }

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
        const auto r = runCli({"train", "--dataset", data_, "--run-dir", run_, "--steps", "150", "--batch", "32", "--threads", "2", "--plain",
                               "--checkpoint-every", "150"},
                              600000);
        QVERIFY2(r.exitCode == 0, qPrintable(describe(r)));
    }

    void rankedCaricatureQueries()
    {
        auto model = run::loadRunModel(run_.toStdString());
        match::GallerySpec spec;
        spec.modality = data::Modality::Photo;
        const auto gallery = match::loadGallery(model, run_.toStdString(), spec);
        QCOMPARE(static_cast<int>(gallery.images.size()), 100);
        QVERIFY(!gallery.fromCache);
        QVERIFY(fs::exists(gallery.cacheFile));
        for (int i : gallery.images) QCOMPARE(gallery.index.images[static_cast<size_t>(i)].modality, data::Modality::Photo);

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
            q.identity = gallery.index.identities[static_cast<size_t>(rec.identity)];
            q.landmarks = rec.landmarks;
            const auto r = match::matchQuery(model, gallery, data::decodeImageRgb8(gallery.index.absolutePath(rec)), q, nullptr);
            QCOMPARE(static_cast<int>(r.hits.size()), 10);
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
                    if (h.identity == *q.identity) {
                        first = h.rank;
                        break;
                    }
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
            const auto& rec = first.index.images[static_cast<size_t>(img)];
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
        QCOMPARE(j["results"].size(), static_cast<size_t>(5));
        QCOMPARE(QString::fromStdString(j["query_identity"]), QString("id_0003"));  // found in the gallery's dataset
        QCOMPARE(QString::fromStdString(j["gallery"]["modality"]), QString("photo"));  // the other modality by default
        QCOMPARE(QString::fromStdString(j["crop"]), QString("dataset landmarks"));  // cropped as the gallery is
        QVERIFY(j["true_identity_rank"].is_number());
        for (size_t k = 1; k < 5; ++k) QVERIFY(j["results"][k - 1]["score"].get<double>() >= j["results"][k]["score"].get<double>());
        QVERIFY(j.contains("threshold") && j.contains("same_person"));  // from the run's evaluation
        // A user box, and the text form with the verdict.
        const auto boxed = runCli({"match", "--run", run_, "--image", query, "--box", "10,10,60,60", "--threshold", "0.99"});
        QVERIFY2(boxed.exitCode == 0, qPrintable(describe(boxed)));
        QVERIFY(boxed.out.contains("(user box)"));
        QVERIFY(boxed.out.contains("same person as the best match? no (threshold 0.990)"));
        QVERIFY(boxed.out.contains("id_0003: first correct match at rank"));

        // An outside copy of a photo: its folder says photo, so caricatures are ranked; with no
        // folder that says, both modalities (not photos, where its own copy would win), said so.
        const QString photo = data_ + "/id_0003/photo/id_0003_p_01.jpg";
        QVERIFY(QDir().mkpath(tmp_.path() + "/outside/Real/someone") && QDir().mkpath(tmp_.path() + "/outside/misc"));
        const QString inPhotoFolder = tmp_.path() + "/outside/Real/someone/copy.jpg", loose = tmp_.path() + "/outside/misc/copy.jpg";
        QVERIFY(QFile::copy(photo, inPhotoFolder) && QFile::copy(photo, loose));
        const auto told = runCli({"match", "--run", run_, "--image", inPhotoFolder, "--no-detect", "--top", "3", "--json"});
        QVERIFY2(told.exitCode == 0, qPrintable(describe(told)));
        QCOMPARE(QString::fromStdString(nlohmann::json::parse(told.out.toStdString())["gallery"]["modality"]), QString("caricature"));
        const auto unknown = runCli({"match", "--run", run_, "--image", loose, "--no-detect", "--top", "3"});
        QVERIFY2(unknown.exitCode == 0, qPrintable(describe(unknown)));
        QVERIFY2(unknown.err.contains("modality is unknown: ranked against photos and caricatures"), qPrintable(unknown.err));
        const auto unknownJ = runCli({"match", "--run", run_, "--image", loose, "--no-detect", "--top", "3", "--json"});
        QCOMPARE(QString::fromStdString(nlohmann::json::parse(unknownJ.out.toStdString())["gallery"]["modality"]), QString("both"));
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
            truncated = QByteArray(s.data(), static_cast<int>(s.size()) / 2);
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
        if (bytes == "DIR")
            QDir().mkpath(path);
        else if (bytes != "MISSING")
            writeBytes(path, bytes.toStdString());
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
                break;  // one photo per identity
            }
        }
        qInfo("cascade found a face in %d of %d CaVI photos", found, tried);
        QVERIFY(tried >= 30);
        QVERIFY(found * 2 >= tried);
    }

    // face-api's detector (with its 68 landmarks) on real CaVI photos: it finds more faces than
    // the cascade, and its landmarks sit where a face's parts are.
    void faceApiFinderOnRealPhotos()
    {
        const auto photos = firstCaviPhotos();
        if (photos.empty()) QSKIP("../shared/datasets/cavi-dev is not here");
        try {
            pretrained::requireModelManifest("tiny_face_detector_model");
        } catch (const pretrained::PretrainedMissing& e) {
            QSKIP(e.what());
        }
        match::FaceFinder finder;
        QVERIFY2(finder.fallbackReason().empty(), finder.fallbackReason().c_str());
        QCOMPARE(QString::fromStdString(finder.detectorName()), QStringLiteral("face-api SSD MobileNet v1 + 68 landmarks"));
        QCOMPARE(QString::fromStdString(finder.detectorTag()), QStringLiteral("ssd"));
        QCOMPARE(QString::fromStdString(match::FaceFinder(match::FaceFinderOptions{match::FaceApiDetector::Tiny}).detectorTag()),
                 QStringLiteral("tiny"));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, match::parseFaceApiDetector("mtcnn"));
        match::FaceDetector haar;
        int found = 0, haarFound = 0, withLandmarks = 0;
        for (const auto& f : photos) {
            const cv::Mat img = data::decodeImageRgb8(f.string());
            haarFound += haar.detect(img).has_value();
            const auto face = finder.find(img);
            if (!face) continue;
            ++found;
            QVERIFY(face->detector == match::FaceDetectorKind::FaceApi);
            QVERIFY(face->score >= 0.5);
            const auto& h = face->headSquare;
            QVERIFY(h.x + h.width / 2 > 0 && h.x + h.width / 2 < img.cols && h.y + h.height / 2 > 0 && h.y + h.height / 2 < img.rows);
            if (!face->landmarks5) {
                QVERIFY(face->landmarks68.empty());  // the net collapsed: the detection box alone
                continue;
            }
            ++withLandmarks;
            QCOMPARE(static_cast<int>(face->landmarks68.size()), 68);
            const auto& l = *face->landmarks5;
            // Left before right, eyes above the mouth.
            const QString name = QString::fromStdString(f.string());
            QVERIFY2(l[0].x < l[1].x && l[3].x < l[4].x, qPrintable(name));
            QVERIFY2(l[0].y + l[1].y < l[3].y + l[4].y, qPrintable(name));
            // The head shot covers the landmarks.
            for (const auto& p : l) QVERIFY2(p.x > h.x && p.x < h.x + h.width && p.y > h.y && p.y < h.y + h.height, qPrintable(name));
        }
        qInfo("face-api: %d with usable landmarks", withLandmarks);
        QVERIFY(withLandmarks * 10 >= found * 8);
        qInfo("face-api found a face in %d of %zu CaVI photos (Haar cascade: %d)", found, photos.size(), haarFound);
        QVERIFY(photos.size() >= 30);
        QVERIFY(found * 10 >= static_cast<int>(photos.size()) * 9);
        QVERIFY(found >= haarFound);
    }

    // `dataset align` on a small CaVI tree of real images: face-api's 5 points go to the
    // dataset's landmarks.csv in a copy (the source is never written), the CaVI loader then
    // gives those images landmarks, a second run resumes without redoing them, and bad
    // destinations are refused with a reason.
    void datasetAlignGivesCaviLandmarks()
    {
        const fs::path cavi = (carilab::test::sharedDir() + "/datasets/cavi-dev/CaVI_Dataset").toStdString();
        std::error_code ec;
        if (!fs::is_directory(cavi, ec)) QSKIP("../shared/datasets/cavi-dev is not here");
        try {
            pretrained::requireModelManifest("face_landmark_68_model");
        } catch (const pretrained::PretrainedMissing& e) {
            QSKIP(e.what());
        }
        const fs::path mini = (tmp_.path() + "/mini-cavi").toStdString();
        int copied = 0;
        for (const char* side : {"Real", "Caricature"}) {
            std::vector<fs::path> ids;
            for (const auto& d : fs::directory_iterator(cavi / side)) ids.push_back(d.path());
            std::sort(ids.begin(), ids.end());
            for (size_t i = 0; i < 3 && i < ids.size(); ++i) {
                std::vector<fs::path> files;
                for (const auto& f : fs::directory_iterator(ids[i])) files.push_back(f.path());
                std::sort(files.begin(), files.end());
                fs::create_directories(mini / "CaVI_Dataset" / side / ids[i].filename());
                for (size_t k = 0; k < 4 && k < files.size(); ++k, ++copied)
                    fs::copy_file(files[k], mini / "CaVI_Dataset" / side / ids[i].filename() / files[k].filename());
            }
        }
        const QString out = tmp_.path() + "/mini-cavi-aligned";
        auto r = runCli({"dataset", "align", QString::fromStdString(mini.string()), "--out", out, "--json", "--threads", "2"}, 300000);
        QVERIFY2(r.exitCode == 0, qPrintable(describe(r)));
        auto j = nlohmann::json::parse(r.out.toStdString());
        QCOMPARE(QString::fromStdString(j["format"].get<std::string>()), QStringLiteral("cavi"));
        QCOMPARE(j["images"].get<int>(), copied);
        const int aligned = j["aligned"].get<int>();
        int photosMissed = 0;
        for (const auto& key : {"no_face_files", "bad_landmark_files"})
            for (const auto& f : j[key]) photosMissed += f.get<std::string>().find("/Real/") != std::string::npos;
        qInfo("dataset align: %d of %d CaVI images got landmarks (%d without a face, %d with unusable landmarks; %d of them photos)", aligned, copied,
              j["no_face"].get<int>(), j["bad_landmarks"].get<int>(), photosMissed);
        // Caricatures defeat a photo face detector often; photos seldom.
        QVERIFY(photosMissed * 5 <= copied / 2);
        QVERIFY(aligned > copied / 2);
        QCOMPARE(aligned + j["no_face"].get<int>() + j["bad_landmarks"].get<int>(), copied);
        const QString sidecar = out + "/CaVI_Dataset/landmarks.csv";
        QCOMPARE(QString::fromStdString(j["landmarks_file"].get<std::string>()), QFileInfo(sidecar).absoluteFilePath());
        QVERIFY(!fs::exists(mini / "CaVI_Dataset" / "landmarks.csv"));  // the source is untouched

        const auto index = data::loadDataset(out.toStdString(), "auto");
        QCOMPARE(QString::fromStdString(index.format), QStringLiteral("cavi"));
        int withLandmarks = 0;
        for (const auto& rec : index.images) {
            if (!rec.landmarks) continue;
            ++withLandmarks;
            const auto& l = *rec.landmarks;
            QVERIFY(l[0].x < l[1].x && std::max(l[0].y, l[1].y) < std::max(l[3].y, l[4].y));
        }
        QCOMPARE(withLandmarks, aligned);
        QVERIFY(data::loadDataset(mini.string(), "auto").images.front().landmarks == std::nullopt);
        // face_boxes.csv: face-api's box for every image with a face (what face-resnet crops),
        // a square around the face's landmarks.
        const int faceBoxes = j["face_boxes"].get<int>();
        QCOMPARE(QString::fromStdString(j["detector"].get<std::string>()), QStringLiteral("ssd"));  // face-api's default
        QVERIFY(faceBoxes >= aligned && faceBoxes <= copied);
        QCOMPARE(QString::fromStdString(j["face_boxes_file"].get<std::string>()), QFileInfo(out + "/CaVI_Dataset/face_boxes.csv").absoluteFilePath());
        int withBox = 0;
        for (const auto& rec : index.images) {
            if (!rec.faceApiBox) continue;
            ++withBox;
            QVERIFY(rec.faceApiBox->width > 0 && rec.faceApiBox->height > 0);
            if (rec.landmarks) {
                const auto& b = *rec.faceApiBox;
                for (const auto& p : *rec.landmarks) QVERIFY(p.x > b.x && p.x < b.x + b.width && p.y > b.y && p.y < b.y + b.height);
            }
        }
        QCOMPARE(withBox, faceBoxes);

        // Again: every image was searched, nothing is searched twice.
        r = runCli({"dataset", "align", QString::fromStdString(mini.string()), "--out", out, "--json", "--threads", "2"}, 300000);
        QVERIFY2(r.exitCode == 0, qPrintable(describe(r)));
        j = nlohmann::json::parse(r.out.toStdString());
        QCOMPARE(j["had_landmarks"].get<int>(), copied);
        QCOMPARE(j["aligned"].get<int>(), 0);
        QCOMPARE(j["face_boxes"].get<int>(), 0);

        // Refused: a destination inside the dataset, and a folder holding something else.
        r = runCli({"dataset", "align", QString::fromStdString(mini.string()), "--out", QString::fromStdString((mini / "inside").string())});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("inside the dataset"), qPrintable(r.err));
        const QString busy = tmp_.path() + "/busy";
        QVERIFY(QDir().mkpath(busy));
        writeBytes(busy + "/notes.txt", "mine");
        r = runCli({"dataset", "align", QString::fromStdString(mini.string()), "--out", busy});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("not empty"), qPrintable(r.err));
    }

    // The match view's zero-shot path end to end, in core: a real photo of a face somewhere in a
    // scene is detected, cropped as the gallery's head shots are, described by the pretrained
    // network and ranked against other photos of 12 CaVI identities.
    void zeroShotMatchFindsTheFaceInAScene()
    {
        const auto photos = firstCaviPhotos();
        if (photos.empty()) QSKIP("../shared/datasets/cavi-dev is not here");
        std::optional<run::RunModel> model;
        try {
            model = run::loadPretrainedModel("face-resnet");
        } catch (const pretrained::PretrainedMissing& e) {
            QSKIP(e.what());
        }
        torch::set_num_threads(2);
        // The gallery: every other photo of the first 12 identities, in the folder layout.
        const int kIds = 12;
        const fs::path gallery = (tmp_.path() + "/cavi-photos").toStdString();
        std::vector<std::string> names;
        for (int i = 0; i < kIds; ++i) {
            const fs::path dir = photos[static_cast<size_t>(i)].parent_path();
            names.push_back(dir.filename().string());
            fs::create_directories(gallery / names.back() / "photo");
            for (const auto& f : fs::directory_iterator(dir))
                if (f.path() != photos[static_cast<size_t>(i)] && f.path().extension() == ".jpg")
                    fs::copy_file(f.path(), gallery / names.back() / "photo" / f.path().filename());
        }
        // Galleries cache under the test's own home; the fetched networks stay where they are.
        qputenv("CARILAB_PRETRAINED_DIR", QByteArray::fromStdString(pretrained::pretrainedRoot()));
        qputenv("CARILAB_HOME", (tmp_.path() + "/home").toUtf8());
        const auto index = data::loadDataset(gallery.string(), "auto");
        run::useDatasetCrop(*model, index);
        match::GallerySpec spec;
        spec.dataset = gallery.string();
        spec.modality = data::Modality::Photo;
        spec.preloaded = &index;
        const match::Gallery g = match::loadGallery(*model, match::zeroShotCacheRoot("face-resnet"), spec);
        QVERIFY(g.images.size() >= static_cast<size_t>(kIds) * 10);

        match::FaceFinder finder;
        int detectedFirst = 0, wholeFirst = 0, detectedRankSum = 0, wholeRankSum = 0;
        for (int i = 0; i < kIds; ++i) {
            cv::Mat scene;
            const cv::Rect where = placeInScene(data::decodeImageRgb8(photos[static_cast<size_t>(i)].string()), scene, i);
            match::QueryOptions q;
            q.identity = names[static_cast<size_t>(i)];
            q.top = 5;
            const auto r = match::matchQuery(*model, g, scene, q, &finder);
            QVERIFY(r.crop == match::QueryCrop::Detected);
            QVERIFY(r.detector == match::FaceDetectorKind::FaceApi);
            // face-resnet's crop: face-api's aligned box of the face found.
            QCOMPARE(QString::fromStdString(r.cropDetail), QStringLiteral("face-api's aligned face box"));
            QCOMPARE(QString::fromStdString(r.detectorModel), QStringLiteral("ssd"));
            QCOMPARE(static_cast<int>(r.landmarks.size()), 68);
            QVERIFY(r.box.has_value());
            const cv::Rect2f box(r.box->x, r.box->y, r.box->width, r.box->height);
            // On the placed head shot, about its size (photos frame heads loosely or tightly).
            const cv::Point2f centre(box.x + box.width / 2, box.y + box.height / 2);
            const float sizeRatio = box.width / static_cast<float>(where.width);
            QVERIFY2(cv::Rect2f(where).contains(centre) && sizeRatio > 0.25f && sizeRatio < 2.5f,
                     qPrintable(QStringLiteral("%1: crop centre %2,%3, %4x the placed head shot's side")
                                    .arg(names[static_cast<size_t>(i)].c_str())
                                    .arg(centre.x)
                                    .arg(centre.y)
                                    .arg(sizeRatio)));
            QCOMPARE(r.networkInput.rows, model->pipeline.size);
            QVERIFY(r.trueIdentityRank.has_value());
            detectedFirst += *r.trueIdentityRank == 1;
            detectedRankSum += *r.trueIdentityRank;

            q.detect = false;
            const auto w = match::matchQuery(*model, g, scene, q, &finder);
            QVERIFY(w.crop == match::QueryCrop::WholeImage);
            wholeFirst += *w.trueIdentityRank == 1;
            wholeRankSum += *w.trueIdentityRank;
        }
        qInfo("zero-shot, %d photos placed in scenes against %zu photos of %d identities: rank-1 %d with face-api detection, "
              "%d on the whole scene (mean true rank %.1f vs %.1f)",
              kIds, g.images.size(), kIds, detectedFirst, wholeFirst, detectedRankSum / static_cast<double>(kIds),
              wholeRankSum / static_cast<double>(kIds));
        QVERIFY(detectedFirst * 2 >= kIds);
        QVERIFY(detectedFirst > wholeFirst);
        QVERIFY(detectedRankSum < wholeRankSum);

        // The CLI says the same, with the detector and its landmarks in the JSON.
        cv::Mat scene;
        placeInScene(data::decodeImageRgb8(photos[0].string()), scene, 0);
        cv::cvtColor(scene, scene, cv::COLOR_RGB2BGR);
        const QString query = tmp_.path() + "/scene.jpg";
        QVERIFY(cv::imwrite(query.toStdString(), scene));
        const auto cli = runCli({"match", "--pretrained", "face-resnet", "--gallery", QString::fromStdString(gallery.string()), "--modality", "photo",
                                 "--image", query, "--json"});
        QVERIFY2(cli.exitCode == 0, qPrintable(describe(cli)));
        const auto j = nlohmann::json::parse(cli.out.toStdString());
        QCOMPARE(QString::fromStdString(j["crop"].get<std::string>()), QStringLiteral("detected"));
        QCOMPARE(QString::fromStdString(j["detector"].get<std::string>()), QStringLiteral("face-api"));
        QCOMPARE(static_cast<int>(j["landmarks"].size()), 68);
        QVERIFY(j["detection_score"].get<double>() >= 0.5);
        QCOMPARE(static_cast<int>(j["results"].size()), 10);
    }
};

QTEST_GUILESS_MAIN(TestMatch)
#include "test_match.moc"
