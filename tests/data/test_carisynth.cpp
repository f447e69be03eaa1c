// CariSynth: determinism, layout, the photo-easy / caricature-hard ordering the dataset exists
// for, and the folder-safety rules of generateCariSynth.
#include "data/carisynth.h"
#include "data/landmarks.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <QCryptographicHash>
#include <QDirIterator>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest/QtTest>

using namespace carilab::data;
namespace fs = std::filesystem;

namespace {

// Small enough that the whole executable runs in seconds, large enough for the statistics.
CariSynthOptions smallOptions(std::uint64_t seed)
{
    CariSynthOptions o;
    o.identities = 6;
    o.photosPerIdentity = 4;
    o.caricaturesPerIdentity = 4;
    o.size = 64;
    o.seed = seed;
    return o;
}

std::string path(const QTemporaryDir& dir, const char* name) { return (fs::path(dir.path().toStdString()) / name).string(); }

// Relative path -> SHA-1 of every file; carisynth.json loses its wall time, the only field that
// may legitimately differ between two identical generations.
QMap<QString, QByteArray> digests(const std::string& root)
{
    QMap<QString, QByteArray> out;
    const QDir base(QString::fromStdString(root));
    QDirIterator it(base.path(), QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString file = it.next();
        QFile f(file);
        if (!f.open(QIODevice::ReadOnly)) qFatal("cannot read %s", qPrintable(file));
        QByteArray bytes = f.readAll();
        if (file.endsWith(QLatin1String("carisynth.json"))) {
            QJsonObject o = QJsonDocument::fromJson(bytes).object();
            o.remove(QStringLiteral("seconds"));
            bytes = QJsonDocument(o).toJson(QJsonDocument::Compact);
        }
        out.insert(base.relativeFilePath(file), QCryptographicHash::hash(bytes, QCryptographicHash::Sha1));
    }
    return out;
}

QJsonObject readManifest(const std::string& root)
{
    QFile f(QString::fromStdString((fs::path(root) / "carisynth.json").string()));
    if (!f.open(QIODevice::ReadOnly)) return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}

std::vector<std::string> entries(const fs::path& dir)
{
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

bool hasTempSibling(const fs::path& target)
{
    for (const auto& e : fs::directory_iterator(target.parent_path()))
        if (e.path().filename().string().rfind(target.filename().string() + ".tmp-", 0) == 0) return true;
    return false;
}

std::string identityName(int i)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "id_%04d", i + 1);
    return buf;
}

std::string imageKey(int identity, bool photo, int k)
{
    char buf[96];
    const std::string id = identityName(identity);
    std::snprintf(buf, sizeof buf, "%s/%s/%s_%s_%02d.jpg", id.c_str(), photo ? "photo" : "caricature", id.c_str(), photo ? "p" : "c", k + 1);
    return buf;
}

// Face geometry without pose and scale: the eyes are mapped to (-0.5, 0) and (0.5, 0), and the
// nose and mouth corners are what remains.
std::vector<double> landmarkDescriptor(const Landmarks5& lm)
{
    const double cx = 0.5 * (lm[0].x + lm[1].x), cy = 0.5 * (lm[0].y + lm[1].y);
    const double dx = lm[1].x - lm[0].x, dy = lm[1].y - lm[0].y;
    const double d2 = dx * dx + dy * dy;
    std::vector<double> v;
    for (int i = 2; i < 5; ++i) {
        const double px = lm[i].x - cx, py = lm[i].y - cy;
        v.push_back((px * dx + py * dy) / d2);
        v.push_back((-px * dy + py * dx) / d2);
    }
    return v;
}

// A 32x32 grey thumbnail, zero mean and unit norm: appearance as a crude matcher sees it.
std::vector<double> pixelDescriptor(const std::string& file)
{
    const cv::Mat img = cv::imread(file, cv::IMREAD_GRAYSCALE);
    if (img.empty()) qFatal("cannot decode %s", file.c_str());
    cv::Mat small;
    cv::resize(img, small, cv::Size(32, 32), 0, 0, cv::INTER_AREA);
    small.convertTo(small, CV_64F);
    small -= cv::mean(small)[0];
    small /= std::max(1e-9, cv::norm(small));
    return std::vector<double>(small.begin<double>(), small.end<double>());
}

double distance(const std::vector<double>& a, const std::vector<double>& b)
{
    double s = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i) s += (a[i] - b[i]) * (a[i] - b[i]);
    return std::sqrt(s);
}

struct Descriptors {
    std::vector<std::vector<std::vector<double>>> photos, caricatures;  // [identity][image]
};

struct Difficulty {
    double photoPhoto = 0.0;  // mean distance between photos of the same identity
    double photoCaricature = 0.0;  // mean distance between a photo and a caricature of the same identity
    double photoOthers = 0.0;  // mean distance between photos of different identities
    double photoAccuracy = 0.0;  // leave-one-out nearest photo has the right identity
    double caricatureAccuracy = 0.0;  // nearest photo of a caricature has the right identity
};

double nearestIsSame(const Descriptors& d, const std::vector<double>& probe, int identity, int skipPhoto)
{
    double best = 1e300;
    int bestId = -1;
    for (std::size_t i = 0; i < d.photos.size(); ++i)
        for (std::size_t k = 0; k < d.photos[i].size(); ++k) {
            if (static_cast<int>(i) == identity && static_cast<int>(k) == skipPhoto) continue;
            const double dist = distance(probe, d.photos[i][k]);
            if (dist < best) {
                best = dist;
                bestId = static_cast<int>(i);
            }
        }
    return bestId == identity ? 1.0 : 0.0;
}

Difficulty measure(const Descriptors& d)
{
    Difficulty r;
    double pp = 0, pc = 0, po = 0, accP = 0, accC = 0;
    int npp = 0, npc = 0, npo = 0, nP = 0, nC = 0;
    const int ids = static_cast<int>(d.photos.size());
    for (int i = 0; i < ids; ++i) {
        const auto& photos = d.photos[i];
        for (std::size_t a = 0; a < photos.size(); ++a) {
            for (std::size_t b = a + 1; b < photos.size(); ++b, ++npp) pp += distance(photos[a], photos[b]);
            for (const auto& c : d.caricatures[i]) pc += distance(photos[a], c), ++npc;
            for (int j = i + 1; j < ids; ++j)
                for (const auto& other : d.photos[j]) po += distance(photos[a], other), ++npo;
            accP += nearestIsSame(d, photos[a], i, static_cast<int>(a)), ++nP;
        }
        for (const auto& c : d.caricatures[i]) accC += nearestIsSame(d, c, i, -1), ++nC;
    }
    r.photoPhoto = pp / npp;
    r.photoCaricature = pc / npc;
    r.photoOthers = po / npo;
    r.photoAccuracy = accP / nP;
    r.caricatureAccuracy = accC / nC;
    return r;
}

}  // namespace

class TestCariSynth final : public QObject {
    Q_OBJECT

private:
    QTemporaryDir shared_;
    std::string sharedRoot_;
    CariSynthOptions sharedOptions_;
    CariSynthReport sharedReport_;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(shared_.isValid());
        sharedOptions_ = smallOptions(11);
        sharedOptions_.identities = 8;
        sharedOptions_.photosPerIdentity = 6;
        sharedOptions_.caricaturesPerIdentity = 6;
        sharedRoot_ = path(shared_, "set");
        sharedReport_ = generateCariSynth(sharedRoot_, sharedOptions_);
    }

    void sameSeedGivesIdenticalFiles()
    {
        QTemporaryDir dir;
        const auto a = path(dir, "a"), b = path(dir, "b"), c = path(dir, "c");
        generateCariSynth(a, smallOptions(3));
        generateCariSynth(b, smallOptions(3));
        generateCariSynth(c, smallOptions(4));
        const auto da = digests(a), db = digests(b), dc = digests(c);
        QCOMPARE(da.size(), qsizetype(6 * (4 + 4) + 2));
        QCOMPARE(da.keys(), db.keys());
        for (auto it = da.cbegin(); it != da.cend(); ++it)
            QVERIFY2(db.value(it.key()) == it.value(), qPrintable(it.key() + QStringLiteral(" differs")));

        QCOMPARE(dc.keys(), da.keys());
        int changed = 0;
        for (auto it = da.cbegin(); it != da.cend(); ++it) changed += dc.value(it.key()) != it.value();
        QVERIFY2(changed >= da.size() - 1, "a different seed must change every image and the landmarks");
    }

    void layout()
    {
        const auto& o = sharedOptions_;
        const fs::path root(sharedRoot_);
        QCOMPARE(sharedReport_.identities, o.identities);
        QCOMPARE(sharedReport_.photos, o.identities * o.photosPerIdentity);
        QCOMPARE(sharedReport_.caricatures, o.identities * o.caricaturesPerIdentity);
        QVERIFY(sharedReport_.seconds > 0.0);
        QCOMPARE(sharedReport_.root, fs::absolute(root).lexically_normal().string());

        std::vector<std::string> expectedTop = {"carisynth.json", "landmarks.csv"};
        for (int i = 0; i < o.identities; ++i) expectedTop.push_back(identityName(i));
        std::sort(expectedTop.begin(), expectedTop.end());
        QCOMPARE(entries(root), expectedTop);

        const auto landmarks = readLandmarksCsv((root / kLandmarksFileName).string());
        QCOMPARE(static_cast<int>(landmarks.size()), o.identities * (o.photosPerIdentity + o.caricaturesPerIdentity));
        for (int i = 0; i < o.identities; ++i) {
            QCOMPARE(entries(root / identityName(i)), (std::vector<std::string>{"caricature", "photo"}));
            for (bool photo : {true, false}) {
                const int count = photo ? o.photosPerIdentity : o.caricaturesPerIdentity;
                QCOMPARE(static_cast<int>(entries(root / identityName(i) / (photo ? "photo" : "caricature")).size()), count);
                for (int k = 0; k < count; ++k) {
                    const std::string key = imageKey(i, photo, k);
                    const cv::Mat img = cv::imread((root / key).string());
                    QVERIFY2(!img.empty(), key.c_str());
                    QCOMPARE(img.cols, o.size);
                    QCOMPARE(img.rows, o.size);
                    QVERIFY2(landmarks.count(key) == 1, key.c_str());
                    const Landmarks5& lm = landmarks.at(key);
                    for (const Point2& p : lm) {
                        QVERIFY2(p.x >= 0.f && p.x <= o.size - 1.f, key.c_str());
                        QVERIFY2(p.y >= 0.f && p.y <= o.size - 1.f, key.c_str());
                    }
                    QVERIFY2(lm[0].x < lm[1].x, "left eye is the image-left one");
                    QVERIFY2(lm[3].x < lm[4].x, "left mouth corner is the image-left one");
                    QVERIFY2(lm[2].y > std::min(lm[0].y, lm[1].y) && lm[2].y < std::max(lm[3].y, lm[4].y),
                             "the nose tip lies between the eyes and the mouth");
                }
            }
        }

        const QJsonObject m = readManifest(sharedRoot_);
        QCOMPARE(m.value("generator").toString(), QStringLiteral("carisynth"));
        QCOMPARE(m.value("version").toInt(), 1);
        QCOMPARE(m.value("identities").toInt(), o.identities);
        QCOMPARE(m.value("photos_per_identity").toInt(), o.photosPerIdentity);
        QCOMPARE(m.value("caricatures_per_identity").toInt(), o.caricaturesPerIdentity);
        QCOMPARE(m.value("size").toInt(), o.size);
        QCOMPARE(m.value("seed").toInteger(), static_cast<qint64>(o.seed));
        QVERIFY(m.value("seconds").toDouble() > 0.0);
    }

    void difficultyOrdering_data()
    {
        QTest::addColumn<bool>("pixels");
        QTest::newRow("landmark space") << false;
        QTest::newRow("pixel space") << true;
    }

    void difficultyOrdering()
    {
        QFETCH(bool, pixels);
        const auto& o = sharedOptions_;
        const auto landmarks = readLandmarksCsv((fs::path(sharedRoot_) / kLandmarksFileName).string());
        Descriptors d;
        d.photos.resize(o.identities);
        d.caricatures.resize(o.identities);
        for (int i = 0; i < o.identities; ++i)
            for (bool photo : {true, false})
                for (int k = 0; k < (photo ? o.photosPerIdentity : o.caricaturesPerIdentity); ++k) {
                    const std::string key = imageKey(i, photo, k);
                    auto v = pixels ? pixelDescriptor((fs::path(sharedRoot_) / key).string()) : landmarkDescriptor(landmarks.at(key));
                    (photo ? d.photos : d.caricatures)[i].push_back(std::move(v));
                }
        const Difficulty r = measure(d);
        qInfo("photo-photo %.4f  photo-caricature %.4f  photo-other %.4f  NN accuracy photo %.2f caricature %.2f", r.photoPhoto, r.photoCaricature,
              r.photoOthers, r.photoAccuracy, r.caricatureAccuracy);
        QVERIFY2(r.photoPhoto < r.photoCaricature, "caricatures must be further from their photos than photos are");
        QVERIFY2(r.photoPhoto < r.photoOthers, "photos of one person must be closer than photos of two people");
        QVERIFY2(r.photoAccuracy > r.caricatureAccuracy, "caricature-to-photo matching must be the harder task");
    }

    void refusesForeignFolder()
    {
        QTemporaryDir dir;
        const fs::path target = path(dir, "mine");
        fs::create_directories(target / "sub");
        {
            std::ofstream(target / "notes.txt") << "keep me";
        }
        QVERIFY_THROWS_EXCEPTION(std::runtime_error, generateCariSynth(target.string(), smallOptions(1)));
        QCOMPARE(entries(target), (std::vector<std::string>{"notes.txt", "sub"}));
        std::ifstream in(target / "notes.txt");
        std::string text;
        std::getline(in, text);
        QCOMPARE(text, std::string("keep me"));
        QVERIFY(!hasTempSibling(target));

        // A set whose manifest was written by something else is not ours to delete either.
        {
            std::ofstream(target / "carisynth.json") << R"({"generator":"other"})";
        }
        QVERIFY_THROWS_EXCEPTION(std::runtime_error, generateCariSynth(target.string(), smallOptions(1)));
        QVERIFY(fs::exists(target / "notes.txt"));

        const fs::path file = path(dir, "plain-file");
        {
            std::ofstream(file) << "x";
        }
        QVERIFY_THROWS_EXCEPTION(std::runtime_error, generateCariSynth(file.string(), smallOptions(1)));
        QVERIFY(fs::is_regular_file(file));
    }

    void replacesExistingSet()
    {
        QTemporaryDir dir;
        const fs::path target = path(dir, "set");
        const CariSynthOptions first = smallOptions(1);
        generateCariSynth(target.string(), first);
        // A file the generator did not write is never deleted with the set (#19): refused, kept.
        {
            std::ofstream(target / "stale.txt") << "not the generator's";
        }
        bool refused = false;
        try {
            generateCariSynth(target.string(), first);
        } catch (const std::runtime_error& e) {
            refused = std::string(e.what()).find("stale.txt, which the generator did not write") != std::string::npos;
        }
        QVERIFY(refused);
        QVERIFY(fs::exists(target / "stale.txt"));
        fs::remove(target / "stale.txt");
        // face_boxes.csv is `dataset align`'s description of the set's own images: replaced with it.
        {
            std::ofstream(target / "face_boxes.csv") << "path,x,y,width,height,score,detector\n";
        }

        CariSynthOptions second;
        second.identities = 2;
        second.photosPerIdentity = 1;
        second.caricaturesPerIdentity = 2;
        second.size = 32;
        second.seed = 2;
        // A trailing separator names the same folder, not an entry inside it.
        generateCariSynth(target.string() + "/", second);
        QCOMPARE(entries(target), (std::vector<std::string>{"carisynth.json", "id_0001", "id_0002", "landmarks.csv"}));
        QCOMPARE(readManifest(target.string()).value("seed").toInt(), 2);
        QVERIFY(!hasTempSibling(target));
        QVERIFY(isCariSynthSet(target.string(), second));
        QVERIFY(!isCariSynthSet(target.string(), first));

        // An existing empty folder is accepted as well.
        const fs::path empty = path(dir, "empty");
        fs::create_directories(empty);
        generateCariSynth(empty.string(), second);
        QVERIFY(isCariSynthSet(empty.string(), second));
    }

    void recognisesCompleteSets()
    {
        QTemporaryDir dir;
        const fs::path target = path(dir, "set");
        const CariSynthOptions o = smallOptions(5);
        QVERIFY(!isCariSynthSet(target.string(), o));
        generateCariSynth(target.string(), o);
        QVERIFY(isCariSynthSet(target.string(), o));

        CariSynthOptions other = o;
        other.seed = 6;
        QVERIFY(!isCariSynthSet(target.string(), other));
        other = o;
        other.size = 96;
        QVERIFY(!isCariSynthSet(target.string(), other));
        other = o;
        other.caricaturesPerIdentity = 5;
        QVERIFY(!isCariSynthSet(target.string(), other));

        fs::remove(target / imageKey(2, false, 1));
        QVERIFY2(!isCariSynthSet(target.string(), o), "a missing image makes the set incomplete");
    }

    void invalidOptionsThrow_data()
    {
        QTest::addColumn<int>("identities");
        QTest::addColumn<int>("photos");
        QTest::addColumn<int>("caricatures");
        QTest::addColumn<int>("size");
        QTest::newRow("one identity") << 1 << 4 << 4 << 64;
        QTest::newRow("negative identities") << -3 << 4 << 4 << 64;
        QTest::newRow("no photos") << 6 << 0 << 4 << 64;
        QTest::newRow("no caricatures") << 6 << 4 << 0 << 64;
        QTest::newRow("too small") << 6 << 4 << 4 << 31;
        QTest::newRow("too large") << 6 << 4 << 4 << 1025;
    }

    void invalidOptionsThrow()
    {
        QFETCH(int, identities);
        QFETCH(int, photos);
        QFETCH(int, caricatures);
        QFETCH(int, size);
        CariSynthOptions o;
        o.identities = identities;
        o.photosPerIdentity = photos;
        o.caricaturesPerIdentity = caricatures;
        o.size = size;
        QTemporaryDir dir;
        const fs::path target = path(dir, "set");
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, generateCariSynth(target.string(), o));
        QVERIFY(!fs::exists(target));
        QVERIFY(!isCariSynthSet(target.string(), o));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, generateCariSynth("", smallOptions(1)));
    }
};

QTEST_GUILESS_MAIN(TestCariSynth)
#include "test_carisynth.moc"
