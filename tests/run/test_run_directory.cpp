// Run folders, metrics.jsonl, and the crash-safe file primitives under them.
#include "io/atomic_file.h"
#include "run/metrics_log.h"
#include "run/run_directory.h"
#include "run/weight_dynamics.h"

#include <csignal>
#include <fstream>
#include <set>
#include <sys/resource.h>
#include <thread>
#include <unistd.h>

#include <QtTest/QtTest>

using namespace carilab;
using nlohmann::json;

namespace {

void writeRaw(const QString& path, const std::string& text)
{
    std::ofstream out(path.toStdString(), std::ios::binary | std::ios::trunc);
    out << text;
}

std::string readRaw(const QString& path) { return io::readFile(path.toStdString()); }

// Files in dir whose name contains ".tmp": what a failed or racing atomic write leaves behind.
QStringList tempFiles(const QString& dir) { return QDir(dir).entryList(QStringList{QStringLiteral("*.tmp*")}, QDir::Files | QDir::Hidden); }

QString q(const std::string& s) { return QString::fromStdString(s); }

// A hand-written line, as an older CariLab or an editor may leave it (the run's own writer
// only writes typed records).
void appendLine(const run::RunDirectory& r, const json& line) { io::appendLine(r.metricsPath(), line.dump()); }

json perTask(double v, double c, double p) { return {{"verification", v}, {"caricature", c}, {"visual", p}}; }

}  // namespace

class TestRunDirectory final : public QObject {
    Q_OBJECT

    QTemporaryDir tmp_;
    QString fresh(const char* name) const { return tmp_.filePath(QString::fromLatin1(name)); }

private Q_SLOTS:
    void initTestCase() { QVERIFY(tmp_.isValid()); }

    void createOpenIsRun();
    void createRefusesExistingRun();
    void openRefusesNonRuns_data();
    void openRefusesNonRuns();
    void metricsSeparatesRecordTypes();
    void metricsDamage_data();
    void metricsDamage();
    void truncateMetricsAfterStep();
    void mergeEvalKeys();
    void statusRoundTrip();
    void logLines();
    void weightDynamicsCounts();

    void atomicWriteReplaces();
    void atomicWriteFailureKeepsOldContent_data();
    void atomicWriteFailureKeepsOldContent();
    void atomicWriteDiskFull();
    void atomicWritesFromThreads();
    void appendLineFromThreads();
};

void TestRunDirectory::createOpenIsRun()
{
    const QString p = fresh("runs/deep/run1");  // parents are created
    QVERIFY(!run::RunDirectory::isRun(p.toStdString()));
    const json config = {{"model", "mtl"}, {"lr", 0.01}, {"tasks", {"verification", "caricature"}}};
    const auto r = run::RunDirectory::create(p.toStdString(), config);
    QVERIFY(run::RunDirectory::isRun(p.toStdString()));
    QVERIFY(QFileInfo(q(r.path())).isAbsolute());
    QCOMPARE(QFileInfo(q(r.path())).canonicalFilePath(), QFileInfo(p).canonicalFilePath());
    QVERIFY(QFileInfo(q(r.checkpointsDir())).isDir());
    QVERIFY(QFileInfo::exists(q(r.configPath())));
    QCOMPARE(r.config(), config);
    QCOMPARE(QFileInfo(q(r.metricsPath())).fileName(), QStringLiteral("metrics.jsonl"));
    QCOMPARE(QFileInfo(q(r.evalPath())).fileName(), QStringLiteral("eval.json"));
    QCOMPARE(QFileInfo(q(r.statusPath())).fileName(), QStringLiteral("status.json"));

    const auto opened = run::RunDirectory::open(p.toStdString());
    QCOMPARE(opened.path(), r.path());
    QCOMPARE(opened.config(), config);
    // A fresh run has no metrics, no eval, and status "created".
    const auto m = opened.metrics();
    QVERIFY(m.train.empty() && m.heldOut.empty() && m.other.empty() && !m.truncatedTail && m.problems.empty());
    QCOMPARE(opened.eval(), json::object());
    QCOMPARE(opened.status()["state"].get<std::string>(), std::string("created"));

    json changed = config;
    changed["lr"] = 0.02;
    opened.writeConfig(changed);
    QCOMPARE(r.config()["lr"].get<double>(), 0.02);
    QVERIFY(tempFiles(p).isEmpty());
}

void TestRunDirectory::createRefusesExistingRun()
{
    const QString p = fresh("existing");
    run::RunDirectory::create(p.toStdString(), {{"v", 1}});
    try {
        run::RunDirectory::create(p.toStdString(), {{"v", 2}});
        QFAIL("create() overwrote an existing run");
    } catch (const std::runtime_error& e) {
        QVERIFY2(QString::fromUtf8(e.what()).contains(QStringLiteral("already holds a run")), e.what());
        QVERIFY2(QString::fromUtf8(e.what()).contains(p), e.what());
    }
    QCOMPARE(run::RunDirectory::open(p.toStdString()).config()["v"].get<int>(), 1);
    // An existing folder that is not a run is fine to create in.
    const QString plain = fresh("plain-folder");
    QVERIFY(QDir().mkpath(plain));
    run::RunDirectory::create(plain.toStdString(), json::object());
    QVERIFY(run::RunDirectory::isRun(plain.toStdString()));
    // A file where the folder should go cannot become a run.
    const QString file = fresh("a-file");
    writeRaw(file, "x");
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, run::RunDirectory::create(file.toStdString(), json::object()));
}

void TestRunDirectory::openRefusesNonRuns_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("messagePart");
    QTest::newRow("missing") << "missing"
                             << "does not exist";
    QTest::newRow("no-config") << "noconfig"
                               << "no config.json";
    QTest::newRow("broken-config") << "broken"
                                   << "config.json: not valid JSON";
    QTest::newRow("empty-config") << "emptyconfig"
                                  << "config.json: not valid JSON";
    QTest::newRow("array-config") << "array"
                                  << "expected a JSON object";
    QTest::newRow("file") << "file"
                          << "does not exist";
}

void TestRunDirectory::openRefusesNonRuns()
{
    QFETCH(QString, kind);
    QFETCH(QString, messagePart);
    const QString p = tmp_.filePath(QStringLiteral("notrun-") + QTest::currentDataTag());
    if (kind != "missing" && kind != "file") QVERIFY(QDir().mkpath(p));
    if (kind == "file") writeRaw(p, "{}");
    if (kind == "broken") writeRaw(p + "/config.json", "{\"model\": \"mtl\", \"lr\": ");
    if (kind == "emptyconfig") writeRaw(p + "/config.json", "");
    if (kind == "array") writeRaw(p + "/config.json", "[1, 2]");
    try {
        run::RunDirectory::open(p.toStdString());
        QFAIL("opened something that is not a run");
    } catch (const std::runtime_error& e) {
        const QString msg = QString::fromUtf8(e.what());
        QVERIFY2(msg.contains(messagePart), qPrintable(msg));
        QVERIFY2(msg.contains(p), qPrintable(msg));
        QVERIFY2(!msg.contains('\n'), qPrintable(msg));
    }
}

void TestRunDirectory::metricsSeparatesRecordTypes()
{
    const auto r = run::RunDirectory::create(fresh("types").toStdString(), json::object());
    for (int s = 1; s <= 3; ++s)
        appendLine(r, {{"type", "train"}, {"step", s}, {"loss", {{"verification", 1.0 / s}}}, {"weight", perTask(0.3, 0.3, 0.4)}});
    appendLine(r, {{"step", 4}, {"loss", perTask(0.2, 0.2, 0.2)}});  // no type but a loss: a train record
    appendLine(r, {{"type", "eval"}, {"step", 4}, {"caricature_acc", 0.5}});
    appendLine(r, {{"type", "checkpoint"}, {"step", 4}, {"file", "step4.pt"}});
    appendLine(r, {{"type", "eval"}, {"step", 8}, {"caricature_acc", 0.7}});
    const auto m = r.metrics();
    QCOMPARE(m.train.size(), size_t(4));
    QCOMPARE(m.heldOut.size(), size_t(2));
    QCOMPARE(m.other.size(), size_t(1));
    QVERIFY(!m.truncatedTail);
    QVERIFY(m.problems.empty());
    QCOMPARE(m.train[0].step, 1LL);  // file order kept
    QCOMPARE(m.train[3].step, 4LL);
    QCOMPARE(m.train[0].loss->at(0), 1.0);
    QVERIFY(std::isnan(m.train[0].loss->at(1)));  // a task the line lacks
    QCOMPARE(m.heldOut[1].figures.caricatureAcc, std::optional<double>(0.7));
    QCOMPARE(m.other[0].type, std::string("checkpoint"));
    QCOMPARE(m.other[0].json["file"].get<std::string>(), std::string("step4.pt"));
    // The file is plain JSON Lines: one object per line.
    const std::string text = readRaw(q(r.metricsPath()));
    QCOMPARE(std::count(text.begin(), text.end(), '\n'), 7L);
    // The run's own writer appends typed records.
    run::StepRecord step;
    step.step = 9;
    r.appendMetrics(step);
    QCOMPARE(r.metrics().train.back().step, 9LL);
    // A missing file reads as empty.
    const auto none = run::readMetricsFile(fresh("no-such-metrics.jsonl").toStdString());
    QVERIFY(none.train.empty() && none.problems.empty() && !none.truncatedTail);
}

void TestRunDirectory::metricsDamage_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<int>("train");
    QTest::addColumn<bool>("torn");
    QTest::addColumn<QStringList>("problems");  // expected "line N" prefixes
    const QByteArray a = R"({"type":"train","step":1,"loss":{"verification":1.5}})"
                         "\n";
    const QByteArray b = R"({"type":"train","step":2,"loss":{"verification":1.2}})"
                         "\n";
    const QByteArray c = R"({"type":"train","step":3,"loss":{"verification":1.0}})"
                         "\n";
    auto row = [](const char* tag, const QByteArray& text, int train, bool torn, const QStringList& problems) {
        QTest::newRow(tag) << text << train << torn << problems;
    };
    row("clean", a + b + c, 3, false, {});
    row("torn-tail", a + b + c + R"({"type":"train","step":4,"lo)", 3, true, {});
    row("torn-tail-one-byte", a + b + "{", 2, true, {});
    row("complete-tail-without-newline", a + b + c.left(c.size() - 1), 3, false, {});
    row("corrupt-middle", a + "{\"type\":\"tr#@!\n" + b + c, 3, false, {"line 2"});
    row("non-object-middle", a + "[1,2,3]\n" + b + "42\n" + c, 3, false, {"line 2", "line 4"});
    row("blank-lines", a + "\n\n" + b + "\n", 2, false, {});
    row("corrupt-middle-and-torn", a + "garbage\n" + b + R"({"ty)", 2, true, {"line 2"});
    row("corrupt-complete-last-line", a + b + "not json at all\n", 2, false, {"line 3"});
    row("wrong-type-middle",
        a +
            R"({"type":"train","step":2,"loss":1.2})"
            "\n" +
            c,
        2, false, {"line 2"});
    row("fractional-step-middle",
        a +
            R"({"type":"train","step":2.5})"
            "\n" +
            c,
        2, false, {"line 2"});
    row("crlf",
        R"({"type":"train","step":1,"loss":{"visual":1}})"
        "\r\n",
        1, false, {});
}

void TestRunDirectory::metricsDamage()
{
    QFETCH(QByteArray, text);
    QFETCH(int, train);
    QFETCH(bool, torn);
    QFETCH(QStringList, problems);
    const QString p = tmp_.filePath(QStringLiteral("damage-%1.jsonl").arg(QTest::currentDataTag()));
    writeRaw(p, text.toStdString());
    const auto m = run::readMetricsFile(p.toStdString());
    QCOMPARE(static_cast<int>(m.train.size()), train);
    QCOMPARE(m.truncatedTail, torn);
    QCOMPARE(static_cast<int>(m.problems.size()), static_cast<int>(problems.size()));
    // Each problem names the file and the line: "<path>:<line>: why, skipped".
    for (int i = 0; i < problems.size(); ++i) {
        const QString expected = p + QLatin1Char(':') + problems[i].mid(5) + QLatin1Char(':');
        QVERIFY2(q(m.problems[static_cast<size_t>(i)]).startsWith(expected), m.problems[static_cast<size_t>(i)].c_str());
        QVERIFY2(q(m.problems[static_cast<size_t>(i)]).endsWith(QStringLiteral(", skipped")), m.problems[static_cast<size_t>(i)].c_str());
    }
    for (size_t i = 1; i < m.train.size(); ++i) QVERIFY(m.train[i].step > m.train[i - 1].step);
}

void TestRunDirectory::truncateMetricsAfterStep()
{
    const auto r = run::RunDirectory::create(fresh("truncate").toStdString(), json::object());
    for (int s = 1; s <= 10; ++s) {
        appendLine(r, {{"type", "train"}, {"step", s}, {"loss", perTask(1.0 / s, 1.0, 1.0)}});
        if (s % 5 == 0) appendLine(r, {{"type", "eval"}, {"step", s}, {"visual_acc", s / 10.0}});
    }
    appendLine(r, {{"type", "note"}, {"message", "no step: kept"}});
    {
        std::ofstream out(r.metricsPath(), std::ios::app | std::ios::binary);
        out << R"({"type":"train","step":11,"lo)";  // the writer died mid-line
    }
    QVERIFY(r.metrics().truncatedTail);
    run::truncateMetricsAfter(r.metricsPath(), 6);
    const auto m = r.metrics();
    QCOMPARE(m.train.size(), size_t(6));
    QCOMPARE(m.train.back().step, 6LL);
    QCOMPARE(m.heldOut.size(), size_t(1));
    QCOMPARE(m.heldOut[0].step, 5LL);
    QCOMPARE(m.other.size(), size_t(1));
    QVERIFY(!m.truncatedTail);  // the torn line is gone
    QVERIFY(m.problems.empty());
    const std::string text = readRaw(q(r.metricsPath()));
    QVERIFY(!text.empty() && text.back() == '\n');
    QVERIFY(tempFiles(q(r.path())).isEmpty());
    // Appending after the truncation continues cleanly.
    run::StepRecord seven;
    seven.step = 7;
    r.appendMetrics(seven);
    QCOMPARE(r.metrics().train.size(), size_t(7));
    // Truncating before the first step keeps only step-less records; a missing file stays missing.
    run::truncateMetricsAfter(r.metricsPath(), 0);
    QCOMPARE(r.metrics().train.size(), size_t(0));
    QCOMPARE(r.metrics().other.size(), size_t(1));
    const QString missing = fresh("missing-metrics.jsonl");
    run::truncateMetricsAfter(missing.toStdString(), 3);
    QVERIFY(!QFileInfo::exists(missing));
}

void TestRunDirectory::mergeEvalKeys()
{
    const auto r = run::RunDirectory::create(fresh("eval").toStdString(), json::object());
    r.mergeEval({{"verification", {{"auc", 0.9}}}, {"step", 100}});
    r.mergeEval({{"identification", {{"rank1", 0.6}}}, {"step", 200}});
    const json e = r.eval();
    QCOMPARE(e["verification"]["auc"].get<double>(), 0.9);  // kept
    QCOMPARE(e["identification"]["rank1"].get<double>(), 0.6);  // added
    QCOMPARE(e["step"].get<int>(), 200);  // replaced
    QCOMPARE(e.size(), size_t(3));
    QCOMPARE(json::parse(readRaw(q(r.evalPath()))), e);  // what is on disk
    QVERIFY(tempFiles(q(r.path())).isEmpty());
    // A corrupt eval.json is reported, not silently replaced by a partial merge.
    writeRaw(q(r.evalPath()), "{\"verification\": ");
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, r.mergeEval({{"x", 1}}));
    QCOMPARE(readRaw(q(r.evalPath())), std::string("{\"verification\": "));
}

void TestRunDirectory::statusRoundTrip()
{
    const auto r = run::RunDirectory::create(fresh("status").toStdString(), json::object());
    r.writeStatus("running", 42);
    json s = r.status();
    QCOMPARE(s["state"].get<std::string>(), std::string("running"));
    QCOMPARE(s["step"].get<long long>(), 42LL);
    QVERIFY(!s.contains("message"));
    QVERIFY(s["updated"].get<std::string>().size() == 20);  // 2024-01-02T03:04:05Z
    r.writeStatus("failed", 9'000'000'000LL, "out of memory at step 9e9");
    s = r.status();
    QCOMPARE(s["state"].get<std::string>(), std::string("failed"));
    QCOMPARE(s["step"].get<long long>(), 9'000'000'000LL);
    QCOMPARE(s["message"].get<std::string>(), std::string("out of memory at step 9e9"));
    // A damaged status file reads as "unknown" with the reason, never throws.
    writeRaw(q(r.statusPath()), "{\"state\":");
    s = r.status();
    QCOMPARE(s["state"].get<std::string>(), std::string("unknown"));
    QVERIFY(s["message"].get<std::string>().find("status.json") != std::string::npos);
    QVERIFY(tempFiles(q(r.path())).isEmpty());
}

void TestRunDirectory::logLines()
{
    const auto r = run::RunDirectory::create(fresh("log").toStdString(), json::object());
    r.log("started");
    r.log("step 1 done");
    const QStringList lines = q(readRaw(q(r.logPath()))).split('\n', Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 2);
    const QRegularExpression stamp(QStringLiteral("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ  step 1 done$"));
    QVERIFY2(stamp.match(lines[1]).hasMatch(), qPrintable(lines[1]));
}

// ---------------------------------------------------------------------------------------------
// Atomic files

void TestRunDirectory::atomicWriteReplaces()
{
    const QString p = fresh("atomic.txt");
    io::writeFileAtomic(p.toStdString(), "first");
    QCOMPARE(readRaw(p), std::string("first"));
    io::writeFileAtomic(p.toStdString(), std::string("second\0with nul", 15));
    QCOMPARE(readRaw(p), std::string("second\0with nul", 15));
    io::writeFileAtomic(p.toStdString(), "");
    QCOMPARE(readRaw(p), std::string());
    QVERIFY(tempFiles(tmp_.path()).isEmpty());
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, io::readFile(fresh("nope.txt").toStdString()));
}

void TestRunDirectory::atomicWriteFailureKeepsOldContent_data()
{
    QTest::addColumn<QString>("kind");
    QTest::newRow("missing-parent-folder") << "noparent";
    QTest::newRow("target-is-a-folder") << "folder";
    QTest::newRow("read-only-folder") << "readonly";
}

void TestRunDirectory::atomicWriteFailureKeepsOldContent()
{
    QFETCH(QString, kind);
    const QString dir = tmp_.filePath(QStringLiteral("fail-") + QTest::currentDataTag());
    QVERIFY(QDir().mkpath(dir));
    QString target = dir + "/data.json";
    if (kind == "noparent") target = dir + "/missing/sub/data.json";
    if (kind == "folder") QVERIFY(QDir().mkpath(target + "/inside"));
    if (kind == "readonly") {
        if (::geteuid() == 0) QSKIP("running as root: permissions do not stop writes");
        writeRaw(target, "old content");
        QVERIFY(QFile::setPermissions(dir, QFile::ReadOwner | QFile::ExeOwner));
    }
    const QStringList before = QDir(dir).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden);
    try {
        io::writeFileAtomic(target.toStdString(), "new content");
        QFile::setPermissions(dir, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
        QFAIL("the write did not fail");
    } catch (const std::runtime_error& e) {
        QVERIFY2(QString::fromUtf8(e.what()).contains(target), e.what());
    }
    QCOMPARE(QDir(dir).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden), before);  // no temp left
    if (kind == "folder") QVERIFY(QFileInfo(target + "/inside").isDir());
    if (kind == "readonly") {
        QCOMPARE(readRaw(target), std::string("old content"));
        QVERIFY(QFile::setPermissions(dir, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner));
    }
}

void TestRunDirectory::atomicWriteDiskFull()
{
    // Simulate a full disk with the file-size limit: write() fails with EFBIG half way, as it
    // would with ENOSPC. Works as root too.
    const QString dir = fresh("diskfull");
    QVERIFY(QDir().mkpath(dir));
    const QString p = dir + "/eval.json";
    io::writeFileAtomic(p.toStdString(), "{\"old\": true}\n");
    const std::string big(256 * 1024, 'x');

    struct rlimit old {};
    QCOMPARE(::getrlimit(RLIMIT_FSIZE, &old), 0);
    const auto oldHandler = std::signal(SIGXFSZ, SIG_IGN);
    struct rlimit small = old;
    small.rlim_cur = 64 * 1024;
    QCOMPARE(::setrlimit(RLIMIT_FSIZE, &small), 0);
    std::string error;
    try {
        io::writeFileAtomic(p.toStdString(), big);
    } catch (const std::runtime_error& e) {
        error = e.what();
    }
    ::setrlimit(RLIMIT_FSIZE, &old);
    std::signal(SIGXFSZ, oldHandler);

    QVERIFY2(!error.empty(), "a write past the file-size limit did not throw");
    QVERIFY2(error.find(p.toStdString()) != std::string::npos, error.c_str());
    QCOMPARE(readRaw(p), std::string("{\"old\": true}\n"));
    QCOMPARE(QDir(dir).entryList(QDir::Files | QDir::Hidden), QStringList{QStringLiteral("eval.json")});
}

void TestRunDirectory::atomicWritesFromThreads()
{
    // The GUI thread and the trainer may both rewrite status.json: each reader must see one
    // whole version, never a mix or a torn file, and no temp file may survive.
    const QString dir = fresh("atomic-threads");
    QVERIFY(QDir().mkpath(dir));
    const std::string p = (dir + "/status.json").toStdString();
    io::writeFileAtomic(p, std::string(4096, 'a'));
    std::vector<std::thread> threads;
    std::atomic<int> errors{0};
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            const std::string content(4096 + t * 1000, static_cast<char>('b' + t));
            for (int i = 0; i < 100; ++i) {
                try {
                    io::writeFileAtomic(p, content);
                } catch (const std::exception&) {
                    ++errors;
                }
            }
        });
    std::atomic<bool> done{false};
    std::atomic<int> torn{0};
    std::thread reader([&] {
        while (!done) {
            const std::string s = io::readFile(p);
            if (s.empty() || s.find_first_not_of(s[0]) != std::string::npos || (s.size() - 4096) % 1000 != 0) ++torn;
        }
    });
    for (auto& t : threads) t.join();
    done = true;
    reader.join();
    QCOMPARE(errors.load(), 0);
    QCOMPARE(torn.load(), 0);
    const std::string last = io::readFile(p);
    QVERIFY(last.size() >= 4096 && last.find_first_not_of(last[0]) == std::string::npos);
    QCOMPARE(QDir(dir).entryList(QDir::Files | QDir::Hidden), QStringList{QStringLiteral("status.json")});
}

void TestRunDirectory::appendLineFromThreads()
{
    const QString p = fresh("append.jsonl");
    const std::string pad(300, 'p');  // long lines make interleaving likely if writes were split
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 200; ++i) io::appendLine(p.toStdString(), json{{"t", t}, {"i", i}, {"pad", pad}}.dump());
        });
    for (auto& t : threads) t.join();
    const std::string text = readRaw(p);
    QVERIFY(!text.empty() && text.back() == '\n');
    const QStringList lines = q(text).split('\n', Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 800);
    std::set<std::pair<int, int>> seen;
    std::array<int, 4> lastI = {-1, -1, -1, -1};
    for (const QString& line : lines) {
        const json j = json::parse(line.toStdString(), nullptr, false);
        QVERIFY2(!j.is_discarded() && j.is_object(), qPrintable(line.left(80)));
        const int t = j["t"].get<int>(), i = j["i"].get<int>();
        QCOMPARE(j["pad"].get<std::string>(), pad);
        QVERIFY(seen.insert({t, i}).second);
        QVERIFY(i > lastI[static_cast<size_t>(t)]);  // each thread's lines in its own order
        lastI[static_cast<size_t>(t)] = i;
    }
    QCOMPARE(seen.size(), size_t(800));
    // And readMetricsFile sees them all as clean records (no "loss": "other").
    const auto m = run::readMetricsFile(p.toStdString());
    QCOMPARE(m.other.size(), size_t(800));
    QVERIFY(m.problems.empty() && !m.truncatedTail);
}

QTEST_GUILESS_MAIN(TestRunDirectory)
#include "test_run_directory.moc"

// A hand-made run: caricature's loss is highest until step 6, then verification's; the weights
// follow it one record late (the windowed mean lags), and visual always has the lowest weight.
void TestRunDirectory::weightDynamicsCounts()
{
    std::vector<run::StepRecord> train;
    for (int step = 1; step <= 10; ++step) {
        const bool early = step <= 5;
        run::StepRecord r;
        r.step = step;
        r.loss = run::TaskValues{early ? 1.0 : 3.0, early ? 2.0 : 0.5, 0.2};
        const bool cariOnTop = step <= 6;
        r.weight = run::TaskValues{cariOnTop ? 0.3 : 0.6, cariOnTop ? 0.6 : 0.3, 0.1};
        train.push_back(r);
    }
    run::StepRecord noWeights;  // ignored
    noWeights.step = 11;
    noWeights.loss = run::TaskValues{1, 1, 1};
    train.push_back(noWeights);

    const auto all = run::weightDynamics(train, 0, 1);
    QCOMPARE(all.records, size_t(10));
    QCOMPARE(all.follow, 0.9);  // step 6: verification's loss is already highest, caricature still weighs most
    QCOMPARE(all.hardestTask, 0);  // mean loss verification 2.0, caricature 1.25
    QCOMPARE(all.hardestStarved, 0.0);
    QCOMPARE(all.topShare[1], 0.6);
    QVERIFY(std::abs(all.meanWeight[2] - 0.1) < 1e-12);

    const auto late = run::weightDynamics(train, 7, 1);
    QCOMPARE(late.records, size_t(4));
    QCOMPARE(late.follow, 1.0);

    // A 5-record mean of the loss sees the switch one step later, as the weights did.
    const auto smooth = run::weightDynamics(train, 0, 5);
    QCOMPARE(smooth.window, size_t(5));
    QCOMPARE(smooth.follow, 1.0);
    QVERIFY(QString::fromStdString(run::describe(all)).contains(QStringLiteral("hardest task verification")));

    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, run::weightDynamics(train, 12));
}
