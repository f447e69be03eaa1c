// Issue #19's command-line rows: inputs that are not regular files (a FIFO blocks on open,
// /dev/zero never ends), roc's folds and one-class files, --threads, and numeric options.
#include "bad_input_corpus.h"
#include "bad_input_rows.h"
#include "test_support.h"

#include "data/dataset_registry.h"
#include "data/image_decode.h"
#include "run/trainer.h"
#include "run/user_message.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <sys/stat.h>

#include <filesystem>
#include <thread>

namespace carilab::test::bad {
namespace {
namespace corpus = carilab::test::corpus;

// Short enough that a hang fails the row instead of the whole test.
constexpr int kNoHangMs = 30000;

QString q(const std::string& s) { return QString::fromStdString(s); }

std::string fifo(const std::string& path)
{
    if (::mkfifo(path.c_str(), 0644) != 0) throw std::runtime_error("mkfifo " + path + " failed");
    return path;
}

void nonRegularInputs(const std::string& dir)
{
    const std::string pipe = fifo(dir + "/query.jpg");
    VERIFY_MENTIONS(messageOf([&] { data::decodeImageRgb8(pipe); }), pipe, "is a pipe (FIFO)");
    VERIFY_MENTIONS(messageOf([&] { data::decodeImageRgb8("/dev/zero"); }), "/dev/zero", "is a character device");
    auto r = runCli({"match", "--image", q(pipe), "--pretrained", "face-resnet", "--gallery", q(dir)}, kNoHangMs);
    QCOMPARE(r.exitCode, 1);
    VERIFY_MENTIONS(r.err.toStdString(), "is a pipe (FIFO), not a regular file");
    r = runCli({"roc", "--scores", "/dev/zero"}, kNoHangMs);
    QCOMPARE(r.exitCode, 1);
    VERIFY_MENTIONS(r.err.toStdString(), "/dev/zero", "is a character device");
    r = runCli({"roc", "--scores", q(fifo(dir + "/scores.csv"))}, kNoHangMs);
    QCOMPARE(r.exitCode, 1);
    VERIFY_MENTIONS(r.err.toStdString(), "is a pipe (FIFO)");
    r = runCli({"train", "--config", "/dev/zero", "--run-dir", q(dir + "/run")}, kNoHangMs);
    QCOMPARE(r.exitCode, 1);
    VERIFY_MENTIONS(r.err.toStdString(), "is a character device");
    // In a dataset a FIFO named like an image is skipped with its reason; the scan goes on.
    const std::string root = corpus::makeFolderDataset(dir + "/set", 2, 2);
    fifo(root + "/id0/photo/pipe.jpg");
    const auto index = data::loadDataset(root, "folder");
    QCOMPARE(index.images.size(), size_t(8));
    bool skipped = false;
    for (const auto& s : index.skipped) skipped |= s.path == "id0/photo/pipe.jpg" && mentions(s.reason, {"is a pipe"});
    QVERIFY(skipped);
}

std::string scores(const std::string& dir, int rows, bool oneClass)
{
    std::string text = "score,label\n";
    for (int i = 0; i < rows; ++i) text += std::to_string(0.01 * i) + "," + (oneClass || i % 2 ? "1" : "0") + "\n";
    corpus::writeText(dir + "/scores.csv", text);
    return dir + "/scores.csv";
}

void rocFolds(const std::string& dir)
{
    const QString file = q(scores(dir, 20, false));
    for (const char* bad : {"0", "-1"}) {
        const auto r = runCli({"roc", "--scores", file, "--folds", bad}, kNoHangMs);
        QCOMPARE(r.exitCode, 2);
        VERIFY_MENTIONS(r.err.toStdString(), "--folds must be at least 1");
    }
    auto r = runCli({"roc", "--scores", file, "--folds", "21"}, kNoHangMs);
    QCOMPARE(r.exitCode, 2);
    VERIFY_MENTIONS(r.err.toStdString(), "is more than the 20 usable rows");
    r = runCli({"roc", "--scores", file, "--folds", "20", "--json"}, kNoHangMs);
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(nlohmann::json::parse(r.out.toStdString())["verification"]["folds"].size(), size_t(20));
}

void rocOneClassAndSubnormals(const std::string& dir)
{
    auto r = runCli({"roc", "--scores", q(scores(dir, 12, true)), "--json"}, kNoHangMs);
    QCOMPARE(r.exitCode, 0);
    VERIFY_MENTIONS(r.err.toStdString(), "warning", "only positive (same-person) pairs", "undefined");
    VERIFY_MENTIONS(nlohmann::json::parse(r.out.toStdString()).value("metrics_undefined", ""), "only positive");
    corpus::writeText(dir + "/tiny.csv", "1e-320,1\n-4.9e-324,0\n0.5,1\n0.25,0\n");
    r = runCli({"roc", "--scores", q(dir + "/tiny.csv"), "--folds", "2", "--json"}, kNoHangMs);
    QCOMPARE(r.exitCode, 0);
    const auto j = nlohmann::json::parse(r.out.toStdString());
    QCOMPARE(j.value("skipped", -1), 0);
    QVERIFY(!j.contains("metrics_undefined"));
}

void threadsOverCores(const std::string& dir)
{
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    const std::string w = run::Trainer::configureThreads(999);
    torch::set_num_threads(1);  // what this test runs with
    VERIFY_MENTIONS(w, "threads 999 is more than the " + std::to_string(cores) + " cores", "using " + std::to_string(cores));
    QCOMPARE(run::Trainer::configureThreads(static_cast<int>(cores)), std::string());
    torch::set_num_threads(1);
    auto r = runCli({"eval", "--run", q(dir + "/none"), "--protocol", "images", "--threads", "999"}, kNoHangMs);
    VERIFY_MENTIONS(r.err.toStdString(), "warning: threads 999 is more than the");
    r = runCli({"eval", "--run", q(dir + "/none"), "--protocol", "images", "--threads", "-2"}, kNoHangMs);
    QCOMPARE(r.exitCode, 2);
    VERIFY_MENTIONS(r.err.toStdString(), "--threads must be 0 (all cores) or more");
}

void numericOptions(const std::string& dir)
{
    const std::string image = dir + "/q.jpg";
    corpus::writeBytes(image, corpus::encodeTextured(".jpg", 64, 48));
    const QStringList match = {"match", "--image", q(image), "--pretrained", "face-resnet", "--gallery", q(dir)};
    const std::vector<std::pair<QStringList, std::string>> cases = {
        {match + QStringList{"--box", "-10,-10,5,5"}, "is not inside the 64x48 image"},
        {match + QStringList{"--box", "60,40,10,10"}, "is not inside the 64x48 image"},
        {match + QStringList{"--top", "0"}, "--top must be between 1 and"},
        {match + QStringList{"--top", "-5"}, "--top must be between 1 and"},
        {match + QStringList{"--threshold", "nan"}, "--threshold expects a finite number"},
        {match + QStringList{"--threshold", "7"}, "--threshold must be between -1 and 1"},
        {{"eval", "--run", q(dir), "--protocol", "images", "--batch", "0"}, "--batch must be between 1 and 4096"},
        {{"export", "--run", q(dir), "--out", q(dir + "/f.png"), "--width", "0"}, "--width must be between 16 and 20000"},
        {{"export", "--run", q(dir), "--out", q(dir + "/f.png"), "--width", "-5"}, "--width must be between 16 and 20000"},
        {{"export", "--run", q(dir), "--out", q(dir + "/f.png"), "--dpi", "0"}, "--dpi must be between 10 and 2400"},
        {{"export", "--run", q(dir), "--out", q(dir + "/f.png"), "--smoothing", "2"}, "--smoothing must be between 0 and 0.99"},
        {{"export", "--run", q(dir), "--out", q(dir + "/f.png"), "--smoothing", "nan"}, "--smoothing expects a finite number"},
    };
    // A headless build (no Qt widgets, as in the sanitizer trees) has no export command.
    const bool hasExport = !runCli({"export", "--help"}, kNoHangMs).err.contains(QStringLiteral("unknown command"));
    for (const auto& [args, why] : cases) {
        if (!hasExport && args.first() == QLatin1String("export")) continue;
        const auto r = runCli(args, kNoHangMs);
        QVERIFY2(r.exitCode == 2, qPrintable(args.join(' ') + ": " + r.err));
        VERIFY_MENTIONS(r.err.toStdString(), why);
    }
}

void torchErrorMessages(const std::string&)
{
    std::string raw, shown;
    try {
        TORCH_CHECK(false, "DefaultCPUAllocator: can't allocate memory: you tried to allocate 26843545600 bytes");
    } catch (const std::exception& e) {
        raw = e.what();
        shown = run::userMessage(e, 100000);
    }
    QVERIFY2(raw.find("Exception raised from") != std::string::npos, raw.c_str());  // what LibTorch hands over
    QVERIFY2(shown.find("Exception raised from") == std::string::npos && shown.find("frame #") == std::string::npos, shown.c_str());
    VERIFY_MENTIONS(shown, "not enough memory for a batch of 100000 images", "26843545600 bytes", "try a smaller --batch");
}

}  // namespace

std::vector<Row> cliInputRows()
{
    return {
        {"inputs that are not regular files", nonRegularInputs},
        {"roc folds out of range", rocFolds},
        {"roc one class, subnormal scores", rocOneClassAndSubnormals},
        {"threads over the cores", threadsOverCores},
        {"numeric options out of range", numericOptions},
        {"LibTorch error with a backtrace", torchErrorMessages},
    };
}

}  // namespace carilab::test::bad
