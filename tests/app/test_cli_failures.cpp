// carilab-cli failures through the real binary: a tiny run trained on a CaVI-layout CariSynth
// set, evaluated, then its failure gallery: the listed pairs really are false accepts and false
// rejects at the threshold, worst first; the crops the page links are PNGs of the network's input
// size; the identity table adds up; a folder of the user's is refused untouched.
#include "fixture_trees.h"
#include "test_support.h"

#include "run/eval_records.h"
#include "run/run_model.h"

#include <opencv2/imgcodecs.hpp>

#include <QtTest/QtTest>

using carilab::test::CliResult;
using carilab::test::runCli;

namespace {

QString describe(const CliResult& r)
{
    return QStringLiteral("exit %1\n--- stdout\n%2\n--- stderr\n%3").arg(r.exitCode).arg(r.out.right(3000), r.err.right(3000));
}

// A CSV's rows (header first) split at commas; the fixture's names hold none.
QList<QStringList> readCsv(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) qFatal("cannot read %s", qPrintable(path));
    QList<QStringList> rows;
    for (const QString& line : QString::fromUtf8(f.readAll()).split('\n', Qt::SkipEmptyParts)) rows.push_back(line.split(','));
    return rows;
}

QStringList folderEntries(const QString& dir)
{
    QStringList out;
    QDirIterator it(dir, QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext()) out << it.next();
    out.sort();
    return out;
}

}  // namespace

class TestCliFailures : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;
    carilab::test::CaviFixture cavi_;
    QString run_;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(tmp_.isValid());
        cavi_ = carilab::test::makeCaviFixture(tmp_.path());
        run_ = tmp_.path() + "/run";
        const auto t = runCli({"train", "--dataset", cavi_.root, "--run-dir", run_, "--steps", "20", "--batch", "16", "--threads", "2", "--plain",
                               "--checkpoint-every", "20"},
                              300000);
        QVERIFY2(t.exitCode == 0, qPrintable(describe(t)));
        const auto e = runCli({"eval", "--run", run_, "--protocol", "cavi", "--threads", "2"});
        QVERIFY2(e.exitCode == 0, qPrintable(describe(e)));
    }

    void galleryOfAnEvaluatedRun()
    {
        const QString out = tmp_.path() + "/page";
        const auto r = runCli({"failures", "--run", run_, "--protocol", "cavi", "--top", "3", "--threads", "2", "--out", out});
        QVERIFY2(r.exitCode == 0, qPrintable(describe(r)));
        QVERIFY2(r.out.contains("eval.json cavi/testing_1: mean of the 10 per-fold thresholds"), qPrintable(r.out));
        const auto eval = carilab::run::readEvalFile((run_ + "/eval.json").toStdString());
        const double threshold = eval.protocols.at("cavi/testing_1").verification->mean.at("threshold");

        const auto pairs = readCsv(out + "/pairs.csv");
        QCOMPARE(pairs.front().join(','), QString("kind,rank,score,threshold,image_a,image_b,identity_a,identity_b,modality_a,modality_b"));
        QMap<QString, QList<double>> scores;
        for (qsizetype i = 1; i < pairs.size(); ++i) {
            const QStringList& p = pairs[i];
            QCOMPARE(p.size(), 10);
            const double score = p[2].toDouble(), t = p[3].toDouble();
            QVERIFY(qAbs(t - threshold) < 1e-5);
            QCOMPARE(p[8], QString("caricature"));
            QCOMPARE(p[9], QString("photo"));
            if (p[0] == "false_accept") {
                QVERIFY2(p[6].compare(p[7], Qt::CaseInsensitive) != 0, "a false accept is a negative pair");
                QVERIFY(score >= t);
            } else {
                QCOMPARE(p[0], QString("false_reject"));
                QVERIFY2(p[6].compare(p[7], Qt::CaseInsensitive) == 0, "a false reject is a positive pair");
                QVERIFY(score < t);
            }
            QCOMPARE(p[1].toInt(), static_cast<int>(scores[p[0]].size()) + 1);
            scores[p[0]].push_back(score);
        }
        for (const auto& [kind, list] : scores.asKeyValueRange()) {
            QVERIFY(list.size() <= 3);
            for (qsizetype i = 1; i < list.size(); ++i)
                QVERIFY2(kind == "false_accept" ? list[i - 1] >= list[i] : list[i - 1] <= list[i], "worst first");
        }
        QVERIFY2(!scores.isEmpty(), "a 20-step run on the fixture fails some pairs");
        // All failures are counted, the worst --top listed.
        const auto counts = QRegularExpression("false accepts (\\d+) \\((\\d+) listed\\), false rejects (\\d+) \\((\\d+) listed\\)").match(r.out);
        QVERIFY2(counts.hasMatch(), qPrintable(r.out));
        QCOMPARE(counts.captured(2).toInt(), qMin(3, counts.captured(1).toInt()));
        QCOMPARE(counts.captured(4).toInt(), qMin(3, counts.captured(3).toInt()));
        QCOMPARE(scores.value("false_accept").size(), counts.captured(2).toInt());
        QCOMPARE(scores.value("false_reject").size(), counts.captured(4).toInt());
        checkCrops(out);
        checkIdentities(out, eval.protocols.at("cavi/testing_1"));
        QVERIFY(QFile::exists(out + "/confusions.csv"));
        QCOMPARE(readCsv(out + "/confusions.csv").front().join(','), QString("true_identity,predicted_identity,count"));

        // A previous page may be replaced; without eval.json's +mirror result the threshold is chosen on the pairs, and said so.
        const auto again = runCli({"failures", "--run", run_, "--protocol", "cavi", "--mirror", "--zoom-out", "1.1", "--top", "2", "--threads", "2", "--out", out});
        QVERIFY2(again.exitCode == 0, qPrintable(describe(again)));
        QVERIFY2(again.out.contains("chosen on these pairs themselves") && again.out.contains("cavi/testing_1+mirror+zoom1.1"), qPrintable(again.out));
        const auto badZoom = runCli({"failures", "--run", run_, "--protocol", "cavi", "--zoom-out", "0.9", "--out", out});
        QVERIFY2(badZoom.exitCode != 0 && badZoom.err.contains("zoom-out scale"), qPrintable(describe(badZoom)));
        checkCrops(out);
    }

    void listedInHelp()
    {
        const auto r = runCli({"--help"});
        QVERIFY(r.out.contains(QRegularExpression("\\n  failures +\\S")));
    }

    void userFolderRefusedUntouched()
    {
        const QString out = tmp_.path() + "/mine";
        QVERIFY(QDir().mkpath(out));
        QFile keep(out + "/notes.txt");
        QVERIFY(keep.open(QIODevice::WriteOnly));
        keep.write("mine");
        keep.close();
        const QStringList before = folderEntries(out);
        const auto r = runCli({"failures", "--run", run_, "--protocol", "cavi", "--out", out});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("is not empty and holds no failures page") && r.err.contains("new or empty folder"), qPrintable(r.err));
        QCOMPARE(folderEntries(out), before);
        QVERIFY(keep.open(QIODevice::ReadOnly));
        QCOMPARE(keep.readAll(), QByteArray("mine"));
    }

private:
    // Every crop the page links exists and is a PNG of the network's input size; no crop is unlinked.
    void checkCrops(const QString& out)
    {
        const int size = carilab::run::loadRunModel(run_.toStdString()).pipeline.size;
        QFile page(out + "/index.html");
        QVERIFY(page.open(QIODevice::ReadOnly));
        const QString html = QString::fromUtf8(page.readAll());
        QRegularExpression src("src=\"(crops/[^\"]+)\"");
        QSet<QString> linked;
        for (const auto& m : src.globalMatch(html)) linked.insert(m.captured(1));
        QVERIFY(!linked.isEmpty());
        for (const QString& rel : linked) {
            QFile f(out + "/" + rel);
            QVERIFY2(f.open(QIODevice::ReadOnly), qPrintable(rel));
            QVERIFY2(f.read(8) == QByteArray("\x89PNG\r\n\x1a\n", 8), qPrintable(rel));
            const cv::Mat img = cv::imread((out + "/" + rel).toStdString(), cv::IMREAD_UNCHANGED);
            QCOMPARE(img.cols, size);
            QCOMPARE(img.rows, size);
            QCOMPARE(img.channels(), 3);
        }
        QCOMPARE(QDir(out + "/crops").entryList(QDir::Files).size(), linked.size());
    }

    // One row per identity of the list's pairs; a pair counts for each identity it involves.
    void checkIdentities(const QString& out, const carilab::run::ProtocolResult& result)
    {
        const auto rows = readCsv(out + "/identities.csv");
        QCOMPARE(rows.front().join(','),
                 QString("identity,pairs,pairs_correct,verification_accuracy,caricatures,caricature_id_accuracy,photos,visual_id_accuracy"));
        long long positives = 0, pairs = 0, counted = 0, images = 0;
        for (const auto& f : result.verification->folds) {
            positives += f.positives.value_or(0);
            pairs += f.pairs.value_or(0);
        }
        QSet<QString> names;
        for (qsizetype i = 1; i < rows.size(); ++i) {
            const QStringList& r = rows[i];
            QCOMPARE(r.size(), 8);
            QVERIFY2(!names.contains(r[0].toLower()), "one row per identity");
            names.insert(r[0].toLower());
            QVERIFY(r[2].toLongLong() <= r[1].toLongLong());
            QVERIFY(qAbs(r[3].toDouble() - r[2].toDouble() / r[1].toDouble()) < 1e-5);
            counted += r[1].toLongLong();
            images += r[4].toLongLong() + r[6].toLongLong();
        }
        QCOMPARE(pairs, static_cast<long long>(cavi_.goodPairs));
        QCOMPARE(counted, positives + 2 * (pairs - positives));
        QCOMPARE(images, result.images.value_or(-1));
    }
};

QTEST_GUILESS_MAIN(TestCliFailures)
#include "test_cli_failures.moc"
