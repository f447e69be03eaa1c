// carilab-cli project through the real binary: a tiny run trained on CariSynth mapped by t-SNE
// to CSV (every image once, with its dataset identity and modality; the quality printed and in
// the .map.json), by PCA to PNG/SVG/PDF figures, a seeded subsample that the CSV declares, the
// pretrained descriptor on cavi-dev when it is there, and the usage errors.
#include "fixture_trees.h"
#include "test_support.h"

#include "data/carisynth.h"

#include <opencv2/imgcodecs.hpp>

#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest/QtTest>

using carilab::test::CliResult;
using carilab::test::runCli;

namespace {

QString describe(const CliResult& r)
{
    return QStringLiteral("exit %1\n--- stdout\n%2\n--- stderr\n%3").arg(r.exitCode).arg(r.out.right(3000), r.err.right(3000));
}

QStringList lines(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) qFatal("cannot read %s", qPrintable(path));
    return QString::fromUtf8(f.readAll()).split('\n', Qt::SkipEmptyParts);
}

QJsonObject readJson(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) qFatal("cannot read %s", qPrintable(path));
    return QJsonDocument::fromJson(f.readAll()).object();
}

}  // namespace

class TestCliProject : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;
    QString data_, run_;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(tmp_.isValid());
        data_ = tmp_.path() + "/synth";
        run_ = tmp_.path() + "/run";
        carilab::test::makeSynthRun(data_, run_, {/*identities=*/8, /*perSide=*/8, /*seed=*/7, /*steps=*/100, /*batch=*/32});
    }

    void tsneToCsv()
    {
        const QString out = tmp_.path() + "/maps/tsne.csv";  // the folder is made
        const auto r = runCli(
            {"project", "--run", run_, "--dataset", data_, "--method", "tsne", "--perplexity", "20", "--seed", "4", "--threads", "2", "--out", out});
        QVERIFY2(r.exitCode == 0, qPrintable(describe(r)));
        QVERIFY2(r.out.contains("trustworthiness (k=10) "), qPrintable(r.out));
        QVERIFY2(r.out.contains("t-SNE (perplexity 20, seed 4), 128 of 128 images"), qPrintable(r.out));
        const QStringList rows = lines(out);
        QCOMPARE(rows.front(), QString("identity,modality,path,x,y"));
        QCOMPARE(rows.size(), 1 + 128);
        QSet<QString> paths;
        for (qsizetype i = 1; i < rows.size(); ++i) {
            const QStringList f = rows[i].split(',');
            QCOMPARE(f.size(), 5);
            // The row's identity and modality are the file's own (CariSynth: id/modality/name).
            const QStringList parts = f[2].split('/');
            QCOMPARE(parts.size(), 3);
            QCOMPARE(f[0], parts[0]);
            QCOMPARE(f[1], parts[1]);
            QVERIFY(QFileInfo::exists(data_ + "/" + f[2]));
            bool okX = false, okY = false;
            QVERIFY(std::isfinite(f[3].toDouble(&okX)) && okX);
            QVERIFY(std::isfinite(f[4].toDouble(&okY)) && okY);
            paths.insert(f[2]);
        }
        QCOMPARE(paths.size(), 128);
        const QJsonObject j = readJson(tmp_.path() + "/maps/tsne.map.json");
        const double t = j["trustworthiness"].toObject()["value"].toDouble();
        QVERIFY2(t >= 0.9 && t <= 1.0, qPrintable(QString::number(t)));
        QVERIFY2(r.out.contains(QString::number(t, 'f', 3)), qPrintable(r.out));
        QCOMPARE(j["points"].toInt(), 128);
        QCOMPARE(j["tsne"].toObject()["perplexity"].toDouble(), 20.0);
        QVERIFY(j["knn_identity_accuracy"].toObject()["full_space"].toDouble() >= 0.9);
    }

    void pcaFigures()
    {
        for (const QString ext : {"png", "svg", "pdf"}) {
            const QString out = tmp_.path() + "/pca." + ext;
            const auto r =
                runCli({"project", "--run", run_, "--method", "pca", "--threads", "2", "--lines", "--width", "900", "--height", "700", "--out", out});
            QVERIFY2(r.exitCode == 0, qPrintable(describe(r)));
            QVERIFY2(QFileInfo(out).size() > 1000, qPrintable(out));
            if (ext == "png") {
                const cv::Mat png = cv::imread(out.toStdString());
                QCOMPARE(png.cols, 900);
                QCOMPARE(png.rows, 700);
            }
            if (ext == "svg") QVERIFY(lines(out).join('\n').contains("<svg"));
        }
        QVERIFY(readJson(tmp_.path() + "/pca.map.json")["pca"].toObject()["explained_variance"].toArray().size() == 2);
    }

    void subsampleIsDeclared()
    {
        const QString out = tmp_.path() + "/sample.csv";
        const auto r = runCli({"project", "--run", run_, "--method", "pca", "--max-points", "40", "--seed", "9", "--threads", "2", "--out", out});
        QVERIFY2(r.exitCode == 0, qPrintable(describe(r)));
        const QStringList rows = lines(out);
        QCOMPARE(rows[0], QString("# subsampled: 40 of 128 images (random, seed 9)"));
        QCOMPARE(rows[1], QString("identity,modality,path,x,y"));
        QCOMPARE(rows.size(), 2 + 40);
        QVERIFY2(r.out.contains("40 of 128 images (random sample, seed 9)"), qPrintable(r.out));
        QVERIFY(readJson(tmp_.path() + "/sample.map.json")["subsampled"].toBool());
    }

    void pretrainedOnCaviDev()
    {
        const QString cavi = carilab::test::sharedDir() + "/datasets/cavi-dev";
        if (!QFileInfo::exists(cavi)) QSKIP("cavi-dev is not in the shared folder");
        const auto fetched = runCli({"--version"});
        if (!fetched.out.contains("fetched and verified")) QSKIP("the pretrained networks are not fetched (CARILAB_PRETRAINED_DIR)");
        const QString out = tmp_.path() + "/cavi-dev.csv";
        const auto r =
            runCli({"project", "--pretrained", "face-resnet", "--dataset", cavi, "--method", "pca", "--threads", "2", "--out", out}, 600000);
        QVERIFY2(r.exitCode == 0, qPrintable(describe(r)));
        QVERIFY2(r.out.contains("pretrained face-resnet (zero-shot)"), qPrintable(r.out));
        const QStringList rows = lines(out);
        QVERIFY(rows.size() > 1000);
        QVERIFY(rows[1].contains(",caricature,") || rows[1].contains(",photo,"));
    }

    void usageErrors()
    {
        const QString out = tmp_.path() + "/x.csv";
        QCOMPARE(runCli({"project", "--run", run_, "--pretrained", "face-resnet", "--out", out}).exitCode, 2);
        QCOMPARE(runCli({"project", "--pretrained", "face-resnet", "--out", out}).exitCode, 2);  // no dataset
        const auto method = runCli({"project", "--run", run_, "--method", "umap", "--out", out});
        QCOMPARE(method.exitCode, 2);
        QVERIFY2(method.err.contains("--method must be pca or tsne"), qPrintable(method.err));
        QCOMPARE(runCli({"project", "--run", run_, "--perplexity", "0.5", "--out", out}).exitCode, 2);
        const auto suffix = runCli({"project", "--run", run_, "--out", tmp_.path() + "/x.txt"});
        QVERIFY(suffix.exitCode != 0);
        QVERIFY(!QFileInfo::exists(out));
    }
};

QTEST_GUILESS_MAIN(TestCliProject)
#include "test_cli_project.moc"
