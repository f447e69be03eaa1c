// The bad-input corpus (issue #8): one row per kind of damaged, odd or hostile input, each fed
// through the real code path that meets it in use (decode, dataset indexing, protocol and
// landmark reading, config parsing, checkpoint loading, metrics reading, writes onto a full
// disk, training). Every row asserts the exact outcome -- loaded correctly, skipped with its
// reason, or an exception naming the file and the problem -- and that nothing was lost.
#include "bad_input_corpus.h"
#include "bad_input_rows.h"
#include "fixture_trees.h"
#include "test_support.h"

#include "data/cavi_protocol.h"
#include "data/dataset_registry.h"
#include "data/image_decode.h"
#include "data/landmarks.h"
#include "data/webcari_landmarks.h"
#include "io/atomic_file.h"
#include "nn/center_loss.h"
#include "nn/multitask_net.h"
#include "run/batch_memory.h"
#include "run/checkpoint.h"
#include "run/metrics_log.h"
#include "run/run_directory.h"
#include "run/run_model.h"
#include "run/train_config.h"
#include "run/trainer.h"

#include <nlohmann/json.hpp>

#include <unistd.h>

#include <filesystem>
#include <functional>

#include <QtTest/QtTest>

using namespace carilab;
namespace corpus = carilab::test::corpus;
namespace fs = std::filesystem;

namespace {

using carilab::test::bad::Check;
using carilab::test::bad::mentions;
using carilab::test::bad::messageOf;
using carilab::test::bad::Row;

std::vector<std::string> tempFilesIn(const std::string& dir)
{
    std::vector<std::string> out;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
        if (it->path().filename().string().find(".tmp-") != std::string::npos) out.push_back(it->path().string());
    return out;
}

const data::SkippedFile* skippedEntry(const data::DatasetIndex& index, const std::string& relPath)
{
    for (const auto& s : index.skipped)
        if (s.path == relPath) return &s;
    return nullptr;
}

bool hasWarning(const data::DatasetIndex& index, std::initializer_list<std::string> parts)
{
    for (const auto& w : index.warnings)
        if (mentions(w, parts)) return true;
    return false;
}

cv::Vec3b rgbAt(const cv::Mat& m, int row, int col) { return m.at<cv::Vec3b>(row, col); }

// A tiny network with its centre loss and optimiser, as a checkpoint sees them.
struct SmallModel {
    nn::MultiTaskNet net;
    nn::CenterLoss center;
    std::unique_ptr<torch::optim::Optimizer> optimizer;
    nlohmann::json meta;

    explicit SmallModel(std::int64_t classes, std::uint64_t seed) : net(nullptr), center(nullptr)
    {
        torch::manual_seed(seed);
        nn::MultiTaskOptions o;
        o.backbone = "tiny";
        o.numClasses = classes;
        net = nn::MultiTaskNet(o);
        center = nn::CenterLoss(classes, net->info().embeddingDim);
        optimizer = nn::makeOptimizer(nn::OptimizerSpec{}, net->parameters());
        meta = {{"backbone", "tiny"}, {"num_classes", classes}, {"input_size", net->info().inputSize}};
    }
    run::TrainingState state() { return {net, center, optimizer.get(), nullptr}; }
    std::vector<torch::Tensor> snapshot() const
    {
        std::vector<torch::Tensor> out;
        for (const auto& p : net->parameters()) out.push_back(p.detach().clone());
        for (const auto& b : net->buffers()) out.push_back(b.detach().clone());
        return out;
    }
    bool sameAs(const std::vector<torch::Tensor>& snap) const
    {
        auto now = snapshot();
        if (now.size() != snap.size()) return false;
        for (size_t i = 0; i < now.size(); ++i)
            if (!now[i].sizes().equals(snap[i].sizes()) || !torch::equal(now[i], snap[i])) return false;
        return true;
    }
};

run::TrainConfig tinyTraining(const std::string& dataset, long long steps)
{
    run::TrainConfig c;
    c.dataset = dataset;
    c.backbone = "tiny";
    c.steps = steps;
    c.batch = 8;
    c.threads = 1;
    c.checkpointEvery = 2;
    c.evalEvery = 100000;
    return c;
}

// Runs a trainer to its end; returns the Error event's message ("" when it finished).
std::string trainToEnd(run::Trainer& t)
{
    t.start();
    t.wait();
    std::string error;
    for (const auto& e : t.events().drain())
        if (e.kind == run::TrainerEvent::Kind::Error) error = e.message;
    return error;
}

// ---- the rows -------------------------------------------------------------------------------

// Decoding must fail with a message naming the file and `why`; the dataset scan must skip it.
Check refusedImage(std::function<corpus::Bytes()> make, const char* ext, std::string why, std::string sniffWhy)
{
    return [=](const std::string& dir) {
        const std::string file = dir + "/bad" + ext;
        corpus::writeBytes(file, make());
        const std::string m = messageOf([&] { data::decodeImageRgb8(file); });
        VERIFY_MENTIONS(m, file, why);
        const std::string sniffed = data::sniffImageFile(file);
        VERIFY_MENTIONS(sniffed, sniffWhy);
        // In a dataset the file is skipped with that reason; the good images stay.
        const std::string root = corpus::makeFolderDataset(dir + "/set", 2, 2);
        corpus::writeBytes(root + "/id0/photo/bad" + ext, corpus::readBytes(file));
        const auto index = data::loadDataset(root, "folder");
        QCOMPARE(index.images.size(), size_t(8));
        const auto* s = skippedEntry(index, std::string("id0/photo/bad") + ext);
        QVERIFY(s);
        VERIFY_MENTIONS(s->reason, sniffWhy);
    };
}

Check decodesTo(std::function<corpus::Bytes()> make, const char* ext, std::function<void(const cv::Mat&)> verify)
{
    return [=](const std::string& dir) {
        const std::string file = dir + "/img" + ext;
        corpus::writeBytes(file, make());
        QCOMPARE(data::sniffImageFile(file), std::string());
        const cv::Mat rgb = data::decodeImageRgb8(file);
        QCOMPARE(rgb.type(), CV_8UC3);
        verify(rgb);
    };
}

// A CaVI list made of one good line (with `goodSuffix` as its line end) and `badLine`, read by
// the real reader: the good pair is kept, the bad line is reported with its line number.
Check caviList(std::string badLine, std::string issue, std::string prefix = {}, std::string goodSuffix = "\n")
{
    return [=](const std::string& dir) {
        const auto fx = carilab::test::makeCaviFixture(QString::fromStdString(dir), 4, 3);
        const auto index = data::loadDataset(fx.root.toStdString(), "cavi");
        const std::string good = "Person_Bravo Caricature/Person_Bravo\\Person_Bravo_c_0.jpg Person_Bravo Real/Person_Bravo\\Person_Bravo_r_0.jpg 1";
        const std::string file = dir + "/list.txt";
        std::string text = prefix + good + goodSuffix;
        if (!badLine.empty()) text += badLine + "\n";
        corpus::writeText(file, text);
        const auto p = data::readCaviPairs(index, file, 1);
        QCOMPARE(p.pairCount(), size_t(1));
        if (issue.empty()) {
            QCOMPARE(p.issues.size(), size_t(0));
            return;
        }
        QCOMPARE(p.issues.size(), size_t(1));
        QCOMPARE(p.issues[0].line, 2);
        VERIFY_MENTIONS(p.issues[0].where() + ": " + p.issues[0].message, file + ":2", issue);
    };
}

Check landmarkFile(int points, int nanLine, std::string why)
{
    return [=](const std::string& dir) {
        const std::string file = dir + "/C00001.txt";
        corpus::writeText(file, corpus::landmarkPoints(points, nanLine));
        VERIFY_MENTIONS(messageOf([&] { data::readLandmarks17(file); }), file, why);
    };
}

Check configJson(std::string json, std::string why)
{
    return [=](const std::string&) {
        const auto j = nlohmann::json::parse(json);
        VERIFY_MENTIONS(messageOf([&] { run::trainConfigFromJson(j); }), why);
    };
}

std::vector<Row> rows()
{
    using corpus::Bytes;
    std::vector<Row> r;
    // ---- images
    r.push_back({"jpeg truncated",
                 refusedImage([] { return corpus::truncated(corpus::encodeTextured(".jpg", 64, 64), 0.6); }, ".jpg", "JPEG is truncated",
                              "JPEG is truncated")});
    r.push_back({"jpeg corrupt header", refusedImage(corpus::corruptJpegHeader, ".jpg", "not a decodable image", "unrecognised file signature")});
    r.push_back({"png truncated",
                 refusedImage([] { return corpus::truncated(corpus::encodeTextured(".png", 64, 64), 0.5); }, ".png", "not a decodable image",
                              "PNG is truncated")});
    r.push_back({"png corrupt data", [](const std::string& dir) {
                     // The header and trailer are intact, so only decoding can tell; it must refuse.
                     const std::string file = dir + "/bad.png";
                     corpus::writeBytes(file, corpus::corruptPngData());
                     VERIFY_MENTIONS(messageOf([&] { data::decodeImageRgb8(file); }), file, "not a decodable image");
                 }});
    r.push_back({"zero-byte file", refusedImage([] { return Bytes{}; }, ".jpg", "file is empty (0 bytes)", "empty file (0 bytes)")});
    r.push_back({"text named .jpg",
                 refusedImage([] { return Bytes{'h', 'e', 'l', 'l', 'o', '\n'}; }, ".jpg", "not a decodable image",
                              "not an image (unrecognised file signature)")});
    r.push_back({"1x1 image",
                 refusedImage([] { return corpus::encodeSolid(".png", 1, 1, cv::Scalar(1, 2, 3)); }, ".png", "1x1 pixels, too small",
                              "1x1 pixels, too small")});
    r.push_back({"png bomb 30000x30000",
                 refusedImage([] { return corpus::pngHeaderOnly(30000, 30000); }, ".png", "30000x30000 pixels, over the limit",
                              "30000x30000 pixels, over the limit")});
    r.push_back({"jpeg bomb 30000x30000", [](const std::string& dir) {
                     const std::string file = dir + "/bomb.jpg";
                     corpus::writeBytes(file, corpus::jpegHeaderOnly(30000, 30000));
                     VERIFY_MENTIONS(messageOf([&] { data::decodeImageRgb8(file); }), file, "30000x30000 pixels, over the limit");
                 }});
    r.push_back({"cmyk jpeg",
                 decodesTo([] { return corpus::cmykJpeg(0, 255, 255, 0); }, ".jpg",
                           [](const cv::Mat& m) {
                               // Magenta + yellow ink is red.
                               QCOMPARE(m.size(), cv::Size(8, 8));
                               const auto p = rgbAt(m, 4, 4);
                               QVERIFY2(p[0] > 240 && p[1] < 15 && p[2] < 15, qPrintable(QStringLiteral("%1 %2 %3").arg(p[0]).arg(p[1]).arg(p[2])));
                           })});
    r.push_back({"16-bit png",
                 decodesTo([] { return corpus::png16(16, 16, 0x8080); }, ".png",
                           [](const cv::Mat& m) { QCOMPARE(rgbAt(m, 3, 3), cv::Vec3b(128, 128, 128)); })});
    r.push_back({"grayscale png",
                 decodesTo([] { return corpus::encodeGray(".png", 16, 16, 77); }, ".png",
                           [](const cv::Mat& m) { QCOMPARE(rgbAt(m, 5, 5), cv::Vec3b(77, 77, 77)); })});
    r.push_back({"rgba png",
                 decodesTo([] { return corpus::rgbaHalfTransparent(16, 16, cv::Scalar(0, 0, 200)); }, ".png",
                           [](const cv::Mat& m) {
                               QCOMPARE(rgbAt(m, 8, 2), cv::Vec3b(200, 0, 0));  // opaque red stays red
                               QCOMPARE(rgbAt(m, 8, 13), cv::Vec3b(255, 255, 255));  // transparent is paper white
                           })});
    r.push_back({"exif-rotated jpeg",
                 decodesTo([] { return corpus::exifJpeg(40, 20, 6); }, ".jpg",
                           [](const cv::Mat& m) {
                               // Orientation 6: turn 90 degrees clockwise, so the left (red) half goes on top.
                               QCOMPARE(m.size(), cv::Size(20, 40));
                               QVERIFY(rgbAt(m, 5, 10)[0] > 200 && rgbAt(m, 5, 10)[2] < 60);
                               QVERIFY(rgbAt(m, 35, 10)[2] > 200 && rgbAt(m, 35, 10)[0] < 60);
                           })});
    // ---- file system
    r.push_back({"non-utf8 file name", [](const std::string& dir) {
                     const std::string root = corpus::makeFolderDataset(dir + "/set", 2, 2);
                     corpus::writeBytes(root + "/id0/photo/bad\xff.jpg", corpus::encodeTextured(".jpg", 32, 32));
                     const auto index = data::loadDataset(root, "folder");
                     QCOMPARE(index.images.size(), size_t(8));
                     const auto* s = skippedEntry(index, "id0/photo/bad\\xFF.jpg");
                     QVERIFY(s);
                     VERIFY_MENTIONS(s->reason, "not valid UTF-8");
                     QVERIFY(!nlohmann::json(s->path).dump().empty());  // reports stay valid JSON
                 }});
    r.push_back({"non-utf8 identity folder", [](const std::string& dir) {
                     // Latin-1 "Müller": the identity cannot go into config/checkpoint JSON.
                     const std::string root = corpus::makeFolderDataset(dir + "/set", 3, 2, {"id0", "M\xfcller", "id2"});
                     const auto index = data::loadDataset(root, "folder");
                     QCOMPARE(index.identities, (std::vector<std::string>{"id0", "id2"}));
                     QCOMPARE(index.images.size(), size_t(8));
                     QCOMPARE(index.skipped.size(), size_t(4));
                     QVERIFY(hasWarning(index, {"M\\xFCller", "no usable images"}));
                     QVERIFY(!nlohmann::json(index.warnings).dump().empty());
                 }});
    r.push_back({"spaces in names", [](const std::string& dir) {
                     const std::string root = corpus::makeFolderDataset(dir + "/my set", 2, 2, {"Jean Paul", "Anne Marie"});
                     corpus::writeBytes(root + "/Jean Paul/photo/photo 1.jpg", corpus::encodeTextured(".jpg", 32, 32));
                     const auto index = data::loadDataset(root, "folder");
                     QCOMPARE(index.identities, (std::vector<std::string>{"Anne Marie", "Jean Paul"}));
                     QCOMPARE(index.images.size(), size_t(9));
                     QVERIFY(index.skipped.empty());
                     for (const auto& im : index.images) QVERIFY(!data::decodeImageRgb8(index.absolutePath(im)).empty());
                 }});
    r.push_back({"symlink loop", [](const std::string& dir) {
                     const std::string root = corpus::makeFolderDataset(dir + "/set", 2, 2);
                     fs::create_symlink("loop.jpg", root + "/id0/photo/loop.jpg");  // points at itself
                     fs::create_symlink("b.jpg", root + "/id0/photo/a.jpg");  // a -> b -> a
                     fs::create_symlink("a.jpg", root + "/id0/photo/b.jpg");
                     fs::create_directory_symlink("..", root + "/id0/photo/up");  // a folder cycle
                     const auto index = data::loadDataset(root, "folder");
                     QCOMPARE(index.images.size(), size_t(8));
                     for (const char* name : {"id0/photo/loop.jpg", "id0/photo/a.jpg", "id0/photo/b.jpg"}) {
                         const auto* s = skippedEntry(index, name);
                         QVERIFY2(s, name);
                         VERIFY_MENTIONS(s->reason, "looping symbolic link");
                     }
                     QVERIFY(skippedEntry(index, "id0/photo/up"));
                     VERIFY_MENTIONS(messageOf([&] { data::decodeImageRgb8(root + "/id0/photo/loop.jpg"); }), "loop.jpg");
                 }});
    r.push_back({"symlink out of the dataset", [](const std::string& dir) {
                     corpus::writeBytes(dir + "/private/secret.jpg", corpus::encodeTextured(".jpg", 32, 32));
                     const std::string root = corpus::makeFolderDataset(dir + "/set", 2, 2);
                     fs::create_symlink(dir + "/private/secret.jpg", root + "/id1/photo/x.jpg");
                     fs::create_directory_symlink(dir + "/private", root + "/id1/caricature/elsewhere");
                     const auto index = data::loadDataset(root, "folder");
                     QCOMPARE(index.images.size(), size_t(8));
                     for (const auto& im : index.images)
                         QVERIFY(im.path.find("secret") == std::string::npos && im.path.find("x.jpg") == std::string::npos);
                     VERIFY_MENTIONS(skippedEntry(index, "id1/photo/x.jpg")->reason, "leads outside the dataset folder");
                     VERIFY_MENTIONS(skippedEntry(index, "id1/caricature/elsewhere")->reason, "leads outside the dataset folder");
                 }});
    r.push_back({"unreadable file", [](const std::string& dir) {
                     if (::geteuid() == 0) QSKIP("running as root: root reads a chmod 000 file anyway, so there is nothing to refuse");
                     const std::string root = corpus::makeFolderDataset(dir + "/set", 2, 2);
                     const std::string file = root + "/id0/photo/0.jpg";
                     fs::permissions(file, fs::perms::none);
                     VERIFY_MENTIONS(messageOf([&] { data::decodeImageRgb8(file); }), file, "check read permissions");
                     const auto index = data::loadDataset(root, "folder");
                     QCOMPARE(index.images.size(), size_t(7));
                     VERIFY_MENTIONS(skippedEntry(index, "id0/photo/0.jpg")->reason, "check read permissions");
                     fs::permissions(file, fs::perms::owner_all);
                 }});
    // ---- dataset structure
    r.push_back({"dataset with one identity", [](const std::string& dir) {
                     const std::string root = corpus::makeFolderDataset(dir + "/set", 1, 3);
                     QCOMPARE(data::loadDataset(root, "folder").identities.size(), size_t(1));
                     run::Trainer t(tinyTraining(root, 4), dir + "/run");
                     VERIFY_MENTIONS(trainToEnd(t), root, "1 identity", "at least 2");
                     QCOMPARE(run::RunDirectory::open(dir + "/run").status().value("state", ""), std::string("failed"));
                 }});
    r.push_back({"identity with one modality", [](const std::string& dir) {
                     const std::string root = corpus::makeFolderDataset(dir + "/set", 2, 2);
                     fs::remove_all(root + "/id1/caricature");
                     const auto index = data::loadDataset(root, "folder");
                     QCOMPARE(index.images.size(), size_t(6));
                     QVERIFY(hasWarning(index, {"'id1' has photos only"}));
                 }});
    r.push_back({"identities differing by case", [](const std::string& dir) {
                     const std::string root = corpus::makeFolderDataset(dir + "/set", 2, 2, {"Alice", "alice"});
                     const auto index = data::loadDataset(root, "folder");
                     QCOMPARE(index.identities.size(), size_t(2));
                     QCOMPARE(index.images.size(), size_t(8));
                     QVERIFY(hasWarning(index, {"'Alice' and 'alice' differ only in letter case"}));
                 }});
    r.push_back({"empty dataset folder", [](const std::string& dir) {
                     fs::create_directories(dir + "/set/nobody");
                     VERIFY_MENTIONS(messageOf([&] { data::loadDataset(dir + "/set", "folder"); }), dir + "/set", "no identities found");
                 }});
    // ---- protocol lines (CaVI pair lists)
    r.push_back({"protocol missing fields", caviList("Person_Bravo Caricature/Person_Bravo\\Person_Bravo_c_0.jpg Person_Bravo", "found 3 fields")});
    r.push_back({"protocol extra fields",
                 caviList("Person_Bravo Caricature/Person_Bravo\\Person_Bravo_c_0.jpg Person_Bravo Real/Person_Bravo\\Person_Bravo_r_0.jpg 1 extra",
                          "found 6 fields")});
    r.push_back({"protocol unknown name",
                 caviList("Nobody Caricature/Person_Bravo\\Person_Bravo_c_0.jpg Person_Bravo Real/Person_Bravo\\Person_Bravo_r_0.jpg 1",
                          "unknown identity")});
    r.push_back({"protocol unknown image",
                 caviList("Person_Bravo Caricature/Person_Bravo\\Person_Bravo_c_9.jpg Person_Bravo Real/Person_Bravo\\Person_Bravo_r_0.jpg 1",
                          "is not in the dataset")});
    r.push_back(
        {"protocol .. path",
         caviList("Person_Bravo ..\\..\\etc\\passwd Person_Bravo Real/Person_Bravo\\Person_Bravo_r_0.jpg 1", "leaves the dataset folder; refused")});
    r.push_back(
        {"protocol absolute path",
         caviList("Person_Bravo /etc/passwd Person_Bravo Real/Person_Bravo\\Person_Bravo_r_0.jpg 1", "is absolute or leaves the dataset folder")});
    r.push_back({"protocol crlf", caviList("", "", "", "\r\n")});
    r.push_back({"protocol bom", caviList("", "", "\xEF\xBB\xBF")});
    // ---- landmarks
    r.push_back({"landmarks 16 points", landmarkFile(16, 0, "16 points, expected 17")});
    r.push_back({"landmarks 18 points", landmarkFile(18, 0, "18 points, expected 17")});
    r.push_back({"landmarks nan", landmarkFile(17, 4, ":4: expected two numbers")});
    r.push_back({"landmarks.csv nan", [](const std::string& dir) {
                     const std::string root = corpus::makeFolderDataset(dir + "/set", 2, 2);
                     corpus::writeText(root + "/landmarks.csv", "image,a,b,c,d,e,f,g,h,i,j\nid0/photo/0.jpg,1,2,nan,4,5,6,7,8,9,10\n");
                     VERIFY_MENTIONS(messageOf([&] { data::readLandmarksCsv(root + "/landmarks.csv"); }), "landmarks.csv:2", "coordinate 3");
                     // In a dataset the landmarks are dropped with a warning; no image is lost.
                     const auto index = data::loadDataset(root, "folder");
                     QCOMPARE(index.images.size(), size_t(8));
                     QVERIFY(hasWarning(index, {"landmarks.csv:2", "landmarks ignored"}));
                 }});
    // ---- config
    r.push_back({"config wrong type", configJson(R"({"steps": "ten"})", "steps: wrong type (string)")});
    r.push_back({"config unknown key", configJson(R"({"stpes": 10})", "unknown key 'stpes'")});
    r.push_back({"config nested wrong type", configJson(R"({"optimizer": {"lr": [0.1]}})", "lr: wrong type (array)")});
    // ---- checkpoints
    r.push_back({"checkpoint from another backbone", [](const std::string& dir) {
                     SmallModel a(4, 1), b(4, 2);
                     const std::string path = run::saveCheckpoint(dir, 10, a.state(), a.meta, 3);
                     const auto before = b.snapshot();
                     nlohmann::json want = b.meta;
                     want["backbone"] = "face-resnet";
                     VERIFY_MENTIONS(messageOf([&] { run::loadCheckpoint(path, b.state(), want); }), path, "backbone = \"tiny\"",
                                     "needs \"face-resnet\"");
                     QVERIFY(b.sameAs(before));
                 }});
    r.push_back({"checkpoint with mismatched tensors", [](const std::string& dir) {
                     // Its metadata claims the shapes fit (4 classes); the tensors say 5.
                     SmallModel a(5, 1), b(4, 2);
                     nlohmann::json lie = a.meta;
                     lie["num_classes"] = 4;
                     const std::string path = run::saveCheckpoint(dir, 10, a.state(), lie, 3);
                     const auto before = b.snapshot();
                     const std::string m = messageOf([&] { run::loadCheckpoint(path, b.state(), b.meta); });
                     VERIFY_MENTIONS(m, path, "tensor 'model.", "has shape [5", "nothing was loaded");
                     QVERIFY(b.sameAs(before));
                 }});
    r.push_back({"checkpoint truncated", [](const std::string& dir) {
                     SmallModel a(4, 1), b(4, 2);
                     const std::string path = run::saveCheckpoint(dir, 10, a.state(), a.meta, 3);
                     corpus::writeBytes(path, corpus::truncated(corpus::readBytes(path), 0.5));
                     const auto before = b.snapshot();
                     VERIFY_MENTIONS(messageOf([&] { run::loadCheckpoint(path, b.state(), b.meta); }), path, "corrupt or truncated");
                     QVERIFY(b.sameAs(before));
                 }});
    r.push_back({"checkpoint with flipped bytes", [](const std::string& dir) {
                     // 100 bytes flipped inside the tensor data: torch reads them without complaint.
                     SmallModel a(4, 1), b(4, 2);
                     const std::string path = run::saveCheckpoint(dir, 10, a.state(), a.meta, 3);
                     QVERIFY(fs::exists(run::checksumPath(path)));
                     corpus::Bytes bytes = corpus::readBytes(path);
                     for (size_t i = 0; i < 100; ++i) bytes[bytes.size() / 2 + i] ^= 0x5A;
                     corpus::writeBytes(path, bytes);
                     const auto before = b.snapshot();
                     VERIFY_MENTIONS(messageOf([&] { run::loadCheckpoint(path, b.state(), b.meta); }), path, "checksum mismatch", "skipped");
                     QVERIFY(b.sameAs(before));
                     corpus::writeText(run::checksumPath(path), "not a digest\n");
                     VERIFY_MENTIONS(messageOf([&] { run::loadCheckpoint(path, b.state(), b.meta); }), "checksum file", "is damaged");
                     // A checkpoint from before the sidecars (none beside it) is trusted as before.
                     const std::string old = run::saveCheckpoint(dir, 20, a.state(), a.meta, 3);
                     fs::remove(run::checksumPath(old));
                     QCOMPARE(run::loadCheckpoint(old, b.state(), b.meta), 20LL);
                 }});
    r.push_back({"resume past a checkpoint with flipped bytes", [](const std::string& dir) {
                     const std::string root = corpus::makeFolderDataset(dir + "/set", 3, 4);
                     {
                         run::Trainer t(tinyTraining(root, 4), dir + "/run");
                         QCOMPARE(trainToEnd(t), std::string());
                     }
                     const auto rd = run::RunDirectory::open(dir + "/run");
                     const std::string newest = rd.checkpointsDir() + "/step-00000004.pt";
                     corpus::Bytes bytes = corpus::readBytes(newest);
                     for (size_t i = 0; i < 100; ++i) bytes[bytes.size() / 2 + i] ^= 0xFF;
                     corpus::writeBytes(newest, bytes);
                     corpus::writeText(rd.checkpointsDir() + "/step-00000009.pt.sha256", "orphan\n");  // killed between renames
                     auto c = tinyTraining(root, 6);
                     c.dataset.clear();
                     run::Trainer t(c, dir + "/run", /*resume=*/true);
                     QCOMPARE(trainToEnd(t), std::string());
                     VERIFY_MENTIONS(io::readFile(rd.logPath()), "step-00000004.pt: checksum mismatch",
                                     "resumed from " + rd.checkpointsDir() + "/step-00000002.pt");
                     QVERIFY(!fs::exists(rd.checkpointsDir() + "/step-00000009.pt.sha256"));
                     QCOMPARE(rd.status().value("step", 0LL), 6LL);
                 }});
    r.push_back({"checkpoint from another run", [](const std::string& dir) {
                     const std::string rootA = corpus::makeFolderDataset(dir + "/a", 3, 4), rootB = corpus::makeFolderDataset(dir + "/b", 4, 4);
                     for (const auto& [root, run] : {std::pair{rootA, dir + "/runA"}, std::pair{rootB, dir + "/runB"}}) {
                         run::Trainer t(tinyTraining(root, 4), run);
                         QCOMPARE(trainToEnd(t), std::string());
                     }
                     const auto a = run::RunDirectory::open(dir + "/runA"), b = run::RunDirectory::open(dir + "/runB");
                     QVERIFY(!a.runId().empty() && a.runId() != b.runId());
                     // B's newest (4 classes) copied over A's newest, checksum sidecar and all.
                     const std::string aNewest = a.checkpointsDir() + "/step-00000004.pt", bNewest = b.checkpointsDir() + "/step-00000004.pt";
                     fs::copy_file(bNewest, aNewest, fs::copy_options::overwrite_existing);
                     fs::copy_file(run::checksumPath(bNewest), run::checksumPath(aNewest), fs::copy_options::overwrite_existing);
                     const auto latest = run::loadRunModel(a.path(), "latest");
                     QCOMPARE(latest.step, 2LL);  // the foreign newest is passed over for A's own
                     QVERIFY(latest.checkpoint.find("step-00000002.pt") != std::string::npos);
                     VERIFY_MENTIONS(messageOf([&] { run::loadRunModel(a.path(), aNewest); }), "belongs to another run", b.runId());
                     // One of A's own, renamed to look newer: its step would be reported wrongly.
                     const std::string renamed = a.checkpointsDir() + "/step-00000009.pt";
                     fs::copy_file(a.checkpointsDir() + "/step-00000002.pt", renamed);
                     fs::copy_file(run::checksumPath(a.checkpointsDir() + "/step-00000002.pt"), run::checksumPath(renamed));
                     VERIFY_MENTIONS(messageOf([&] { run::loadRunModel(a.path(), renamed); }), "named for step 9 but holds step 2");
                 }});
    r.push_back({"dataset changed under a run", [](const std::string& dir) {
                     const std::string root = corpus::makeFolderDataset(dir + "/set", 3, 4);
                     {
                         // Given relative, stored absolute.
                         run::Trainer t(tinyTraining(fs::relative(root).string(), 2), dir + "/run");
                         QCOMPARE(trainToEnd(t), std::string());
                     }
                     const auto rd = run::RunDirectory::open(dir + "/run");
                     QCOMPARE(rd.config().value("dataset", ""), root);
                     fs::remove_all(root + "/id2");
                     auto c = tinyTraining(root, 4);
                     c.dataset.clear();
                     run::Trainer t(c, rd.path(), /*resume=*/true);
                     const std::string m = trainToEnd(t);
                     VERIFY_MENTIONS(m, "is not the dataset this run was trained on", "identities 3 -> 2 (removed: id2)", "images 24 -> 16");
                     QVERIFY(m.find("restart from step 0") == std::string::npos);
                     const auto e = carilab::test::runCli({"eval", "--run", QString::fromStdString(rd.path()), "--protocol", "images"});
                     QCOMPARE(e.exitCode, 1);
                     VERIFY_MENTIONS(e.err.toStdString(), "removed: id2");
                 }});
    r.push_back({"checkpoint round trip", [](const std::string& dir) {
                     // The validation must not refuse a good checkpoint, and must copy every tensor.
                     SmallModel a(4, 1), b(4, 2);
                     const std::string path = run::saveCheckpoint(dir, 10, a.state(), a.meta, 3);
                     QCOMPARE(run::loadCheckpoint(path, b.state(), b.meta), 10LL);
                     QVERIFY(b.sameAs(a.snapshot()));
                 }});
    // ---- metrics
    r.push_back(
        {"metrics torn last line", [](const std::string& dir) {
             const std::string file = dir + "/metrics.jsonl";
             corpus::writeText(file, "{\"type\":\"train\",\"step\":1,\"loss\":{}}\n{\"type\":\"train\",\"step\":2,\"loss\":{}}\n{\"type\":\"tra");
             const auto m = run::readMetricsFile(file);
             QCOMPARE(m.train.size(), size_t(2));
             QVERIFY(m.truncatedTail);
             QVERIFY(m.problems.empty());
             run::truncateMetricsAfter(file, 2);  // what --resume does: the torn tail goes
             QCOMPARE(io::readFile(file), std::string("{\"type\":\"train\",\"step\":1,\"loss\":{}}\n{\"type\":\"train\",\"step\":2,\"loss\":{}}\n"));
         }});
    r.push_back({"metrics corrupt middle line", [](const std::string& dir) {
                     const std::string file = dir + "/metrics.jsonl";
                     corpus::writeText(file, "{\"step\":1,\"loss\":{}}\n@@garbage@@\n{\"step\":3,\"loss\":{}}\n");
                     const auto m = run::readMetricsFile(file);
                     QCOMPARE(m.train.size(), size_t(2));
                     QCOMPARE(m.problems, (std::vector<std::string>{file + ":2: not a JSON object, skipped"}));
                 }});
    // ---- full disk (RLIMIT_FSIZE: no root, tmpfs or device needed)
    r.push_back({"full disk atomic write", [](const std::string& dir) {
                     const std::string file = dir + "/status.json";
                     io::writeFileAtomic(file, "{\"old\": true}\n");
                     std::string m;
                     {
                         corpus::FileSizeLimit limit(64);
                         m = messageOf([&] { io::writeFileAtomic(file, std::string(4096, 'x')); });
                     }
                     VERIFY_MENTIONS(m, file, "write failed", "File too large");
                     QCOMPARE(io::readFile(file), std::string("{\"old\": true}\n"));
                     QVERIFY(tempFilesIn(dir).empty());
                 }});
    r.push_back({"full disk append", [](const std::string& dir) {
                     const std::string file = dir + "/metrics.jsonl";
                     io::appendLine(file, "{\"step\":1}");
                     const std::string before = io::readFile(file);
                     std::string m;
                     {
                         corpus::FileSizeLimit limit(before.size() + 8);
                         m = messageOf([&] { io::appendLine(file, "{\"step\":2,\"padding\":\"" + std::string(200, 'p') + "\"}"); });
                     }
                     VERIFY_MENTIONS(m, file, "File too large");
                     QCOMPARE(io::readFile(file), before);  // no torn half line left behind
                 }});
    r.push_back({"full disk checkpoint", [](const std::string& dir) {
                     SmallModel a(4, 1), b(4, 2);
                     const std::string first = run::saveCheckpoint(dir, 10, a.state(), a.meta, 3);
                     std::string m;
                     {
                         corpus::FileSizeLimit limit(4096);
                         m = messageOf([&] { run::saveCheckpoint(dir, 20, a.state(), a.meta, 3); });
                     }
                     VERIFY_MENTIONS(m, "step-00000020.pt", "cannot write checkpoint");
                     QCOMPARE(run::listCheckpoints(dir).size(), size_t(1));
                     QVERIFY(tempFilesIn(dir).empty());
                     QCOMPARE(run::loadCheckpoint(first, b.state(), b.meta), 10LL);
                 }});
    // ---- training
    r.push_back({"batch too large for memory", [](const std::string& dir) {
                     SmallModel m(4, 1);
                     const int size = static_cast<int>(m.net->info().inputSize);
                     const double perImage = run::trainingBytesPerImage(m.net, size);
#ifdef __SANITIZE_ADDRESS__
                     // ASan's allocator keeps glibc's heap statistics at zero: nothing to measure.
                     if (perImage == 0) QSKIP("heap growth is not measurable under AddressSanitizer");
#endif
                     QVERIFY2(perImage > 1e3 && perImage < 1e9, qPrintable(QString::number(perImage)));
                     QCOMPARE(messageOf([&] { run::checkBatchFits(8, perImage, run::availableMemoryBytes()); }), std::string());
                     VERIFY_MENTIONS(messageOf([&] { run::checkBatchFits(100000, 1e6, 4000000000LL); }),
                                     "a batch of 100000 images needs about 200.0 GB", "4.0 GB of memory are available",
                                     "the largest batch that fits is about 1800");
                     // The trainer refuses before allocating one (only run where that is certain: never allocate it for real).
                     const int huge = 1000000;
                     if (2.0 * perImage * huge <= 0.9 * static_cast<double>(run::availableMemoryBytes())) QSKIP("this machine could hold the batch");
                     const std::string root = corpus::makeFolderDataset(dir + "/set", 2, 2);
                     auto c = tinyTraining(root, 2);
                     c.batch = huge;
                     run::Trainer t(c, dir + "/run");
                     const std::string err = trainToEnd(t);
                     VERIFY_MENTIONS(err, "a batch of 1000000 images needs about", "the largest batch that fits is about");
                     QVERIFY(err.find("Exception raised from") == std::string::npos);
                 }});
    r.push_back({"nan loss", [](const std::string& dir) {
                     const std::string root = corpus::makeFolderDataset(dir + "/set", 3, 4);
                     auto c = tinyTraining(root, 40);
                     c.optimizer.kind = nn::OptimizerKind::Sgd;
                     c.optimizer.lr = 1e30;  // weights explode: the losses become inf/NaN within steps
                     c.clipNorm = 0;
                     run::Trainer t(c, dir + "/run");
                     const std::string m = trainToEnd(t);
                     VERIFY_MENTIONS(m, "loss became", "training stopped", "last good checkpoint is kept");
                     const auto rd = run::RunDirectory::open(dir + "/run");
                     QCOMPARE(rd.status().value("state", ""), std::string("failed"));
                     QVERIFY(rd.metrics().problems.empty());
                     QVERIFY(t.step() < 40);
                 }});
    for (auto& row : carilab::test::bad::runFolderRows()) r.push_back(std::move(row));
    for (auto& row : carilab::test::bad::cliInputRows()) r.push_back(std::move(row));
    return r;
}

}  // namespace

class TestBadInputs : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { torch::set_num_threads(1); }

    void corpusCoversTheIssue()
    {
        // Issue #8 asks for at least 30 kinds.
        QVERIFY2(rows().size() >= 30, qPrintable(QString::number(rows().size())));
    }

    void badInput_data()
    {
        QTest::addColumn<int>("row");
        const auto all = rows();
        for (size_t i = 0; i < all.size(); ++i) QTest::newRow(all[i].name) << static_cast<int>(i);
    }

    void badInput()
    {
        QFETCH(int, row);
        QTemporaryDir tmp;
        QVERIFY(tmp.isValid());
        const std::string dir = fs::canonical(tmp.path().toStdString()).string();
        rows()[static_cast<size_t>(row)].check(dir);
        // std::filesystem, not QTemporaryDir: QString cannot name the non-UTF-8 files.
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
};

QTEST_GUILESS_MAIN(TestBadInputs)
#include "test_bad_inputs.moc"
