// carilab-cli dataset info (and --help, synth) through the real binary.
#include "test_support.h"

#include <opencv2/imgcodecs.hpp>

#include <fstream>

#include <QtTest/QtTest>

using carilab::test::CliResult;
using carilab::test::runCli;

namespace {

void writeImage(const QString& path, int seed)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    cv::Mat m(40, 40, CV_8UC3);
    cv::RNG rng(static_cast<std::uint64_t>(seed));
    rng.fill(m, cv::RNG::UNIFORM, 0, 256);
    if (!cv::imwrite(path.toStdString(), m)) qFatal("cannot write %s", qPrintable(path));
}

void writeText(const QString& path, const std::string& text)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    std::ofstream out(path.toStdString(), std::ios::binary | std::ios::trunc);
    out << text;
}

QString describe(const CliResult& r) { return QStringLiteral("exit %1\n--- stdout\n%2\n--- stderr\n%3").arg(r.exitCode).arg(r.out, r.err); }

}  // namespace

class TestCliDataset final : public QObject {
    Q_OBJECT

    QTemporaryDir tmp_;
    QString root_;

private Q_SLOTS:
    void initTestCase();
    void topLevelHelp();
    void datasetHelp_data();
    void datasetHelp();
    void infoText();
    void infoJson();
    void badInput_data();
    void badInput();
    void synthThenInfo();
};

void TestCliDataset::initTestCase()
{
    QVERIFY(tmp_.isValid());
    QVERIFY2(QFileInfo(carilab::test::cliPath()).isExecutable(), qPrintable(carilab::test::cliPath()));
    root_ = tmp_.filePath(QStringLiteral("ds"));
    int seed = 0;
    // ann: 2 photos, 3 caricatures; ben: 1 photo, 1 caricature; cy: 2 photos only.
    for (int i = 0; i < 2; ++i) writeImage(root_ + QStringLiteral("/ann/photo/%1.png").arg(i), ++seed);
    for (int i = 0; i < 3; ++i) writeImage(root_ + QStringLiteral("/ann/caricature/%1.jpg").arg(i), ++seed);
    writeImage(root_ + "/ben/photo/0.png", ++seed);
    writeImage(root_ + "/ben/caricature/0.png", ++seed);
    for (int i = 0; i < 2; ++i) writeImage(root_ + QStringLiteral("/cy/photo/%1.bmp").arg(i), ++seed);
    writeText(root_ + "/ann/photo/notes.txt", "not an image\n");
    writeText(root_ + "/ben/photo/broken.jpg", "text, not a jpeg\n");
    writeText(root_ + "/landmarks.csv", "image,x\nann/photo/0.png,1,2,3,4,5,6,7,8,9,10\n");
}

void TestCliDataset::topLevelHelp()
{
    const CliResult r = runCli({QStringLiteral("--help")});
    QVERIFY2(r.exitCode == 0, qPrintable(describe(r)));
    QVERIFY2(r.out.contains(QStringLiteral("usage: carilab-cli")), qPrintable(describe(r)));
    for (const char* cmd : {"dataset", "synth", "demo"})
        QVERIFY2(r.out.contains(QRegularExpression(QStringLiteral("\\n  %1 +\\S").arg(QLatin1String(cmd)))),
                 qPrintable(QStringLiteral("command %1 not listed\n").arg(QLatin1String(cmd)) + describe(r)));
    QVERIFY2(r.err.isEmpty(), qPrintable(describe(r)));

    // No arguments: help, but a usage failure exit code.
    const CliResult none = runCli({});
    QCOMPARE(none.exitCode, 2);
    QVERIFY(none.out.contains(QStringLiteral("usage: carilab-cli")));
}

void TestCliDataset::datasetHelp_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QStringList>("mentions");
    QTest::newRow("dataset info --help") << QStringList{"dataset", "info", "--help"}
                                         << QStringList{"usage: carilab-cli dataset info PATH", "--json", "--format", "auto|folder"};
    QTest::newRow("dataset --help") << QStringList{"dataset", "--help"} << QStringList{"dataset info PATH"};
}

void TestCliDataset::datasetHelp()
{
    QFETCH(QStringList, args);
    QFETCH(QStringList, mentions);
    const CliResult r = runCli(args);
    QVERIFY2(r.exitCode == 0, qPrintable(describe(r)));
    for (const QString& m : mentions) QVERIFY2(r.out.contains(m), qPrintable(m + " missing\n" + describe(r)));
    QVERIFY2(r.err.isEmpty(), qPrintable(describe(r)));
}

void TestCliDataset::infoText()
{
    const CliResult r = runCli({QStringLiteral("dataset"), QStringLiteral("info"), root_});
    QVERIFY2(r.exitCode == 0, qPrintable(describe(r)));
    for (const QString& want : {QStringLiteral("format      folder"), QStringLiteral("identities  3 (2 with both modalities)"),
                                QStringLiteral("images      9: 5 photos, 4 caricatures, 1 with landmarks"),
                                QStringLiteral("per identity photos: min 1, max 2"), QStringLiteral("per identity caricatures: min 0, max 3"),
                                QStringLiteral("skipped     2 file(s)"), QStringLiteral("  ann/photo/notes.txt: not an image file"),
                                QStringLiteral("  ben/photo/broken.jpg: not an image"), QStringLiteral("warning: identity 'cy' has photos only")})
        QVERIFY2(r.out.contains(want), qPrintable("missing: " + want + "\n" + describe(r)));
    QVERIFY2(r.err.isEmpty(), qPrintable(describe(r)));
}

void TestCliDataset::infoJson()
{
    // Each carilab-cli start loads LibTorch (~1 s): two runs cover both option spellings.
    for (const QStringList& extra : {QStringList{}, QStringList{QStringLiteral("--format=folder")}}) {
        const CliResult r = runCli(QStringList{QStringLiteral("dataset"), QStringLiteral("info"), root_, QStringLiteral("--json")} + extra);
        QVERIFY2(r.exitCode == 0, qPrintable(describe(r)));
        QJsonParseError err{};
        const QJsonDocument doc = QJsonDocument::fromJson(r.out.toUtf8(), &err);
        QVERIFY2(err.error == QJsonParseError::NoError, qPrintable(err.errorString() + "\n" + describe(r)));
        QVERIFY(doc.isObject());
        const QJsonObject o = doc.object();
        QCOMPARE(o.value("format").toString(), QStringLiteral("folder"));
        QCOMPARE(o.value("root").toString(), QFileInfo(root_).canonicalFilePath());
        QCOMPARE(o.value("identities").toInt(), 3);
        QCOMPARE(o.value("images").toInt(), 9);
        QCOMPARE(o.value("photos").toInt(), 5);
        QCOMPARE(o.value("caricatures").toInt(), 4);
        QCOMPARE(o.value("with_landmarks").toInt(), 1);
        QCOMPARE(o.value("identities_with_both").toInt(), 2);
        QCOMPARE(o.value("per_identity").toObject().value("caricature").toObject().value("max").toInt(), 3);
        const QJsonArray skipped = o.value("skipped").toArray();
        QCOMPARE(skipped.size(), 2);
        QStringList paths;
        for (const auto& s : skipped) {
            paths << s.toObject().value("path").toString();
            QVERIFY(!s.toObject().value("reason").toString().isEmpty());
        }
        paths.sort();
        QCOMPARE(paths, (QStringList{QStringLiteral("ann/photo/notes.txt"), QStringLiteral("ben/photo/broken.jpg")}));
        QCOMPARE(o.value("warnings").toArray().size(), 1);
    }
}

void TestCliDataset::badInput_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QStringList>("args");  // "@" stands for the prepared path
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("reasonPart");
    QTest::newRow("missing-folder") << "missing" << QStringList{"dataset", "info", "@"} << 1 << "does not exist";
    QTest::newRow("file-not-folder") << "file" << QStringList{"dataset", "info", "@"} << 1 << "is a file";
    QTest::newRow("empty-folder") << "empty" << QStringList{"dataset", "info", "@"} << 1 << "no identities";
    QTest::newRow("unknown-option") << "good" << QStringList{"dataset", "info", "@", "--frobnicate"} << 2 << "unknown option --frobnicate";
    QTest::newRow("unknown-format") << "good" << QStringList{"dataset", "info", "@", "--format", "cavi-9"} << 1 << "unknown dataset format 'cavi-9'";
    QTest::newRow("format-without-value") << "good" << QStringList{"dataset", "info", "@", "--format"} << 2 << "--format needs a value";
    QTest::newRow("json-with-value") << "good" << QStringList{"dataset", "info", "@", "--json=yes"} << 2 << "--json takes no value";
    QTest::newRow("two-paths") << "good" << QStringList{"dataset", "info", "@", "@"} << 2 << "unexpected argument";
    QTest::newRow("missing-path") << "good" << QStringList{"dataset", "info"} << 2 << "missing PATH";
    QTest::newRow("unknown-subcommand") << "good" << QStringList{"dataset", "list", "@"} << 2 << "unknown dataset subcommand 'list'";
    QTest::newRow("dataset-alone") << "good" << QStringList{"dataset"} << 2 << "";
    QTest::newRow("int-overflow") << "synthout" << QStringList{"synth", "--out", "@", "--identities", "4294967299"} << 2
                                  << "--identities is out of range";
    QTest::newRow("unknown-command") << "good" << QStringList{"datasets"} << 2 << "unknown command 'datasets'";
}

void TestCliDataset::badInput()
{
    QFETCH(QString, kind);
    QFETCH(QStringList, args);
    QFETCH(int, exitCode);
    QFETCH(QString, reasonPart);

    QString path = root_;
    if (kind == "missing") path = tmp_.filePath(QStringLiteral("no/such/dataset"));
    if (kind == "file") {
        path = tmp_.filePath(QStringLiteral("a-file.txt"));
        writeText(path, "hello");
    }
    if (kind == "synthout") path = tmp_.filePath(QStringLiteral("synth-overflow"));
    if (kind == "empty") {
        path = tmp_.filePath(QStringLiteral("empty-dataset"));
        QVERIFY(QDir().mkpath(path));
    }
    args.replaceInStrings(QRegularExpression(QStringLiteral("^@$")), path);
    const CliResult r = runCli(args);
    QVERIFY2(r.exitCode == exitCode, qPrintable(describe(r)));
    if (QByteArray(QTest::currentDataTag()) == "dataset-alone") {
        QVERIFY2(r.out.contains(QStringLiteral("usage:")), qPrintable(describe(r)));  // usage, on stdout
        return;
    }
    // One line on stderr, naming the problem (and the path when the path is the problem).
    QVERIFY2(r.err.endsWith('\n') && r.err.count('\n') == 1, qPrintable(describe(r)));
    QVERIFY2(r.err.startsWith(QStringLiteral("carilab-cli")), qPrintable(describe(r)));
    QVERIFY2(r.err.contains(reasonPart), qPrintable(describe(r)));
    if (kind != "good" && kind != "synthout") QVERIFY2(r.err.contains(path), qPrintable(describe(r)));
    if (reasonPart.startsWith(QStringLiteral("unknown dataset format"))) QVERIFY2(r.err.contains(QStringLiteral("folder")), qPrintable(describe(r)));
    QVERIFY2(r.out.isEmpty(), qPrintable(describe(r)));
    if (kind == "synthout") QVERIFY2(!QFileInfo::exists(path), "synth ran with a wrapped-around count");
}

void TestCliDataset::synthThenInfo()
{
    const QString out = tmp_.filePath(QStringLiteral("synth"));
    const CliResult s = runCli({QStringLiteral("synth"), QStringLiteral("--out"), out, QStringLiteral("--identities"), QStringLiteral("3"),
                                QStringLiteral("--photos"), QStringLiteral("2"), QStringLiteral("--caricatures"), QStringLiteral("2"),
                                QStringLiteral("--size"), QStringLiteral("64")});
    if (s.exitCode == 2 && s.err.contains(QStringLiteral("unknown command 'synth'"))) QSKIP("carilab-cli synth is not linked in this build");
    QVERIFY2(s.exitCode == 0, qPrintable(describe(s)));
    const CliResult r = runCli({QStringLiteral("dataset"), QStringLiteral("info"), out, QStringLiteral("--json")});
    QVERIFY2(r.exitCode == 0, qPrintable(describe(r)));
    const QJsonObject o = QJsonDocument::fromJson(r.out.toUtf8()).object();
    QCOMPARE(o.value("identities").toInt(), 3);
    QCOMPARE(o.value("photos").toInt(), 6);
    QCOMPARE(o.value("caricatures").toInt(), 6);
    QCOMPARE(o.value("with_landmarks").toInt(), 12);
    QCOMPARE(o.value("skipped").toArray().size(), 0);
}

QTEST_GUILESS_MAIN(TestCliDataset)
#include "test_cli_dataset.moc"
