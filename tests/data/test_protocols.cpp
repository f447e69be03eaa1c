// CaVI and WebCaricature on disk: layouts with their quirks, pair lists, folds, protocol
// splits, 17-point landmarks and the two face crops. Fixture trees are generated per run.
#include "fixture_trees.h"

#include "data/carisynth.h"
#include "data/cavi_protocol.h"
#include "data/dataset_registry.h"
#include "data/image_pipeline.h"
#include "data/protocol_split.h"
#include "data/webcari_landmarks.h"
#include "data/webcari_protocol.h"
#include "run/run_directory.h"
#include "run/run_evaluation.h"
#include "run/train_config.h"
#include "run/training_data.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include <QtTest/QtTest>

using namespace carilab::data;
using carilab::test::CaviFixture;
using carilab::test::WebcariFixture;

namespace {

QStringList qList(const std::vector<std::string>& v)
{
    QStringList out;
    for (const auto& s : v) out << QString::fromStdString(s);
    return out;
}

bool anyContains(const std::vector<std::string>& v, const std::string& needle)
{
    return std::any_of(v.begin(), v.end(), [&](const std::string& s) { return s.find(needle) != std::string::npos; });
}

void writeFile(const std::string& path, const std::string& text)
{
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

}  // namespace

class TestProtocols : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;
    CaviFixture cavi_;
    WebcariFixture web_;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(tmp_.isValid());
        cavi_ = carilab::test::makeCaviFixture(tmp_.path());
        web_ = carilab::test::makeWebcariFixture(tmp_.path());
    }

    void protocolPaths_data()
    {
        QTest::addColumn<QString>("in");
        QTest::addColumn<QString>("out");  // empty: refused
        QTest::newRow("backslash") << "Caricature/A_B\\A_B_c_1.jpg"
                                   << "Caricature/A_B/A_B_c_1.jpg";
        QTest::newRow("dot segments") << "./Real//x\\.\\y.jpg"
                                      << "Real/x/y.jpg";
        QTest::newRow("parent") << "../secret.jpg"
                                << "";
        QTest::newRow("parent inside") << "Real/a/../../../etc/passwd"
                                       << "";
        QTest::newRow("windows parent") << "Real\\..\\..\\x.jpg"
                                        << "";
        QTest::newRow("absolute") << "/etc/passwd"
                                  << "";
        QTest::newRow("drive") << "C:\\data\\x.jpg"
                               << "";
        QTest::newRow("empty") << ""
                               << "";
    }
    void protocolPaths()
    {
        QFETCH(QString, in);
        QFETCH(QString, out);
        const auto r = normaliseProtocolPath(in.toStdString());
        QCOMPARE(r.has_value(), !out.isEmpty());
        if (r) QCOMPARE(QString::fromStdString(*r), out);
    }

    void caviLayout()
    {
        QCOMPARE(QString::fromStdString(detectDatasetFormat(cavi_.root.toStdString())), QString("cavi"));
        // The CaVI_Dataset folder itself is accepted too.
        QCOMPARE(QString::fromStdString(detectDatasetFormat((cavi_.root + "/CaVI_Dataset").toStdString())), QString("cavi"));
        const auto index = loadDataset(cavi_.root.toStdString());
        QCOMPARE(index.format, std::string("cavi"));
        QCOMPARE(static_cast<int>(index.identities.size()), cavi_.identities);  // lower-case Real/ folder merged, not a new identity
        QCOMPARE(index.count(Modality::Caricature), 6 * 5);
        QCOMPARE(index.count(Modality::Photo), 5 * 5);
        QVERIFY(anyContains(index.warnings, "'Person_Alpha' and 'person_alpha' matched case-insensitively"));
        QVERIFY(anyContains(index.warnings, "'Person_Foxtrot' has caricatures only"));
        int thumbs = 0;
        for (const auto& s : index.skipped) thumbs += s.path.find("Thumbs.db") != std::string::npos;
        QCOMPARE(thumbs, cavi_.thumbs);
        const bool odd = std::any_of(index.images.begin(), index.images.end(),
                                     [](const ImageRecord& r) { return r.path.find("_c_1(1).jpg") != std::string::npos; });
        QVERIFY(odd);
        QVERIFY(!index.protocolRoot.empty());
        // Both sides of Person_Alpha are one identity.
        std::set<int> alpha;
        for (const auto& r : index.images)
            if (QString::fromStdString(r.path).contains("erson_alpha", Qt::CaseInsensitive)) alpha.insert(r.identity);
        QCOMPARE(static_cast<int>(alpha.size()), 1);
    }

    void caviPairs()
    {
        const auto index = loadDataset(cavi_.root.toStdString(), "cavi");
        const std::string file = findCaviPairList(index, "testing_1");
        const auto p = readCaviPairs(index, file, 10, 1);
        QCOMPARE(static_cast<int>(p.pairCount()), cavi_.goodPairs);
        QCOMPARE(static_cast<int>(p.issues.size()), cavi_.badPairLines);
        std::vector<std::string> msgs;
        for (const auto& i : p.issues) {
            QVERIFY(i.line > 0);
            QVERIFY(i.where().find("testing_1.txt:") != std::string::npos);
            msgs.push_back(i.message);
        }
        QVERIFY(anyContains(msgs, "is not in the dataset"));
        QVERIFY(anyContains(msgs, "found 3 fields"));
        QVERIFY(anyContains(msgs, "unknown identity"));
        QVERIFY(anyContains(msgs, "leaves the dataset folder; refused"));
        QVERIFY(anyContains(msgs, "label '2'"));
        // Ten folds of nearly equal size; the sorted list is shuffled, so no fold is all one class.
        QCOMPARE(static_cast<int>(p.folds.size()), 10);
        size_t lo = SIZE_MAX, hi = 0;
        for (const auto& f : p.folds) {
            lo = std::min(lo, f.size());
            hi = std::max(hi, f.size());
            int pos = 0;
            for (const auto& x : f) {
                pos += x.same;
                QCOMPARE(index.images[static_cast<size_t>(x.caricature)].modality, Modality::Caricature);
                QCOMPARE(index.images[static_cast<size_t>(x.photo)].modality, Modality::Photo);
                QCOMPARE(x.same, index.images[static_cast<size_t>(x.caricature)].identity == index.images[static_cast<size_t>(x.photo)].identity);
            }
            QVERIFY(pos > 0 && pos < static_cast<int>(f.size()));
        }
        QVERIFY(hi - lo <= 1);
        // Reproducible from the seed, different with another.
        const auto again = readCaviPairs(index, file, 10, 1), other = readCaviPairs(index, file, 10, 2);
        QCOMPARE(again.folds[0][0].caricature, p.folds[0][0].caricature);
        QCOMPARE(again.folds[0][0].photo, p.folds[0][0].photo);
        bool differs = false;
        for (size_t k = 0; k < p.folds[0].size(); ++k)
            differs |= other.folds[0][k].caricature != p.folds[0][k].caricature || other.folds[0][k].photo != p.folds[0][k].photo;
        QVERIFY(differs);
        // validation.txt by name; an unknown list names the folders searched.
        QVERIFY(readCaviPairs(index, findCaviPairList(index, "validation")).pairCount() > 0);
        QVERIFY_THROWS_EXCEPTION(std::runtime_error, findCaviPairList(index, "training_11"));
    }

    void caviProtocolSplit()
    {
        const auto index = loadDataset(cavi_.root.toStdString());
        QVERIFY(hasProtocolSplit(index));
        const auto s = protocolSplit(index);
        const auto testImages = imagesOf(readCaviPairs(index, findCaviPairList(index, "testing_1")));
        QCOMPARE(s.test, testImages);
        std::set<int> train(s.train.begin(), s.train.end());
        for (int t : s.test) QVERIFY(!train.count(t));
        // validation.txt's images are held out for model selection: neither trained on nor test.
        QVERIFY(!s.validation.empty());
        for (int v : s.validation) QVERIFY(!train.count(v) && !std::binary_search(s.test.begin(), s.test.end(), v));
        const auto validationImages = imagesOf(readCaviPairs(index, findCaviPairList(index, "validation")));
        for (int v : validationImages) QVERIFY(!train.count(v));
        QCOMPARE(s.train.size() + s.test.size() + s.validation.size(), index.images.size());
    }

    // Refit: the protocol split with validation's images trained on; still no test image, and
    // nothing left to select on (the trainer holds nothing out: see caviRefitHoldsNothingOut).
    void caviRefitSplit()
    {
        const auto index = loadDataset(cavi_.root.toStdString());
        const auto p = protocolSplit(index);
        const auto s = protocolRefitSplit(index);
        QCOMPARE(s.test, p.test);
        QVERIFY(s.validation.empty());
        std::vector<int> expect = p.train;
        expect.insert(expect.end(), p.validation.begin(), p.validation.end());
        std::sort(expect.begin(), expect.end());
        QCOMPARE(s.train, expect);
        for (int t : s.test) QVERIFY(!std::binary_search(s.train.begin(), s.train.end(), t));
        QVERIFY_THROWS_EXCEPTION(std::runtime_error, protocolRefitSplit(loadDataset(cavi_.root.toStdString(), "folder")));
    }

    void caviRefitHoldsNothingOut()
    {
        QTemporaryDir tmp;
        carilab::run::TrainConfig c;
        c.dataset = cavi_.root.toStdString();
        c.split = carilab::run::SplitKind::Refit;
        const auto dir = carilab::run::RunDirectory::create((tmp.path() + "/run").toStdString(), carilab::run::toJson(c));
        const auto d = carilab::run::loadTrainingData(c, dir, [](const std::string&) {});
        QCOMPARE(QString::fromLatin1(carilab::run::splitKindName(d.splitKind)), QStringLiteral("refit"));
        QVERIFY(d.heldOut.empty());
        QCOMPARE(QString::fromStdString(d.heldOutName), QStringLiteral("none"));
        QCOMPARE(d.split.train.size() + d.split.test.size(), d.index->images.size());
    }

    // The official code's split: every 20th pair of testing_1 in file order is test, every other
    // image of the list's identities is trained on.
    void caviOfficialSplit()
    {
        const auto index = loadDataset(cavi_.root.toStdString());
        const auto s = officialCaviSplit(index);
        const auto pairs = readCaviPairsInFileOrder(index, findCaviPairList(index, "testing_1"));
        std::set<int> expectTest, ids;
        for (size_t k = 0; k < pairs.size(); ++k) {
            ids.insert(index.images[static_cast<size_t>(pairs[k].caricature)].identity);
            if (k % 20 == 0) expectTest.insert({pairs[k].caricature, pairs[k].photo});
        }
        QCOMPARE(std::set<int>(s.test.begin(), s.test.end()), expectTest);
        QVERIFY(s.validation.empty());
        for (int t : s.train) {
            QVERIFY(!expectTest.count(t));
            QVERIFY(ids.count(index.images[static_cast<size_t>(t)].identity));
        }
        QVERIFY(!s.train.empty());
        QVERIFY_THROWS_EXCEPTION(std::runtime_error, officialCaviSplit(loadDataset(cavi_.root.toStdString(), "folder")));
    }

    void landmarks17_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("error");  // empty: must parse
        QString ok, sci, crlf;
        for (int i = 0; i < 17; ++i) {
            ok += QString("%1 %2\n").arg(10 + i).arg(20 + 2 * i);
            sci += QString("%1 %2\n").arg(QString::number(10 + i, 'e', 5)).arg(QString::number(20 + 2 * i, 'e', 5));
            crlf += QString("%1.000 %2.000\r\n").arg(10 + i).arg(20 + 2 * i);
        }
        QTest::newRow("plain") << ok << "";
        QTest::newRow("scientific") << sci << "";
        QTest::newRow("crlf") << crlf << "";
        QString sixteen = ok.section('\n', 0, 15) + "\n";
        QTest::newRow("16 points") << sixteen << ":16: 16 points, expected 17";
        QString word = ok;
        word.replace("12 24", "12 abc");
        QTest::newRow("not a number") << word << ":3: expected two numbers";
    }
    void landmarks17()
    {
        QFETCH(QString, text);
        QFETCH(QString, error);
        const std::string file = (tmp_.path() + "/lm17.txt").toStdString();
        writeFile(file, text.toStdString());
        if (!error.isEmpty()) {
            try {
                readLandmarks17(file);
                QFAIL("accepted a bad landmark file");
            } catch (const std::runtime_error& e) {
                QVERIFY2(QString(e.what()).contains(error), e.what());
                QVERIFY(QString(e.what()).contains("lm17.txt"));
            }
            return;
        }
        const auto p = readLandmarks17(file);
        QCOMPARE(p[16].x, 26.f);
        QCOMPARE(p[16].y, 52.f);
        const auto l5 = landmarks5From17(p);
        QCOMPARE(l5[0].x, (18.f + 19.f) / 2.f);  // points 9-10
        QCOMPARE(l5[1].x, (20.f + 21.f) / 2.f);  // points 11-12
        QCOMPARE(l5[2].x, 22.f);  // point 13
        QCOMPARE(l5[3].x, 24.f);  // point 15
        QCOMPARE(l5[4].x, 26.f);  // point 17
        // Official box: bbox x 10..26, y 20..52 -> w 16*1.5 = 24, h 32*1.2 = 38.4 about (18, 36).
        const auto b = officialFaceBox(p);
        QCOMPARE(b.width, 24.f);
        QVERIFY(std::abs(b.height - 38.4f) < 1e-4f);
        QCOMPARE(b.x, 6.f);
        QVERIFY(std::abs(b.y - (36.f - 19.2f)) < 1e-4f);
    }

    void mirroredAnnotationIsOrdered()
    {
        Landmarks17 p{};
        p[8] = {80, 40};
        p[9] = {90, 40};  // "left eye" on the image's right
        p[10] = {30, 40};
        p[11] = {40, 40};
        p[14] = {70, 90};
        p[16] = {40, 90};
        const auto l5 = landmarks5From17(p);
        QVERIFY(l5[0].x < l5[1].x);
        QVERIFY(l5[3].x < l5[4].x);
    }

    void boxCrop()
    {
        // A red rectangle exactly where the box is: the box crop must be red all over, and a
        // box running off the image is clamped (the official crop), not padded.
        cv::Mat img(200, 300, CV_8UC3, cv::Scalar(0, 0, 255));
        cv::rectangle(img, cv::Rect(100, 50, 60, 80), cv::Scalar(255, 0, 0), cv::FILLED);
        PipelineOptions o;
        o.size = 64;
        o.cropToBox = true;
        const cv::Mat crop = cropFace(img, std::nullopt, o, nullptr, FaceBox{100, 50, 60, 80});
        QCOMPARE(crop.cols, 64);
        // Pixel centres map to pixel centres, so the outermost ring blends a few percent of the
        // neighbour; everything inside it is pure.
        const cv::Rect inner(1, 1, 62, 62);
        cv::Mat red;
        cv::inRange(crop(inner), cv::Scalar(250, 0, 0), cv::Scalar(255, 5, 5), red);
        QCOMPARE(cv::countNonZero(red), 62 * 62);
        cv::inRange(crop, cv::Scalar(200, 0, 0), cv::Scalar(255, 55, 55), red);
        QCOMPARE(cv::countNonZero(red), 64 * 64);
        const cv::Mat clamped = cropFace(img, std::nullopt, o, nullptr, FaceBox{250, -40, 100, 100});
        cv::Mat blue;
        cv::inRange(clamped, cv::Scalar(0, 0, 250), cv::Scalar(5, 5, 255), blue);
        QCOMPARE(cv::countNonZero(blue), 64 * 64);
        // Without the option the box is ignored and the whole image is used.
        o.cropToBox = false;
        const cv::Mat whole = cropFace(img, std::nullopt, o, nullptr, FaceBox{100, 50, 60, 80});
        cv::inRange(whole, cv::Scalar(250, 0, 0), cv::Scalar(255, 5, 5), red);
        QVERIFY(cv::countNonZero(red) < 64 * 64 / 4);
    }

    void webcariLayout()
    {
        QCOMPARE(QString::fromStdString(detectDatasetFormat(web_.root.toStdString())), QString("webcaricature"));
        const auto index = loadDataset(web_.root.toStdString());
        QCOMPARE(static_cast<int>(index.identities.size()), web_.subjects);
        QCOMPARE(QString::fromStdString(index.identities[0]), QString("Subject 00"));  // spaces kept
        QCOMPARE(index.count(Modality::Caricature), web_.subjects * 4);
        QCOMPARE(index.count(Modality::Photo), web_.subjects * 4);
        int withLm = 0, withBox = 0;
        for (const auto& r : index.images) {
            withLm += r.landmarks.has_value();
            withBox += r.box.has_value();
        }
        QCOMPARE(withLm, static_cast<int>(index.images.size()) - web_.badLandmarkFiles - web_.missingLandmarkFiles);
        QCOMPARE(withBox, withLm);
        QVERIFY(anyContains(index.warnings, "Subject 03/C00001.txt:16: 16 points, expected 17"));
        QVERIFY(anyContains(index.warnings, "1 image(s) have no FacialPoints file"));
        // The 5 points land on the synthetic eyes: eye centres are the means of points 9-10 / 11-12.
        for (const auto& r : index.images)
            if (r.landmarks) {
                QVERIFY((*r.landmarks)[0].x < (*r.landmarks)[1].x);
                QVERIFY(r.box->width > 0 && r.box->height > 0);
            }
    }

    void webcariRestricted()
    {
        const auto index = loadDataset(web_.root.toStdString());
        const auto v1 = readWebcariVerification(index, WebcariVerification::Restricted, 1);
        QCOMPARE(static_cast<int>(v1.folds.size()), 1);
        QCOMPARE(static_cast<int>(v1.tuning.size()), 10 * 2 * 2);
        QCOMPARE(static_cast<int>(v1.folds[0].size()), 10 * 2 * 2);
        QVERIFY(v1.issues.empty());
        const auto v2 = readWebcariVerification(index, WebcariVerification::Restricted, 2);
        QCOMPARE(static_cast<int>(v2.folds.size()), 10);
        QCOMPARE(static_cast<int>(v2.folds[0].size()), 8 - web_.restrictedView2Bad);
        for (size_t f = 1; f < 10; ++f) QCOMPARE(static_cast<int>(v2.folds[f].size()), 8);
        QCOMPARE(static_cast<int>(v2.issues.size()), web_.restrictedView2Bad);
        std::vector<std::string> msgs;
        for (const auto& i : v2.issues) {
            QVERIFY2(i.where().find("RestrictedView2.txt:") != std::string::npos, i.where().c_str());
            msgs.push_back(i.message);
        }
        QVERIFY(anyContains(msgs, "unknown identity 'Nobody Known'"));
        QVERIFY(anyContains(msgs, "Subject 00/C00077' is not in the dataset"));
        int pos = 0;
        for (const auto& x : v2.folds[3]) pos += x.same;
        QCOMPARE(pos, 4);
    }

    void webcariUnrestricted()
    {
        const auto index = loadDataset(web_.root.toStdString());
        const auto v2 = readWebcariVerification(index, WebcariVerification::Unrestricted, 2);
        QCOMPARE(static_cast<int>(v2.folds.size()), 10);
        for (const auto& f : v2.folds) {
            QCOMPARE(static_cast<int>(f.size()), 8 * 8);  // every caricature x every photo of the fold's two subjects
            int pos = 0;
            for (const auto& x : f) pos += x.same;
            QCOMPARE(pos, 2 * 4 * 4);
        }
        const auto v1 = readWebcariVerification(index, WebcariVerification::Unrestricted, 1);
        QCOMPARE(static_cast<int>(v1.tuning.size()), 40 * 40);
        QCOMPARE(static_cast<int>(v1.folds[0].size()), 40 * 40);
    }

    void webcariIdentification()
    {
        const auto index = loadDataset(web_.root.toStdString());
        const auto c2p = readWebcariIdentification(index, WebcariDirection::C2P, 2);
        QCOMPARE(static_cast<int>(c2p.folds.size()), 10);
        for (const auto& f : c2p.folds) {
            QCOMPARE(static_cast<int>(f.gallery.size()), 10);
            QCOMPARE(static_cast<int>(f.probe.size()), 40);
            for (int g : f.gallery) QCOMPARE(index.images[static_cast<size_t>(g)].modality, Modality::Photo);
            for (int p : f.probe) QCOMPARE(index.images[static_cast<size_t>(p)].modality, Modality::Caricature);
        }
        QVERIFY(c2p.issues.empty());
        const auto p2c = readWebcariIdentification(index, WebcariDirection::P2C, 1);
        QCOMPARE(static_cast<int>(p2c.folds.size()), 1);
        QCOMPARE(QString::fromStdString(p2c.folds[0].name), QString("dev"));
        for (int g : p2c.folds[0].gallery) QCOMPARE(index.images[static_cast<size_t>(g)].modality, Modality::Caricature);
        QCOMPARE(static_cast<int>(readWebcariTrainSubjects(index, "_dev", nullptr).size()), 10);
    }

    void webcariProtocolSplit()
    {
        const auto index = loadDataset(web_.root.toStdString());
        const auto s = protocolSplit(index);
        std::set<int> test(s.test.begin(), s.test.end());
        for (int t : s.train) QVERIFY(!test.count(t));
        std::set<std::string> trainSubjects, testSubjects;
        for (int t : s.train) trainSubjects.insert(index.identities[static_cast<size_t>(index.images[static_cast<size_t>(t)].identity)]);
        for (int t : s.test) testSubjects.insert(index.identities[static_cast<size_t>(index.images[static_cast<size_t>(t)].identity)]);
        QCOMPARE(static_cast<int>(trainSubjects.size()), 10);
        QVERIFY(trainSubjects.count("Subject 00") && testSubjects.count("Subject 19"));
    }

    void brokenProtocolFiles()
    {
        // A copy of the WebCaricature fixture with a damaged View 2 header and a short file.
        const std::string root = (tmp_.path() + "/webcari-broken").toStdString();
        std::filesystem::copy(web_.root.toStdString(), root, std::filesystem::copy_options::recursive);
        const std::string v2 = root + "/EvaluationProtocols/FaceVerification/Restricted/RestrictedView2.txt";
        writeFile(v2, "ten\nSubject 00\tC00001\tP00001\n");
        const auto index = loadDataset(root);
        try {
            readWebcariVerification(index, WebcariVerification::Restricted, 2);
            QFAIL("a View 2 file without a pair count was accepted");
        } catch (const std::runtime_error& e) {
            QVERIFY2(QString(e.what()).contains("RestrictedView2.txt:1: expected the pair count"), e.what());
        }
        writeFile(v2, "3\nSubject 00\tC00001\tP00001\n");
        const auto p = readWebcariVerification(index, WebcariVerification::Restricted, 2);
        QVERIFY(std::any_of(p.issues.begin(), p.issues.end(), [](const ProtocolIssue& i) { return i.message.find("early") != std::string::npos; }));
        QVERIFY(std::any_of(p.issues.begin(), p.issues.end(),
                            [](const ProtocolIssue& i) { return i.message.find("expected 10 fold(s), found 1") != std::string::npos; }));
        // A missing protocol file is named.
        std::filesystem::remove(root + "/EvaluationProtocols/FaceIdentification/C2P/FR_Probe_C2P3.txt");
        try {
            readWebcariIdentification(index, WebcariDirection::C2P, 2);
            QFAIL("a missing probe list was not reported");
        } catch (const std::runtime_error& e) {
            QVERIFY2(QString(e.what()).contains("FR_Probe_C2P3.txt: protocol file not found"), e.what());
        }
    }

    // What the Evaluation tab offers: only the protocols whose files the dataset has, and
    // "images" for every dataset.
    void fittingProtocols()
    {
        using carilab::run::fittingProtocols;
        const std::string cavi = carilab::test::makeCaviFixture(tmp_.filePath(QStringLiteral("fit-cavi"))).root.toStdString();
        auto f = fittingProtocols(cavi);
        QCOMPARE(qList(f.protocols), (QStringList{"cavi", "images"}));
        QCOMPARE(qList(f.caviPairLists), (QStringList{"testing_1", "validation"}));
        std::filesystem::remove(cavi + "/train-test-files/validation.txt");
        f = fittingProtocols(cavi, "cavi");
        QCOMPARE(qList(f.protocols), (QStringList{"cavi", "images"}));
        QCOMPARE(qList(f.caviPairLists), QStringList{"testing_1"});
        std::filesystem::remove(cavi + "/train-test-files/testing_1.txt");
        f = fittingProtocols(cavi, "cavi");
        QCOMPARE(qList(f.protocols), QStringList{"images"});
        QVERIFY(f.caviPairLists.empty());

        f = fittingProtocols(web_.root.toStdString());
        QCOMPARE(qList(f.protocols), (QStringList{"webcari-restricted", "webcari-unrestricted", "webcari-c2p", "webcari-p2c", "images"}));
        QVERIFY(f.caviPairLists.empty());

        CariSynthOptions o;
        o.identities = 3;
        o.photosPerIdentity = 2;
        o.caricaturesPerIdentity = 2;
        o.size = 64;
        const auto synth = generateCariSynth(tmp_.filePath(QStringLiteral("fit-synth")).toStdString(), o);
        f = fittingProtocols(synth.root);
        QCOMPARE(qList(f.protocols), QStringList{"images"});
        // A folder that is no dataset is refused with the loader's message, not offered "images".
        QVERIFY_THROWS_EXCEPTION(std::runtime_error, fittingProtocols(tmp_.filePath(QStringLiteral("no-such-dataset")).toStdString()));
    }
};

QTEST_GUILESS_MAIN(TestProtocols)
#include "test_protocols.moc"
