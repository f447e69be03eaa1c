// Indexing dataset folders, summaries, splits, and the batch loader on generated fixtures.
#include "data/batch_loader.h"
#include "data/dataset_registry.h"
#include "data/dataset_summary.h"
#include "data/folder_format.h"
#include "data/image_cache.h"
#include "data/splits.h"
#include "io/thread_priority.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>

#include <QtTest/QtTest>

using namespace carilab::data;

namespace {

cv::Mat face(int size, int seed)
{
    cv::Mat m(size, size, CV_8UC3);
    cv::RNG rng(static_cast<std::uint64_t>(seed) + 1);
    rng.fill(m, cv::RNG::UNIFORM, 0, 256);
    cv::circle(m, {size / 2, size / 2}, size / 3, cv::Scalar(seed * 37 % 256, 180, 90), cv::FILLED);
    return m;
}

void writeText(const QString& path, const std::string& text)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    std::ofstream out(path.toStdString(), std::ios::binary | std::ios::trunc);
    out << text;
}

void writeImage(const QString& path, int size, int seed)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    if (!cv::imwrite(path.toStdString(), face(size, seed))) qFatal("cannot write %s", qPrintable(path));
}

void writeTruncated(const QString& path, const std::string& ext, int seed)
{
    std::vector<unsigned char> b;
    cv::imencode(ext, face(64, seed), b);
    b.resize(b.size() / 2);
    writeText(path, std::string(b.begin(), b.end()));
}

// <root>/<id>/{photo,caricature}/<n>.png for each (id, photos, caricatures).
void makeTree(const QString& root, const std::vector<std::tuple<QString, int, int>>& ids, int size = 48)
{
    int seed = 0;
    for (const auto& [id, photos, caricatures] : ids) {
        for (int i = 0; i < photos; ++i) writeImage(QStringLiteral("%1/%2/photo/p%3.png").arg(root, id).arg(i), size, ++seed);
        for (int i = 0; i < caricatures; ++i) writeImage(QStringLiteral("%1/%2/caricature/c%3.png").arg(root, id).arg(i), size, ++seed);
    }
}

std::string lmRow(const std::string& rel, float base)
{
    std::string s = rel;
    for (int i = 0; i < 10; ++i) s += "," + std::to_string(base + static_cast<float>(i));
    return s + "\n";
}

const ImageRecord* findRecord(const DatasetIndex& idx, const std::string& rel)
{
    for (const auto& r : idx.images)
        if (r.path == rel) return &r;
    return nullptr;
}

bool anyContains(const std::vector<std::string>& v, const std::string& a, const std::string& b = {})
{
    return std::any_of(v.begin(), v.end(), [&](const std::string& s) { return s.find(a) != std::string::npos && s.find(b) != std::string::npos; });
}

QString joined(const std::vector<std::string>& v)
{
    QStringList l;
    for (const auto& s : v) l << QString::fromStdString(s);
    return l.join(QStringLiteral(" | "));
}

// An in-memory index (no files): identity i has 1 + i%4 photos and i%3 caricatures.
DatasetIndex syntheticIndex(int identities)
{
    DatasetIndex idx;
    idx.root = "/nowhere";
    idx.format = "folder";
    for (int i = 0; i < identities; ++i) {
        idx.identities.push_back("id" + std::to_string(i));
        for (int m = 0; m < 2; ++m) {
            const int n = m == 0 ? 1 + i % 4 : i % 3;
            for (int k = 0; k < n; ++k) {
                ImageRecord r;
                r.path = idx.identities.back() + (m ? "/caricature/" : "/photo/") + std::to_string(k) + ".png";
                r.identity = i;
                r.modality = m ? Modality::Caricature : Modality::Photo;
                idx.images.push_back(r);
            }
        }
    }
    return idx;
}

void checkPartition(const Split& s, size_t total)
{
    std::vector<int> all = s.train;
    all.insert(all.end(), s.test.begin(), s.test.end());
    std::sort(all.begin(), all.end());
    QCOMPARE(all.size(), total);
    for (size_t i = 0; i < all.size(); ++i) QCOMPARE(all[i], static_cast<int>(i));  // disjoint and complete
}

}  // namespace

class TestDatasetIndex final : public QObject {
    Q_OBJECT

    QTemporaryDir tmp_;
    QString mixedRoot_;  // the fixture with every kind of oddity

private Q_SLOTS:
    void initTestCase();

    void loadsFolderLayout();
    void skipsBadFilesWithReasons_data();
    void skipsBadFilesWithReasons();
    void warnsAboutIncompleteIdentities();
    void attachesLandmarks();
    void summaryNumbers();
    void unusableRoots_data();
    void unusableRoots();
    void brokenLandmarksAreAWarning_data();
    void brokenLandmarksAreAWarning();
    void formatRegistry();

    void imageSplit_data();
    void imageSplit();
    void identitySplit_data();
    void identitySplit();
    void splitEdgeCases();

    void batchShapesAndLabels();
    void loaderThreadsYieldToTraining();
    void batchesAreDeterministic();
    void epochIsAPermutation();
    void corruptFileIsReplaced();
    void allCorruptThrows();
};

void TestDatasetIndex::initTestCase()
{
    QVERIFY(tmp_.isValid());
    mixedRoot_ = tmp_.filePath(QStringLiteral("mixed"));
    const QString r = mixedRoot_;
    // Identities written out of order and with mixed case: the index sorts them bytewise.
    makeTree(r, {{"carol", 2, 0}, {"bob", 1, 4}, {"alice", 3, 2}, {"Zoe", 1, 1}});
    writeImage(r + "/alice/caricature/c9.JPG", 40, 99);  // upper-case extension is fine
    writeImage(r + "/dave/p0.png", 48, 100);  // no modality subfolders
    writeImage(r + "/erin/photos_old/p0.png", 48, 101);  // unknown subfolder name only
    writeText(r + "/alice/photo/notes.txt", "remember to crop\n");
    writeText(r + "/alice/caricature/Thumbs.db", std::string(64, '\x01'));
    QDir().mkpath(r + "/alice/photo/sub");
    writeText(r + "/bob/photo/empty.jpg", "");
    writeTruncated(r + "/bob/photo/half.jpg", ".jpg", 5);
    writeTruncated(r + "/bob/photo/half.png", ".png", 6);
    writeText(r + "/bob/caricature/text.jpg", "this is text pretending to be a jpeg\n");
    writeText(r + "/README.md", "a stray file at the root\n");
    // All of fred's images are bad: he must not become an identity.
    writeText(r + "/fred/photo/zero.png", "");
    writeText(r + "/" + QString::fromLatin1(kLandmarksFileName),
              "image,lx,ly,rx,ry,nx,ny,mlx,mly,mrx,mry\n" + lmRow("alice/photo/p0.png", 10) + lmRow("alice/caricature/c1.png", 20) +
                  lmRow("bob/caricature/c3.png", 30) + lmRow("ghost/photo/p0.png", 40));
}

void TestDatasetIndex::loadsFolderLayout()
{
    const DatasetIndex idx = loadDataset(mixedRoot_.toStdString());
    QCOMPARE(idx.format, std::string("folder"));
    QCOMPARE(QString::fromStdString(idx.root), QFileInfo(mixedRoot_).canonicalFilePath());
    QCOMPARE(idx.identities, (std::vector<std::string>{"Zoe", "alice", "bob", "carol"}));
    QCOMPARE(idx.count(Modality::Photo), 1 + 3 + 1 + 2);
    QCOMPARE(idx.count(Modality::Caricature), 1 + 3 + 4 + 0);
    const auto counts = idx.countsPerIdentity();
    QCOMPARE(counts.size(), size_t(4));
    QCOMPARE(counts[0], (std::array<int, 2>{1, 1}));
    QCOMPARE(counts[1], (std::array<int, 2>{3, 3}));
    QCOMPARE(counts[2], (std::array<int, 2>{1, 4}));
    QCOMPARE(counts[3], (std::array<int, 2>{2, 0}));
    for (const auto& r : idx.images) {
        // Paths are root-relative, '/'-separated, under the identity and modality they claim.
        QVERIFY2(!std::filesystem::path(r.path).is_absolute(), r.path.c_str());
        const std::string prefix = idx.identities[static_cast<size_t>(r.identity)] + "/" + modalityName(r.modality) + "/";
        QVERIFY2(r.path.rfind(prefix, 0) == 0, r.path.c_str());
        QVERIFY2(QFileInfo::exists(QString::fromStdString(idx.absolutePath(r))), r.path.c_str());
    }
    QVERIFY(findRecord(idx, "alice/caricature/c9.JPG"));
    // The explicit format name gives the same index.
    const DatasetIndex byName = loadDataset(mixedRoot_.toStdString(), "folder");
    QCOMPARE(byName.images.size(), idx.images.size());
    QCOMPARE(byName.identities, idx.identities);
}

void TestDatasetIndex::skipsBadFilesWithReasons_data()
{
    QTest::addColumn<QString>("rel");
    QTest::addColumn<QString>("reasonPart");
    QTest::newRow("notes.txt") << "alice/photo/notes.txt"
                               << "not an image";
    QTest::newRow("Thumbs.db") << "alice/caricature/Thumbs.db"
                               << "not an image";
    QTest::newRow("subfolder") << "alice/photo/sub"
                               << "folder";
    QTest::newRow("zero-byte") << "bob/photo/empty.jpg"
                               << "empty";
    QTest::newRow("truncated-jpg") << "bob/photo/half.jpg"
                                   << "truncated";
    QTest::newRow("truncated-png") << "bob/photo/half.png"
                                   << "truncated";
    QTest::newRow("text-as-jpg") << "bob/caricature/text.jpg"
                                 << "not an image";
    QTest::newRow("all-bad-identity") << "fred/photo/zero.png"
                                      << "empty";
}

void TestDatasetIndex::skipsBadFilesWithReasons()
{
    QFETCH(QString, rel);
    QFETCH(QString, reasonPart);
    const DatasetIndex idx = loadDataset(mixedRoot_.toStdString());
    QCOMPARE(idx.skipped.size(), size_t(8));
    const auto it = std::find_if(idx.skipped.begin(), idx.skipped.end(), [&](const SkippedFile& s) { return s.path == rel.toStdString(); });
    QVERIFY2(it != idx.skipped.end(), qPrintable(rel + " not in skipped"));
    QVERIFY2(QString::fromStdString(it->reason).contains(reasonPart, Qt::CaseInsensitive), it->reason.c_str());
    QVERIFY(!findRecord(idx, rel.toStdString()));
}

void TestDatasetIndex::warnsAboutIncompleteIdentities()
{
    const DatasetIndex idx = loadDataset(mixedRoot_.toStdString());
    QVERIFY2(anyContains(idx.warnings, "'carol'", "photos only"), qPrintable(joined(idx.warnings)));
    QVERIFY2(anyContains(idx.warnings, "'dave'", "no usable images"), qPrintable(joined(idx.warnings)));
    QVERIFY2(anyContains(idx.warnings, "'erin'", "no usable images"), qPrintable(joined(idx.warnings)));
    QVERIFY2(anyContains(idx.warnings, "'fred'", "no usable images"), qPrintable(joined(idx.warnings)));
    QVERIFY2(!anyContains(idx.warnings, "'alice'"), qPrintable(joined(idx.warnings)));
    QCOMPARE(idx.warnings.size(), size_t(4));
    // carol is still indexed; dave, erin and fred are not identities.
    QVERIFY(std::count(idx.identities.begin(), idx.identities.end(), "carol") == 1);
    for (const char* gone : {"dave", "erin", "fred"}) QVERIFY(std::count(idx.identities.begin(), idx.identities.end(), gone) == 0);
}

void TestDatasetIndex::attachesLandmarks()
{
    const DatasetIndex idx = loadDataset(mixedRoot_.toStdString());
    int with = 0;
    for (const auto& r : idx.images) with += r.landmarks.has_value();
    QCOMPARE(with, 3);  // the ghost row matches no image
    const std::vector<std::pair<std::string, float>> expected = {
        {"alice/photo/p0.png", 10.f}, {"alice/caricature/c1.png", 20.f}, {"bob/caricature/c3.png", 30.f}};
    for (const auto& [rel, base] : expected) {
        const ImageRecord* r = findRecord(idx, rel);
        QVERIFY2(r && r->landmarks, rel.c_str());
        for (int i = 0; i < 5; ++i) {
            QCOMPARE((*r->landmarks)[static_cast<size_t>(i)].x, base + 2.f * static_cast<float>(i));
            QCOMPARE((*r->landmarks)[static_cast<size_t>(i)].y, base + 2.f * static_cast<float>(i) + 1.f);
        }
    }
    QVERIFY(!findRecord(idx, "alice/photo/p1.png")->landmarks);
}

void TestDatasetIndex::summaryNumbers()
{
    const DatasetIndex idx = loadDataset(mixedRoot_.toStdString());
    const nlohmann::json s = summarizeDataset(idx);
    QCOMPARE(s["format"].get<std::string>(), std::string("folder"));
    QCOMPARE(s["root"].get<std::string>(), idx.root);
    QCOMPARE(s["identities"].get<int>(), 4);
    QCOMPARE(s["images"].get<int>(), 15);
    QCOMPARE(s["photos"].get<int>(), 7);
    QCOMPARE(s["caricatures"].get<int>(), 8);
    QCOMPARE(s["with_landmarks"].get<int>(), 3);
    QCOMPARE(s["identities_with_both"].get<int>(), 3);
    QCOMPARE(s["per_identity"]["photo"]["min"].get<int>(), 1);
    QCOMPARE(s["per_identity"]["photo"]["max"].get<int>(), 3);
    QCOMPARE(s["per_identity"]["photo"]["mean"].get<double>(), 7.0 / 4.0);
    QCOMPARE(s["per_identity"]["caricature"]["min"].get<int>(), 0);
    QCOMPARE(s["per_identity"]["caricature"]["max"].get<int>(), 4);
    QCOMPARE(s["per_identity"]["caricature"]["mean"].get<double>(), 2.0);
    QCOMPARE(s["skipped"].size(), size_t(8));
    QVERIFY(s["skipped"][0].contains("path") && s["skipped"][0].contains("reason"));
    QCOMPARE(s["warnings"].size(), size_t(4));

    const QString text = QString::fromStdString(formatDatasetSummary(s));
    QVERIFY2(text.contains(QStringLiteral("identities  4 (3 with both modalities)")), qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral("15: 7 photos, 8 caricatures, 3 with landmarks")), qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral("skipped     8 file(s)")), qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral("bob/photo/half.jpg: ")), qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral("warning: identity 'carol'")), qPrintable(text));
    // Listing is capped; the rest is counted.
    const QString capped = QString::fromStdString(formatDatasetSummary(s, 2));
    QVERIFY2(capped.contains(QStringLiteral("... and 6 more")), qPrintable(capped));
    QVERIFY2(capped.contains(QStringLiteral("... and 2 more warnings")), qPrintable(capped));

    // An empty index summarises to zeros, not INT_MAX.
    const nlohmann::json e = summarizeDataset(DatasetIndex{});
    QCOMPARE(e["per_identity"]["photo"]["min"].get<int>(), 0);
    QCOMPARE(e["per_identity"]["photo"]["mean"].get<double>(), 0.0);
}

void TestDatasetIndex::unusableRoots_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("format");
    QTest::addColumn<QString>("messagePart");
    QTest::addColumn<bool>("namesPath");
    QTest::newRow("missing-auto") << "missing"
                                  << "auto"
                                  << "does not exist" << true;
    QTest::newRow("missing-folder") << "missing"
                                    << "folder"
                                    << "does not exist" << true;
    QTest::newRow("file-auto") << "file"
                               << "auto"
                               << "is a file" << true;
    QTest::newRow("file-folder") << "file"
                                 << "folder"
                                 << "is a file" << true;
    QTest::newRow("empty-auto") << "empty"
                                << "auto"
                                << "no identities" << true;
    QTest::newRow("empty-folder") << "empty"
                                  << "folder"
                                  << "no identities" << true;
    QTest::newRow("only-files-auto") << "onlyfiles"
                                     << "auto"
                                     << "no identities" << true;
    QTest::newRow("flat-images-auto") << "flat"
                                      << "auto"
                                      << "not a recognised dataset layout" << true;
    QTest::newRow("flat-images-folder") << "flat"
                                        << "folder"
                                        << "no identities" << true;
    QTest::newRow("unknown-format") << "empty"
                                    << "webcaricature-v9"
                                    << "unknown dataset format 'webcaricature-v9'" << false;
}

void TestDatasetIndex::unusableRoots()
{
    QFETCH(QString, kind);
    QFETCH(QString, format);
    QFETCH(QString, messagePart);
    QFETCH(bool, namesPath);

    const QString root = tmp_.filePath(QStringLiteral("bad-") + QTest::currentDataTag());
    if (kind == "file") writeText(root, "not a folder");
    if (kind == "empty") QVERIFY(QDir().mkpath(root));
    if (kind == "onlyfiles") writeImage(root + "/loose.png", 32, 1);
    if (kind == "flat") {
        writeImage(root + "/someone/a.png", 32, 1);  // images directly in the identity folders
        writeImage(root + "/other/b.png", 32, 2);
    }
    try {
        const DatasetIndex idx = loadDataset(root.toStdString(), format.toStdString());
        QFAIL(qPrintable(QStringLiteral("loaded %1 images").arg(idx.images.size())));
    } catch (const std::runtime_error& e) {
        const QString msg = QString::fromUtf8(e.what());
        QVERIFY2(msg.contains(messagePart), qPrintable(msg));
        if (namesPath) QVERIFY2(msg.contains(root), qPrintable(msg));
        QVERIFY2(!msg.contains('\n'), qPrintable(msg));  // one line, fit for a status bar or stderr
        if (format == "webcaricature-v9") QVERIFY2(msg.contains("known: auto folder"), qPrintable(msg));
    }
}

void TestDatasetIndex::brokenLandmarksAreAWarning_data()
{
    QTest::addColumn<QByteArray>("csv");
    QTest::addColumn<bool>("attached");  // whether the good row's landmarks are used
    const std::string good = lmRow("a/photo/p0.png", 5);
    auto bytes = [](const std::string& s) { return QByteArray(s.data(), static_cast<qsizetype>(s.size())); };
    QTest::newRow("good") << bytes("image,x\n" + good) << true;
    QTest::newRow("crlf-and-bom") << bytes("\xEF\xBB\xBFimage,x\r\n" + good.substr(0, good.size() - 1) + "\r\n") << true;
    QTest::newRow("no-header") << bytes(good) << true;
    QTest::newRow("too-few-fields") << bytes("image,x\n" + good + "a/photo/p1.png,1,2,3\n") << false;
    QTest::newRow("not-a-number") << bytes("image,x\n" + good + "a/photo/p1.png,1,2,3,4,5,six,7,8,9,10\n") << false;
    QTest::newRow("nan") << bytes("image,x\n" + good + "a/photo/p1.png,1,2,3,4,5,nan,7,8,9,10\n") << false;
    QTest::newRow("other-header-name") << bytes("filename,lx,ly,rx,ry,nx,ny,mlx,mly,mrx,mry\n" + good) << true;
    QTest::newRow("trailing-junk") << bytes("image,x\n" + good + "a/photo/p1.png,1,2,3,4,5,6px,7,8,9,10\n") << false;
    QTest::newRow("binary-garbage") << bytes("\x89PNG\x01\x02,\x03\n\x1a\x04,\x05\n") << false;
}

void TestDatasetIndex::brokenLandmarksAreAWarning()
{
    QFETCH(QByteArray, csv);
    QFETCH(bool, attached);
    const QString root = tmp_.filePath(QStringLiteral("lm-") + QTest::currentDataTag());
    makeTree(root, {{"a", 2, 1}}, 32);
    writeText(root + "/landmarks.csv", csv.toStdString());

    DatasetIndex idx;
    try {
        idx = loadDataset(root.toStdString());
    } catch (const std::exception& e) {
        QFAIL(qPrintable(QStringLiteral("a bad landmarks.csv made the whole dataset fail: ") + e.what()));
    }
    QCOMPARE(idx.images.size(), size_t(3));
    const ImageRecord* r = findRecord(idx, "a/photo/p0.png");
    QVERIFY(r);
    QCOMPARE(r->landmarks.has_value(), attached);
    if (attached) {
        QCOMPARE((*r->landmarks)[4].y, 14.f);
        QVERIFY2(!anyContains(idx.warnings, "landmarks"), qPrintable(joined(idx.warnings)));
    } else {
        QVERIFY2(anyContains(idx.warnings, "landmarks.csv", "ignored"), qPrintable(joined(idx.warnings)));
        for (const auto& rec : idx.images) QVERIFY(!rec.landmarks);
    }
}

void TestDatasetIndex::formatRegistry()
{
    const auto names = datasetFormatNames();
    QVERIFY(std::count(names.begin(), names.end(), "folder") == 1);
    QCOMPARE(detectDatasetFormat(mixedRoot_.toStdString()), std::string("folder"));
    FolderFormat f;
    QCOMPARE(f.detect(mixedRoot_.toStdString()), 5.0 / 7.0);  // 5 of 7 subfolders have photo/ or caricature/
    QCOMPARE(f.detect(tmp_.filePath(QStringLiteral("does-not-exist")).toStdString()), 0.0);
    QCOMPARE(parseModality("photos"), std::optional<Modality>(Modality::Photo));
    QCOMPARE(parseModality("cari"), std::optional<Modality>(Modality::Caricature));
    QVERIFY(!parseModality("sketch"));
    QCOMPARE(std::string(modalityName(Modality::Caricature)), std::string("caricature"));
}

// ---------------------------------------------------------------------------------------------
// Splits

void TestDatasetIndex::imageSplit_data()
{
    QTest::addColumn<double>("fraction");
    QTest::addColumn<quint64>("seed");
    QTest::newRow("0.2-seed1") << 0.2 << static_cast<quint64>(1);
    QTest::newRow("0.3-seed7") << 0.3 << static_cast<quint64>(7);
    QTest::newRow("0.5-seed123456789") << 0.5 << static_cast<quint64>(123456789);
    QTest::newRow("0.9-seed0") << 0.9 << static_cast<quint64>(0);
}

void TestDatasetIndex::imageSplit()
{
    QFETCH(double, fraction);
    QFETCH(quint64, seed);
    const DatasetIndex idx = syntheticIndex(24);
    const Split a = splitByImage(idx, fraction, seed);
    const Split b = splitByImage(idx, fraction, seed);
    QCOMPARE(a.train, b.train);
    QCOMPARE(a.test, b.test);
    QVERIFY2(splitByImage(idx, fraction, seed + 1).test != a.test, "another seed gave the same split");
    checkPartition(a, idx.images.size());

    std::vector<std::array<int, 2>> inTrain(idx.identities.size(), {0, 0}), inTest(idx.identities.size(), {0, 0});
    for (int i : a.train)
        ++inTrain[static_cast<size_t>(idx.images[static_cast<size_t>(i)].identity)][static_cast<int>(idx.images[static_cast<size_t>(i)].modality)];
    for (int i : a.test)
        ++inTest[static_cast<size_t>(idx.images[static_cast<size_t>(i)].identity)][static_cast<int>(idx.images[static_cast<size_t>(i)].modality)];
    const auto counts = idx.countsPerIdentity();
    for (size_t id = 0; id < counts.size(); ++id) {
        QVERIFY2(inTrain[id][0] + inTrain[id][1] > 0, qPrintable(QStringLiteral("identity %1 missing from train").arg(id)));
        for (int m = 0; m < 2; ++m) {
            const int n = counts[id][static_cast<size_t>(m)];
            const int want = n >= 2 ? std::clamp(static_cast<int>(std::lround(fraction * n)), 1, n - 1) : 0;
            QCOMPARE(inTest[id][static_cast<size_t>(m)], want);
            if (n >= 1) QVERIFY(inTrain[id][static_cast<size_t>(m)] >= 1);
        }
    }
}

void TestDatasetIndex::identitySplit_data()
{
    QTest::addColumn<double>("fraction");
    QTest::addColumn<quint64>("seed");
    QTest::newRow("0.25-seed1") << 0.25 << static_cast<quint64>(1);
    QTest::newRow("0.5-seed99") << 0.5 << static_cast<quint64>(99);
    QTest::newRow("0.95-seed3") << 0.95 << static_cast<quint64>(3);
}

void TestDatasetIndex::identitySplit()
{
    QFETCH(double, fraction);
    QFETCH(quint64, seed);
    const DatasetIndex idx = syntheticIndex(20);
    const Split a = splitByIdentity(idx, fraction, seed);
    const Split b = splitByIdentity(idx, fraction, seed);
    QCOMPARE(a.train, b.train);
    QCOMPARE(a.test, b.test);
    QVERIFY2(splitByIdentity(idx, fraction, seed + 1).test != a.test, "another seed gave the same split");
    checkPartition(a, idx.images.size());
    std::set<int> trainIds, testIds;
    for (int i : a.train) trainIds.insert(idx.images[static_cast<size_t>(i)].identity);
    for (int i : a.test) testIds.insert(idx.images[static_cast<size_t>(i)].identity);
    for (int id : testIds) QVERIFY2(!trainIds.count(id), qPrintable(QStringLiteral("identity %1 on both sides").arg(id)));
    QCOMPARE(static_cast<int>(testIds.size()), std::min(static_cast<int>(std::lround(fraction * 20)), 19));
    QCOMPARE(static_cast<int>((trainIds.size() + testIds.size())), 20);
}

void TestDatasetIndex::splitEdgeCases()
{
    const DatasetIndex idx = syntheticIndex(6);
    const Split none = splitByImage(idx, 0.0, 5);
    QVERIFY(none.test.empty());
    QCOMPARE(none.train.size(), idx.images.size());
    QVERIFY(splitByIdentity(idx, 0.0, 5).test.empty());
    for (double bad : {-0.1, 1.0, 1.5, std::nan("")}) {
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, splitByImage(idx, bad, 1));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, splitByIdentity(idx, bad, 1));
    }
    // One identity: the identity split keeps it in train rather than emptying train.
    const DatasetIndex one = syntheticIndex(1);
    QVERIFY(splitByIdentity(one, 0.9, 1).test.empty());
    // An empty index splits into nothing without crashing.
    const DatasetIndex empty;
    QVERIFY(splitByImage(empty, 0.5, 1).train.empty());
    QVERIFY(splitByIdentity(empty, 0.5, 1).test.empty());
}

// ---------------------------------------------------------------------------------------------
// Batch loader

namespace {

struct LoaderFixture {
    std::shared_ptr<const DatasetIndex> index;
    std::vector<int> all;
};

LoaderFixture loaderFixture(const QString& root)
{
    if (!QFileInfo::exists(root)) {
        makeTree(root, {{"p", 3, 3}, {"q", 3, 3}, {"r", 3, 3}, {"s", 3, 3}}, 48);
        writeText(root + "/landmarks.csv", "image,x\n" + lmRow("p/photo/p0.png", 12) + lmRow("q/caricature/c2.png", 14));
    }
    LoaderFixture f;
    f.index = std::make_shared<const DatasetIndex>(loadDataset(root.toStdString()));
    for (size_t i = 0; i < f.index->images.size(); ++i) f.all.push_back(static_cast<int>(i));
    return f;
}

BatchLoaderOptions loaderOptions(std::uint64_t seed = 9)
{
    BatchLoaderOptions o;
    o.batchSize = 5;
    o.workers = 2;
    o.prefetch = 2;
    o.seed = seed;
    o.pipeline.size = 32;
    o.pipeline.augment.enabled = true;
    return o;
}

// Every loader compared for determinism uses the same cache settings (the cache's downscale
// is part of the input the pipeline sees).
std::shared_ptr<ImageCache> cache() { return std::make_shared<ImageCache>(1 << 24, 32); }

bool sameBatch(const Batch& a, const Batch& b)
{
    return a.step == b.step && a.indices == b.indices && torch::equal(a.images, b.images) && torch::equal(a.labels, b.labels) &&
        torch::equal(a.isCaricature, b.isCaricature);
}

}  // namespace

// The loader's threads run at a lower priority than the training threads (decoding fills
// LibTorch's gaps instead of preempting its parallel ops); the caller's own thread is untouched.
void TestDatasetIndex::loaderThreadsYieldToTraining()
{
#if !defined(__linux__)
    QSKIP("thread priorities are read from /proc");
#else
    auto niceOf = [](const std::filesystem::path& stat) {
        std::ifstream in(stat);
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        // Fields after the command name, which is in parentheses and may hold spaces.
        std::istringstream rest(text.substr(text.rfind(')') + 2));
        std::vector<std::string> f((std::istream_iterator<std::string>(rest)), std::istream_iterator<std::string>());
        return f.size() > 16 ? std::stoi(f[16]) : -100;  // field 19 of stat: nice
    };
    auto threadNices = [&] {
        std::multiset<int> nices;
        for (const auto& t : std::filesystem::directory_iterator("/proc/self/task")) nices.insert(niceOf(t.path() / "stat"));
        return nices;
    };
    const int mine = niceOf("/proc/thread-self/stat");
    if (mine >= carilab::io::kBackgroundNice) QSKIP("this test already runs at a background priority");
    const auto before = threadNices();
    const auto f = loaderFixture(tmp_.filePath(QStringLiteral("loader-priority")));
    auto options = loaderOptions();
    options.workers = 2;
    BatchLoader loader(f.index, f.all, cache(), options);
    loader.next();
    // One worker may have served the first batch before the other thread got to run at all.
    const auto background = [&] {
        return static_cast<int>(threadNices().count(carilab::io::kBackgroundNice) - before.count(carilab::io::kBackgroundNice));
    };
    QTRY_COMPARE_WITH_TIMEOUT(background(), 2, 5000);
    QCOMPARE(niceOf("/proc/thread-self/stat"), mine);
#endif
}

void TestDatasetIndex::batchShapesAndLabels()
{
    const auto f = loaderFixture(tmp_.filePath(QStringLiteral("loader")));
    QCOMPARE(f.index->images.size(), size_t(24));
    // A subset: the loader must draw only from it.
    std::vector<int> subset;
    for (int i : f.all)
        if (i % 3 != 0) subset.push_back(i);
    BatchLoader loader(f.index, subset, cache(), loaderOptions());
    QCOMPARE(loader.batchesPerEpoch(), std::int64_t(16 / 5));
    for (std::int64_t k = 0; k < 4; ++k) {
        const Batch b = loader.next();
        QCOMPARE(b.step, k);
        QCOMPARE(b.images.sizes().vec(), (std::vector<std::int64_t>{5, 3, 32, 32}));
        QCOMPARE(b.images.scalar_type(), torch::kFloat32);
        // NCHW shape over NHWC memory: the network's channels-last layout, no copy.
        QVERIFY(b.images.is_contiguous(torch::MemoryFormat::ChannelsLast));
        QCOMPARE(b.labels.sizes().vec(), (std::vector<std::int64_t>{5}));
        QCOMPARE(b.labels.scalar_type(), torch::kInt64);
        QCOMPARE(b.isCaricature.sizes().vec(), (std::vector<std::int64_t>{5}));
        QCOMPARE(b.isCaricature.scalar_type(), torch::kBool);
        QCOMPARE(b.indices.size(), size_t(5));
        QVERIFY(torch::isfinite(b.images).all().item<bool>());
        for (int s = 0; s < 5; ++s) {
            const int i = b.indices[static_cast<size_t>(s)];
            QVERIFY2(std::count(subset.begin(), subset.end(), i) == 1, qPrintable(QStringLiteral("index %1 not in subset").arg(i)));
            const ImageRecord& r = f.index->images[static_cast<size_t>(i)];
            QCOMPARE(b.labels[s].item<std::int64_t>(), static_cast<std::int64_t>(r.identity));
            QCOMPARE(b.isCaricature[s].item<bool>(), r.modality == Modality::Caricature);
            // Each sample is standardised on its own.
            const auto sample = b.images[s];
            QVERIFY(std::abs(sample.mean().item<double>()) < 1e-3);
            QVERIFY(std::abs(sample.std(/*unbiased=*/false).item<double>() - 1.0) < 1e-3);
        }
    }
    QVERIFY(loader.failures().empty());
    QVERIFY(loader.waitSeconds() >= 0.0);
}

void TestDatasetIndex::batchesAreDeterministic()
{
    const auto f = loaderFixture(tmp_.filePath(QStringLiteral("loader")));
    BatchLoader a(f.index, f.all, cache(), loaderOptions());
    BatchLoader b(f.index, f.all, cache(), loaderOptions());
    QCOMPARE(a.batchesPerEpoch(), std::int64_t(24 / 5));
    // Worker-built batches equal synchronously built ones, across instances and caches.
    for (std::int64_t k = 0; k < 3; ++k) {
        const Batch fromThread = a.next();
        QVERIFY2(sameBatch(fromThread, b.build(k)), qPrintable(QStringLiteral("batch %1 differs").arg(k)));
        QVERIFY(sameBatch(fromThread, a.build(k)));
    }
    // Resuming at step k (here in the third epoch) sees exactly batch k.
    const std::int64_t k = 2 * a.batchesPerEpoch() + 1;
    BatchLoader resumed(f.index, f.all, cache(), loaderOptions(), k);
    const Batch r0 = resumed.next(), r1 = resumed.next();
    QCOMPARE(r0.step, k);
    QCOMPARE(r1.step, k + 1);
    QVERIFY(sameBatch(r0, a.build(k)));
    QVERIFY(sameBatch(r1, b.build(k + 1)));
    // Another seed gives other batches; another step too.
    BatchLoader other(f.index, f.all, cache(), loaderOptions(10));
    const Batch o0 = other.build(0), a0 = a.build(0);
    QVERIFY(o0.indices != a0.indices || !torch::equal(o0.images, a0.images));
    QVERIFY(!torch::equal(a.build(1).images, a0.images));
}

void TestDatasetIndex::epochIsAPermutation()
{
    const auto f = loaderFixture(tmp_.filePath(QStringLiteral("loader")));
    BatchLoaderOptions o = loaderOptions();
    o.batchSize = 4;  // 24 = 6 batches of 4: one epoch is exactly the subset
    BatchLoader loader(f.index, f.all, cache(), o);
    QCOMPARE(loader.batchesPerEpoch(), std::int64_t(6));
    std::vector<int> epoch0, epoch1;
    for (std::int64_t k = 0; k < 12; ++k) {
        const Batch b = loader.build(k);
        (k < 6 ? epoch0 : epoch1).insert((k < 6 ? epoch0 : epoch1).end(), b.indices.begin(), b.indices.end());
    }
    QVERIFY(epoch0 != epoch1);  // a fresh order each epoch
    std::sort(epoch0.begin(), epoch0.end());
    std::sort(epoch1.begin(), epoch1.end());
    QCOMPARE(epoch0, f.all);
    QCOMPARE(epoch1, f.all);

    // A subset smaller than a batch wraps around instead of failing.
    o.batchSize = 7;
    BatchLoader small(f.index, {0, 1, 2}, cache(), o);
    const Batch b = small.build(0);
    QCOMPARE(b.indices.size(), size_t(7));
    for (int i : b.indices) QVERIFY(i >= 0 && i <= 2);

    QVERIFY_THROWS_EXCEPTION(std::runtime_error, BatchLoader(f.index, {}, cache(), o));
    o.batchSize = 0;
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, BatchLoader(f.index, {0}, cache(), o));
}

void TestDatasetIndex::corruptFileIsReplaced()
{
    const QString root = tmp_.filePath(QStringLiteral("loader-corrupt"));
    const auto f = loaderFixture(root);
    // Corrupted after indexing, as happens when a disk or a sync tool damages a file mid-run.
    const ImageRecord& victim = f.index->images[4];
    writeText(QString::fromStdString(f.index->absolutePath(victim)), "garbage, not a PNG any more");
    const std::vector<int> subset = {4, 7, 12};

    BatchLoader a(f.index, subset, cache(), loaderOptions());
    Batch b0;
    try {
        b0 = a.next();
    } catch (const std::exception& e) {
        QFAIL(qPrintable(QStringLiteral("a corrupt file stopped the loader: ") + e.what()));
    }
    QCOMPARE(b0.indices.size(), size_t(5));
    for (int i : b0.indices) QVERIFY2(i == 7 || i == 12, qPrintable(QString::number(i)));
    QVERIFY(torch::isfinite(b0.images).all().item<bool>());
    const auto failures = a.failures();
    QCOMPARE(failures.size(), size_t(1));
    QCOMPARE(failures[0].path, victim.path);
    QVERIFY2(failures[0].reason.find(victim.path) != std::string::npos, failures[0].reason.c_str());
    // Reported once however often it is drawn.
    a.build(1);
    a.build(2);
    QCOMPARE(a.failures().size(), size_t(1));

    // A loader that has not met the bad file yet builds the same batches.
    BatchLoader fresh(f.index, subset, cache(), loaderOptions());
    QVERIFY(sameBatch(fresh.build(0), a.build(0)));
}

void TestDatasetIndex::allCorruptThrows()
{
    const QString root = tmp_.filePath(QStringLiteral("loader-allbad"));
    const auto f = loaderFixture(root);
    for (int i : {0, 1}) writeText(QString::fromStdString(f.index->absolutePath(f.index->images[static_cast<size_t>(i)])), "");
    BatchLoader a(f.index, {0, 1}, cache(), loaderOptions());
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, a.build(0));
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, a.next());
    QCOMPARE(a.failures().size(), size_t(2));
}

QTEST_GUILESS_MAIN(TestDatasetIndex)
#include "test_dataset_index.moc"
