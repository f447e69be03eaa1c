// carilab-cli train/eval/roc on CaVI and WebCaricature layouts through the real binary: short
// real trainings, protocol evaluations written into the run, and the same metrics from the
// exported score file. The real CaVI subset in ../shared is used when present.
#include "fixture_trees.h"
#include "test_support.h"

#include "eval/score_file.h"
#include "eval/verification_metrics.h"
#include "nn/inference_precision.h"
#include "run/eval_records.h"

#include <nlohmann/json.hpp>

#include <fstream>

#include <QtTest/QtTest>

using carilab::test::CliResult;
using carilab::test::runCli;

namespace {

QString describe(const CliResult& r)
{
    return QStringLiteral("exit %1\n--- stdout\n%2\n--- stderr\n%3").arg(r.exitCode).arg(r.out.right(3000), r.err.right(3000));
}

nlohmann::json parseJson(const QString& s)
{
    auto j = nlohmann::json::parse(s.toStdString(), nullptr, false);
    if (j.is_discarded()) qFatal("not JSON: %s", qPrintable(s.left(500)));
    return j;
}

nlohmann::json readJson(const QString& path)
{
    std::ifstream in(path.toStdString());
    return nlohmann::json::parse(in);
}

// What the CLI printed, read as eval.json is read (run/eval_records.h) and written again by the
// one writer: the same bytes, so the typed records hold every key.
QString writtenBack(const nlohmann::json& j, bool images = false)
{
    const auto back =
        images ? carilab::run::toJson(carilab::run::imagesResultFromJson(j)) : carilab::run::toJson(carilab::run::protocolResultFromJson(j));
    return QString::fromStdString(back.dump());
}

QString train(const QString& dataset, const QString& run, const QStringList& extra = {})
{
    const auto r = runCli(QStringList{"train", "--dataset", dataset, "--run-dir", run, "--steps", "20", "--batch", "16", "--threads", "2", "--plain",
                                      "--checkpoint-every", "20"} +
                              extra,
                          300000);
    return r.exitCode == 0 ? QString() : describe(r);
}

}  // namespace

class TestCliEval : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;
    carilab::test::CaviFixture cavi_;
    carilab::test::WebcariFixture web_;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(tmp_.isValid());
        cavi_ = carilab::test::makeCaviFixture(tmp_.path());
        web_ = carilab::test::makeWebcariFixture(tmp_.path());
    }

    void datasetInfoFormats_data()
    {
        QTest::addColumn<QString>("which");
        QTest::addColumn<QString>("format");
        QTest::addColumn<int>("identities");
        QTest::newRow("cavi auto") << "cavi"
                                   << "auto" << 6;
        QTest::newRow("cavi forced") << "cavi"
                                     << "cavi" << 6;
        QTest::newRow("webcari auto") << "webcari"
                                      << "auto" << 20;
        QTest::newRow("webcari forced") << "webcari"
                                        << "webcaricature" << 20;
    }
    void datasetInfoFormats()
    {
        QFETCH(QString, which);
        QFETCH(QString, format);
        QFETCH(int, identities);
        const QString root = which == "cavi" ? cavi_.root : web_.root;
        const auto r = runCli({"dataset", "info", root, "--format", format, "--json"});
        QVERIFY2(r.exitCode == 0, qPrintable(describe(r)));
        const auto j = parseJson(r.out);
        QCOMPARE(j["identities"].get<int>(), identities);
        QCOMPARE(QString::fromStdString(j["format"]), which == "cavi" ? QString("cavi") : QString("webcaricature"));
        QVERIFY(!j["protocols"].get<std::string>().empty());
        // The wrong format forced is refused with a message that names the expected layout.
        const auto wrong = runCli({"dataset", "info", root, "--format", which == "cavi" ? "webcaricature" : "cavi"});
        QCOMPARE(wrong.exitCode, 1);
        QVERIFY2(wrong.err.contains(which == "cavi" ? "OriginalImages" : "Caricature/ and Real/"), qPrintable(wrong.err));
    }

    void caviTrainAndEvaluate()
    {
        const QString run = tmp_.path() + "/run-cavi";
        const QString err = train(cavi_.root, run);
        QVERIFY2(err.isEmpty(), qPrintable(err));
        // The protocol split held the pair list's images out of training.
        QFile log(run + "/log.txt");
        QVERIFY(log.open(QIODevice::ReadOnly));
        QVERIFY(QString(log.readAll()).contains("split: protocol"));

        const auto r = runCli({"eval", "--run", run, "--protocol", "cavi", "--json"});
        QVERIFY2(r.exitCode == 0, qPrintable(describe(r)));
        const auto j = parseJson(r.out);
        QCOMPARE(writtenBack(j), QString::fromStdString(j.dump()));
        QCOMPARE(j["verification"]["folds"].size(), static_cast<size_t>(10));
        QCOMPARE(j["verification"]["pooled"]["pairs"].get<int>(), cavi_.goodPairs);
        QCOMPARE(j["skipped"].get<int>(), cavi_.badPairLines);
        QCOMPARE(j["issues"].size(), static_cast<size_t>(cavi_.badPairLines));
        QVERIFY(QString::fromStdString(j["issues"][0]).contains("testing_1.txt:"));
        for (const char* k : {"auc", "accuracy", "val_far_0.1%", "val_far_1%", "eer"}) {
            const double v = j["verification"]["mean"][k].get<double>();
            QVERIFY2(v >= 0 && v <= 1, k);
        }
        QVERIFY(j["classification"]["caricatures"].get<int>() > 0);
        QVERIFY(j["classification"]["photos"].get<int>() > 0);
        QCOMPARE(j["identification"]["cmc"].back().get<double>(), 1.0);  // every probe's identity is in the gallery
        QCOMPARE(j["step"].get<int>(), 20);
        QCOMPARE(j["precision"].get<std::string>(), std::string("fp32"));

        // Stored in the run, beside the held-out results of training.
        const auto ev = readJson(run + "/eval.json");
        QVERIFY(ev.contains("held_out"));
        QVERIFY(ev["protocols"].contains("cavi/testing_1"));
        QCOMPARE(ev["protocols"]["cavi/testing_1"]["verification"]["pooled"]["auc"].get<double>(), j["verification"]["pooled"]["auc"].get<double>());

        // The exported scores give the same figures through `roc`, CariLab's one definition.
        const QString csv = run + "/eval/cavi-testing_1-scores.csv";
        QVERIFY(QFile::exists(csv));
        const auto roc = runCli({"roc", "--scores", csv, "--json"});
        QVERIFY2(roc.exitCode == 0, qPrintable(describe(roc)));
        const auto rj = parseJson(roc.out);
        QVERIFY(std::abs(rj["verification"]["pooled"]["auc"].get<double>() - j["verification"]["pooled"]["auc"].get<double>()) < 1e-6);
        QVERIFY(std::abs(rj["verification"]["pooled"]["val_far_1%"].get<double>() - j["verification"]["pooled"]["val_far_1%"].get<double>()) < 1e-6);

        // The human table: the paper's figures and the skipped lines.
        const auto table = runCli({"eval", "--run", run, "--protocol", "cavi", "--pairs", "validation"});
        QVERIFY2(table.exitCode == 0, qPrintable(describe(table)));
        QVERIFY(table.out.contains("VAL@FAR=0.1%"));
        QVERIFY(table.out.contains("mean +- std"));
        QVERIFY(table.out.contains("caricature branch on caricatures"));
        const auto both = readJson(run + "/eval.json");
        QVERIFY(both["protocols"].contains("cavi/testing_1") && both["protocols"].contains("cavi/validation"));

        // Test-time mirror averaging: recorded in the result and kept apart from the plain figures.
        const auto m = runCli({"eval", "--run", run, "--protocol", "cavi", "--mirror", "--json"});
        QVERIFY2(m.exitCode == 0, qPrintable(describe(m)));
        const auto mj = parseJson(m.out);
        QCOMPARE(writtenBack(mj), QString::fromStdString(mj.dump()));
        QVERIFY(mj["mirror_average"].get<bool>());
        QVERIFY(!j["mirror_average"].get<bool>());
        QCOMPARE(mj["verification"]["pooled"]["pairs"].get<int>(), cavi_.goodPairs);
        QVERIFY(mj["verification"]["pooled"]["auc"].get<double>() != j["verification"]["pooled"]["auc"].get<double>());
        const auto withMirror = readJson(run + "/eval.json");
        QVERIFY(withMirror["protocols"].contains("cavi/testing_1+mirror"));
        QCOMPARE(withMirror["protocols"]["cavi/testing_1"]["verification"]["pooled"]["auc"].get<double>(),
                 j["verification"]["pooled"]["auc"].get<double>());
        QVERIFY(QFile::exists(run + "/eval/cavi-testing_1+mirror-scores.csv"));

        // A zoomed-out view on top: recorded, kept apart, and it changes the scores.
        const auto z = runCli({"eval", "--run", run, "--protocol", "cavi", "--mirror", "--zoom-out", "1.1", "--json"});
        QVERIFY2(z.exitCode == 0, qPrintable(describe(z)));
        const auto zj = parseJson(z.out);
        QCOMPARE(writtenBack(zj), QString::fromStdString(zj.dump()));
        QVERIFY(zj["mirror_average"].get<bool>());
        QCOMPARE(zj["zoom_out"], nlohmann::json::array({1.1}));
        QVERIFY(zj["verification"]["pooled"]["auc"].get<double>() != mj["verification"]["pooled"]["auc"].get<double>());
        QVERIFY(readJson(run + "/eval.json")["protocols"].contains("cavi/testing_1+mirror+zoom1.1"));
        for (const char* bad : {"0.9", "1", "1.1,x"}) {
            const auto b = runCli({"eval", "--run", run, "--protocol", "cavi", "--zoom-out", bad});
            QVERIFY2(b.exitCode != 0 && b.err.contains("--zoom-out"), qPrintable(describe(b)));
        }

        // An ensemble of the run with itself is the run: the same figures, the members listed,
        // and no run's eval.json touched (an ensemble belongs to none of them).
        const auto before = readJson(run + "/eval.json");
        const auto ens = runCli({"eval", "--run", run, "--run", run, "--protocol", "cavi", "--json"});
        QVERIFY2(ens.exitCode == 0, qPrintable(describe(ens)));
        const auto ej = parseJson(ens.out);
        QCOMPARE(writtenBack(ej), QString::fromStdString(ej.dump()));
        QCOMPARE(ej["ensemble"]["members"].size(), static_cast<size_t>(2));
        QVERIFY(std::abs(ej["verification"]["pooled"]["auc"].get<double>() - j["verification"]["pooled"]["auc"].get<double>()) < 1e-6);
        QCOMPARE(ej["verification"]["mean"]["accuracy"].get<double>(), j["verification"]["mean"]["accuracy"].get<double>());
        QCOMPARE(ej["classification"]["caricature_acc"].get<double>(), j["classification"]["caricature_acc"].get<double>());
        // Restricting the softmax to the list's identities keeps every right answer right.
        const auto& cls = j["classification"];
        QVERIFY(cls["listed_identities"].get<long long>() > 0);
        QVERIFY(cls["caricature_acc_listed"].get<double>() >= cls["caricature_acc"].get<double>());
        QVERIFY(cls["visual_acc_listed"].get<double>() >= cls["visual_acc"].get<double>());
        QCOMPARE(ej["identification"]["mean"]["rank1"].get<double>(), j["identification"]["mean"]["rank1"].get<double>());
        QCOMPARE(readJson(run + "/eval.json"), before);

        // Wrong protocol for the dataset: a clear refusal.
        const auto wrong = runCli({"eval", "--run", run, "--protocol", "webcari-restricted"});
        QCOMPARE(wrong.exitCode, 1);
        QVERIFY2(wrong.err.contains("needs a webcaricature dataset"), qPrintable(wrong.err));
        const auto unknown = runCli({"eval", "--run", run, "--protocol", "lfw"});
        QCOMPARE(unknown.exitCode, 1);
        QVERIFY2(unknown.err.contains("unknown protocol 'lfw'"), qPrintable(unknown.err));

        // bf16 inference: the same figures to bf16's rounding, and the result says how it was computed.
        const auto badPrecision = runCli({"eval", "--run", run, "--protocol", "cavi", "--precision", "fp8"});
        QCOMPARE(badPrecision.exitCode, 1);
        QVERIFY2(badPrecision.err.contains("expected fp32, bf16 or fp16"), qPrintable(badPrecision.err));
        const auto cudaOnly = runCli({"eval", "--run", run, "--protocol", "cavi", "--precision", "fp16"});
        QCOMPARE(cudaOnly.exitCode, 1);
        QVERIFY2(cudaOnly.err.contains("fp16 runs on CUDA only"), qPrintable(cudaOnly.err));
        if (carilab::nn::cpuHasNativeBf16()) {
            const auto b = runCli({"eval", "--run", run, "--protocol", "cavi", "--precision", "bf16", "--json"});
            QVERIFY2(b.exitCode == 0, qPrintable(describe(b)));
            const auto bj = parseJson(b.out);
            QCOMPARE(bj["precision"].get<std::string>(), std::string("bf16"));
            const double auc32 = j["verification"]["pooled"]["auc"].get<double>(), auc16 = bj["verification"]["pooled"]["auc"].get<double>();
            QVERIFY2(std::abs(auc32 - auc16) < 0.02, qPrintable(QStringLiteral("AUC fp32 %1, bf16 %2").arg(auc32).arg(auc16)));
        }
    }

    void webcariTrainAndEvaluate()
    {
        const QString run = tmp_.path() + "/run-webcari";
        const QString err = train(web_.root, run, {"--face-crop", "box"});
        QVERIFY2(err.isEmpty(), qPrintable(err));
        QCOMPARE(QString::fromStdString(readJson(run + "/config.json")["face_crop"]), QString("box"));

        struct Case {
            const char* protocol;
            const char* view;
            size_t folds;
            bool verification;
        };
        for (const Case c : {Case{"webcari-restricted", "2", 10, true}, Case{"webcari-restricted", "1", 1, true},
                             Case{"webcari-unrestricted", "2", 10, true}, Case{"webcari-c2p", "2", 10, false}, Case{"webcari-p2c", "1", 1, false}}) {
            const auto r = runCli({"eval", "--run", run, "--protocol", c.protocol, "--view", c.view, "--json"});
            QVERIFY2(r.exitCode == 0, qPrintable(describe(r)));
            const auto j = parseJson(r.out);
            QCOMPARE(writtenBack(j), QString::fromStdString(j.dump()));
            if (c.verification) {
                QCOMPARE(j["verification"]["folds"].size(), c.folds);
                for (const auto& f : j["verification"]["folds"]) QVERIFY(f["val_far_1%"].is_number());
                if (c.folds == 1) QCOMPARE(QString::fromStdString(j["verification"]["folds"][0]["threshold_from"]), QString("tuning set"));
            } else {
                QCOMPARE(j["identification"]["folds"].size(), c.folds);
                const auto& f0 = j["identification"]["folds"][0];
                QCOMPARE(f0["gallery"].get<int>(), 10);
                QCOMPARE(f0["probes"].get<int>(), 40);
                QVERIFY(j["identification"]["mean"]["rank10"].get<double>() >= j["identification"]["mean"]["rank1"].get<double>());
                QCOMPARE(j["identification"]["mean"]["rank10"].get<double>(), 1.0);  // 10 subjects in the gallery
            }
        }
        // Every image of its own dataset: closed-set accuracy measured; of another dataset (the
        // CaVI fixture's identities are not this run's classes): left out, and said so.
        const auto own = parseJson(runCli({"eval", "--run", run, "--protocol", "images", "--json"}).out);
        QVERIFY(own.contains("caricature_acc") && own.contains("visual_acc") && !own.contains("closed_set"));
        QCOMPARE(writtenBack(own, true), QString::fromStdString(own.dump()));
        const auto other = runCli({"eval", "--run", run, "--protocol", "images", "--dataset", cavi_.root, "--json"});
        QVERIFY2(other.exitCode == 0, qPrintable(describe(other)));
        const auto oj = parseJson(other.out);
        QVERIFY(!oj.contains("caricature_acc") && !oj.contains("visual_acc"));
        QVERIFY(QString::fromStdString(oj.value("closed_set", std::string())).contains("not the classes"));
        QVERIFY(oj["verification_auc"].is_number());
        const auto r2 = parseJson(runCli({"eval", "--run", run, "--protocol", "webcari-restricted", "--json"}).out);
        QCOMPARE(r2["skipped"].get<int>(), web_.restrictedView2Bad);
        const auto ev = readJson(run + "/eval.json");
        for (const char* k :
             {"webcari-restricted/view2", "webcari-restricted/view1", "webcari-unrestricted/view2", "webcari-c2p/view2", "webcari-p2c/view1"})
            QVERIFY2(ev["protocols"].contains(k), k);
    }

    void rocBadInput()
    {
        const QString f = tmp_.path() + "/bad.csv";
        QFile out(f);
        QVERIFY(out.open(QIODevice::WriteOnly));
        out.write("score,label\n0.9,1\n0.1,0\nnan,1\n0.5,7\n0.4,0\n");
        out.close();
        const auto r = runCli({"roc", "--scores", f});
        QVERIFY2(r.exitCode == 0, qPrintable(describe(r)));
        QVERIFY(r.out.contains("2 item(s) skipped"));
        QVERIFY(r.out.contains("bad.csv:4"));
        QVERIFY(r.out.contains("bad.csv:5"));
        const auto missing = runCli({"roc", "--scores", tmp_.path() + "/none.csv"});
        QCOMPARE(missing.exitCode, 1);
        QVERIFY(missing.err.contains("cannot open"));
    }

    void realCaviSubset()
    {
        const QString root = carilab::test::sharedDir() + "/datasets/cavi-dev";
        if (!QFileInfo::exists(root + "/train-test-files/testing_1.txt")) QSKIP("../shared/datasets/cavi-dev is not here");
        const auto info = runCli({"dataset", "info", root, "--json"});
        QVERIFY2(info.exitCode == 0, qPrintable(describe(info)));
        const auto ij = parseJson(info.out);
        QCOMPARE(QString::fromStdString(ij["format"]), QString("cavi"));
        QCOMPARE(ij["identities"].get<int>(), 36);
        QCOMPARE(ij["images"].get<int>(), 1912);
        const QString run = tmp_.path() + "/run-cavi-dev";
        const QString err = train(root, run);
        QVERIFY2(err.isEmpty(), qPrintable(err));
        const auto r = runCli({"eval", "--run", run, "--protocol", "cavi", "--json"}, 600000);
        QVERIFY2(r.exitCode == 0, qPrintable(describe(r)));
        const auto j = parseJson(r.out);
        QCOMPARE(j["skipped"].get<int>(), 0);  // the filtered real list is clean
        QCOMPARE(j["verification"]["pooled"]["pairs"].get<int>(), 1295);
        QCOMPARE(j["verification"]["folds"].size(), static_cast<size_t>(10));
        QVERIFY(j["classification"]["caricatures"].get<int>() > 100);
    }
};

QTEST_GUILESS_MAIN(TestCliEval)
#include "test_cli_eval.moc"
