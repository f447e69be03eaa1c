// The GUI for real: a short CariSynth training driven from the Train view, the Runs view on
// real and broken run folders, exports, and closing during a run.
#include "data/carisynth.h"
#include "figure_export.h"
#include "io/thread_priority.h"
#include "main_window.h"
#include "qcustomplot_include.h"
#include "run/checkpoint.h"
#include "run/presets.h"
#include "run/run_directory.h"
#include "run/run_summary.h"
#include "run/train_config.h"
#include "run/trainer.h"
#include "runs_view.h"
#include "nn/inference_precision.h"
#include "test_support.h"
#include "train_view.h"
#include "training_controller.h"
#include "training_plots.h"

#include <QStandardItemModel>
#include <QtTest/QtTest>

#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QImage>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QProcess>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTableWidget>
#include <QToolButton>
#include <QMenu>

using namespace carilab;
using namespace carilab::widgets;

namespace {

// The threads of this process that run SCHED_BATCH, as "TID (name)" (Linux; the policy is
// field 41 of /proc/self/task/TID/stat, counted after the parenthesised name, which may hold
// spaces).
QStringList threadsRunningBatch()
{
    QStringList out;
    const QDir tasks(QStringLiteral("/proc/self/task"));
    for (const QString& tid : tasks.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        QFile f(tasks.filePath(tid + QStringLiteral("/stat")));
        if (!f.open(QIODevice::ReadOnly)) continue;  // the thread has just ended
        const QByteArray stat = f.readAll();
        const qsizetype close = stat.lastIndexOf(')');
        const QList<QByteArray> fields = stat.mid(close + 2).split(' ');
        if (fields.size() > 38 && fields[38].toInt() == 3 /* SCHED_BATCH */)
            out << tid + QStringLiteral(" ") + QString::fromUtf8(stat.mid(stat.indexOf('('), close - stat.indexOf('(') + 1));
    }
    return out;
}

}  // namespace

class TestGui final : public QObject {
    Q_OBJECT

private:
    QTemporaryDir tmp_;
    QString dataset_;
    QString runs_;

    nlohmann::json shortConfig(int steps) const
    {
        return {
            {"dataset", dataset_.toStdString()},
            {"backbone", "tiny"},
            {"steps", steps},
            {"batch", 32},
            {"threads", 2},
            {"strategy", {{"name", "dynamic"}, {"temperature", 1.0}, {"normalize_logits", true}, {"detach_weights", true}, {"lr_multiplier", 1.0}}},
            {"optimizer", {{"kind", "rmsprop"}, {"lr", 0.1}}},
            {"seed", 3},
            {"device", "cpu"}};
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(tmp_.isValid());
        qputenv("CARILAB_HOME", tmp_.filePath(QStringLiteral("home")).toUtf8());
        dataset_ = tmp_.filePath(QStringLiteral("carisynth"));
        runs_ = tmp_.filePath(QStringLiteral("runs"));
        data::CariSynthOptions o;
        o.identities = 8;
        o.photosPerIdentity = 6;
        o.caricaturesPerIdentity = 6;
        o.seed = 5;
        data::generateCariSynth(dataset_.toStdString(), o);
    }

    void trainViewRunsARealTraining()
    {
        TrainView view;
        view.setRunsDir(runs_);
        view.resize(1300, 800);
        view.show();
        view.setFormConfig(shortConfig(40));
        QSignalSpy progress(view.controller(), &TrainingController::progress);
        QSignalSpy finished(view.controller(), &TrainingController::finished);
        QSignalSpy started(&view, &TrainView::runStarted);
        auto* start = view.findChild<QPushButton*>(QStringLiteral("start"));
        auto* pause = view.findChild<QPushButton*>(QStringLiteral("pause"));
        QVERIFY(start && pause);
        QVERIFY(start->isEnabled());
        QVERIFY(!pause->isEnabled());
        QVERIFY(!io::thisThreadDefersToCompute());
        QTest::mouseClick(start, Qt::LeftButton);
        QVERIFY(!start->isEnabled());
        QVERIFY(pause->isEnabled());
        QVERIFY(io::thisThreadDefersToCompute());  // the GUI thread yields to training while it runs
        // ... and only it: the trainer's thread and LibTorch's workers (there once a step is done)
        // keep the normal policy instead of inheriting the GUI thread's.
        // (Qt's pool threads started meanwhile run GUI-side work and may inherit it.)
        QVERIFY(progress.wait(120000));
        for (const QString& t : threadsRunningBatch())
            QVERIFY2(t.startsWith(QString::number(QCoreApplication::applicationPid()) + QStringLiteral(" ")) ||
                         t.endsWith(QStringLiteral("(Thread (pooled))")),
                     qPrintable(t + QStringLiteral(" runs SCHED_BATCH")));
        QVERIFY(finished.wait(240000));
        QVERIFY(!io::thisThreadDefersToCompute());
        QCOMPARE(finished.first().first().toString(), QStringLiteral("finished"));
        QCOMPARE(started.count(), 1);
        QVERIFY(progress.count() >= 10);  // drained in batches at 25 Hz, so fewer than 40 is fine
        QCOMPARE(progress.last().at(0).toLongLong(), 40LL);
        // The plots hold every logged point: 40 steps x 3 weights and 3 losses (plus smoothing).
        const auto* w = view.controller()->curves().curve(QStringLiteral("weight/caricature"));
        QVERIFY(w);
        QCOMPARE(w->size(), 40);
        QVERIFY(view.plots()->pointCount() >= 6 * 40);
        // 40 steps at inspect_every auto: every other step inspected, each with its cosines.
        const auto* cos = view.controller()->curves().curve(QStringLiteral("grad_cos/verification-visual"));
        QVERIFY(cos && cos->size() == 20);
        QVERIFY(start->isEnabled());
        QVERIFY(view.statusText().startsWith(QStringLiteral("finished")));
    }

    // At 1024x700 the Start/Pause/Stop buttons and the progress are in sight without scrolling,
    // and the form does not scroll sideways.
    void trainControlsInSightAt1024()
    {
        MainWindow w;
        w.resize(1024, 700);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        auto* view = w.findChild<TrainView*>();
        QVERIFY(view);
        for (const char* name : {"start", "pause", "stop"}) {
            auto* b = view->findChild<QPushButton*>(QString::fromLatin1(name));
            QVERIFY(b && b->isVisible());
            const QRect inWindow(b->mapTo(&w, QPoint(0, 0)), b->size());
            QVERIFY2(QRect(QPoint(0, 0), w.size()).contains(inWindow), name);
            // Not clipped by a scroll area's viewport either: its parent chain up to the view has no scroll area.
            for (QWidget* p = b->parentWidget(); p && p != view; p = p->parentWidget()) QVERIFY2(!qobject_cast<QScrollArea*>(p), name);
        }
        for (auto* area : view->findChildren<QScrollArea*>()) QVERIFY(!area->horizontalScrollBar()->isVisible());
    }

    void trainFormCarriesDatasetOptions_data()
    {
        QTest::addColumn<QString>("format");
        QTest::addColumn<QString>("split");
        QTest::addColumn<QString>("crop");
        QTest::newRow("defaults") << "auto"
                                  << "auto"
                                  << "align";
        QTest::newRow("cavi protocol") << "cavi"
                                       << "protocol"
                                       << "align";
        QTest::newRow("webcari box") << "webcaricature"
                                     << "auto"
                                     << "box";
    }
    void trainFormCarriesDatasetOptions()
    {
        QFETCH(QString, format);
        QFETCH(QString, split);
        QFETCH(QString, crop);
        TrainView view;
        auto c = shortConfig(10);
        c["format"] = format.toStdString();
        c["split"] = split.toStdString();
        c["face_crop"] = crop.toStdString();
        view.setFormConfig(c);
        const auto back = view.formConfig();
        QCOMPARE(QString::fromStdString(back["format"]), format);
        QCOMPARE(QString::fromStdString(back["split"]), split);
        QCOMPARE(QString::fromStdString(back["face_crop"]), crop);
        // The form's JSON is a valid training config with those settings.
        const auto tc = carilab::run::trainConfigFromJson(back);
        QCOMPARE(QString::fromLatin1(carilab::run::faceCropName(tc.faceCrop)), crop);
        QCOMPARE(QString::fromLatin1(carilab::run::splitKindName(tc.split)), split);
    }

    // carilab --attach: the Train view follows a run that a separate carilab-cli process trains,
    // read-only, its curves growing while it runs, and shows its last step when it ends.
    void followsARunAnotherProcessTrains()
    {
        const QString dir = tmp_.filePath(QStringLiteral("followed/run"));
        QProcess cli;
        cli.start(carilab::test::cliPath(), {"train", "--dataset", dataset_, "--run-dir", dir, "--steps", "120", "--batch", "32", "--threads",
                                             "1", "--plain", "--checkpoint-every", "60"});
        QVERIFY(cli.waitForStarted(30000));
        QTRY_VERIFY_WITH_TIMEOUT(QFileInfo(dir + QStringLiteral("/metrics.jsonl")).size() > 0, 120000);
        TrainView view;
        view.setRunsDir(tmp_.filePath(QStringLiteral("followed")));
        QVERIFY(view.followRun(dir));
        QVERIFY(view.controller()->isFollowing());
        QVERIFY(view.statusText().startsWith(QStringLiteral("following")));
        auto* start = view.findChild<QPushButton*>(QStringLiteral("start"));
        auto* stop = view.findChild<QPushButton*>(QStringLiteral("stop"));
        QVERIFY(start && stop && !start->isEnabled() && !stop->isEnabled());  // read-only
        QCOMPARE(int(view.formConfig().value("steps", 0)), 120);  // the form shows the followed run's settings
        QVector<int> seen;  // the weight curve's length at each update
        connect(view.controller(), &TrainingController::curvesChanged, this, [&] {
            if (const auto* w = view.controller()->curves().curve(QStringLiteral("weight/caricature"))) seen << w->size();
        });
        QSignalSpy finished(view.controller(), &TrainingController::finished);
        QVERIFY(finished.wait(240000));
        QCOMPARE(finished.first().first().toString(), QStringLiteral("finished"));
        QVERIFY(cli.state() == QProcess::NotRunning || cli.waitForFinished(60000));
        QCOMPARE(cli.exitCode(), 0);
        const auto* w = view.controller()->curves().curve(QStringLiteral("weight/caricature"));
        QVERIFY(w);
        QCOMPARE(w->size(), 120);  // every step, once
        QCOMPARE(view.controller()->step(), 120LL);
        QVERIFY2(!seen.isEmpty() && seen.front() < 120, "the curves grew while the other process trained");
        QVERIFY(view.statusText().startsWith(QStringLiteral("finished")));
        QVERIFY(start->isEnabled());
        // Not a run: refused with the reason.
        QVERIFY(!view.followRun(tmp_.filePath(QStringLiteral("carisynth"))));
        QVERIFY(view.statusText().startsWith(QStringLiteral("Cannot follow")));
    }

    // The Precision field: fp16 offered on CUDA only, bf16 where the CPU has it; a bf16 run
    // started from the form trains in bf16 (its config.json says so).
    void precisionFieldFollowsTheDevice()
    {
        TrainView view;
        // Its own runs folder: runsViewListsRealAndBrokenRuns reads runs_' finished run as the 40-step one.
        view.setRunsDir(tmp_.filePath(QStringLiteral("precision-runs")));
        auto* precision = view.findChild<QComboBox*>(QStringLiteral("precision"));
        QVERIFY(precision);
        QCOMPARE(precision->currentText(), QStringLiteral("fp32"));
        auto c = shortConfig(12);
        c["device"] = "cuda";
        c["precision"] = "fp16";
        view.setFormConfig(c);
        QCOMPARE(QString::fromStdString(view.formConfig()["precision"]), QStringLiteral("fp16"));
        c["device"] = "cpu";  // fp16 cannot run there: the field falls back to fp32
        view.setFormConfig(c);
        QCOMPARE(QString::fromStdString(view.formConfig()["precision"]), QStringLiteral("fp32"));
        auto* model = qobject_cast<QStandardItemModel*>(precision->model());
        QVERIFY(model && !model->item(2)->isEnabled());
        QCOMPARE(model->item(1)->isEnabled(), carilab::nn::cpuHasNativeBf16());
        if (!carilab::nn::cpuHasNativeBf16()) QSKIP("this CPU has neither AMX nor AVX-512 BF16");
        c["precision"] = "bf16";
        view.setFormConfig(c);
        QSignalSpy finished(view.controller(), &TrainingController::finished);
        view.startTraining();
        QVERIFY(finished.wait(240000));
        QCOMPARE(finished.first().first().toString(), QStringLiteral("finished"));
        QFile config(view.controller()->runDir() + QStringLiteral("/config.json"));
        QVERIFY(config.open(QIODevice::ReadOnly));
        QCOMPARE(QString::fromStdString(nlohmann::json::parse(config.readAll().toStdString()).value("precision", "")), QStringLiteral("bf16"));
    }

    void presetBoxFollowsTheForm_data()
    {
        QTest::addColumn<QString>("preset");
        for (const auto& name : TrainView::presetNames()) QTest::newRow(qPrintable(name)) << name;
    }
    void presetBoxFollowsTheForm()
    {
        // The box says which preset the form holds: after choosing one, after editing a field
        // (then "(custom)"), and after setting it back by hand.
        QFETCH(QString, preset);
        TrainView view;
        auto* box = view.findChild<QComboBox*>(QStringLiteral("preset"));
        auto* batch = view.findChild<QSpinBox*>(QStringLiteral("batch"));
        QVERIFY(box && batch);
        view.setFormConfig(shortConfig(7));
        QCOMPARE(box->currentText(), QStringLiteral("(custom)"));
        QVERIFY(view.matchingPreset().isEmpty());
        Q_EMIT box->textActivated(preset);  // as when the user picks it
        QCOMPARE(box->currentText(), preset);
        QCOMPARE(view.matchingPreset(), preset);
        const int presetBatch = batch->value();
        batch->setValue(presetBatch + 1);
        QCOMPARE(box->currentText(), QStringLiteral("(custom)"));
        batch->setValue(presetBatch);
        QCOMPARE(box->currentText(), preset);
        view.applyPreset(QStringLiteral("no such preset"));
        QCOMPARE(box->currentText(), preset);
    }

    // The GUI's "Figure 3 demo" is `carilab-cli demo`'s run: one preset file (they differed, 400
    // steps against 300).
    void figure3DemoIsTheCliDemo()
    {
        TrainView view;
        view.applyPreset(QStringLiteral("Figure 3 demo"));
        const auto form = view.formConfig();
        const auto& preset = run::findPreset("figure3-demo").fields;
        for (const char* key : {"steps", "batch", "backbone", "eval_every"}) QCOMPARE(form[key], preset[key]);
        QCOMPARE(form["strategy"]["name"], preset["strategy"]);
        QCOMPARE(form["optimizer"], preset["optimizer"]);
    }

    // The fine-tune preset is the committed JSON file: its keys without a form field go with
    // the form's config (and so into the run), and leave when another preset is chosen.
    void filePresetCarriesItsKeys()
    {
        TrainView view;
        view.applyPreset(QStringLiteral("CaVI fine-tune (face-resnet)"));
        auto c = view.formConfig();
        QCOMPARE(QString::fromStdString(c.value("backbone", std::string())), QStringLiteral("face-resnet"));
        QCOMPARE(QString::fromStdString(c.value("sampler", std::string())), QStringLiteral("identity"));
        QVERIFY(c.contains("lr_multipliers") && c["dropout"] == 0);
        view.applyPreset(QStringLiteral("Quick test"));
        c = view.formConfig();
        QVERIFY(!c.contains("lr_multipliers") && !c.contains("sampler"));
    }

    void pauseResumeStopChangeState()
    {
        TrainView view;
        view.setRunsDir(runs_);
        view.setFormConfig(shortConfig(100000));
        auto* c = view.controller();
        QSignalSpy states(c, &TrainingController::stateChanged);
        QSignalSpy finished(c, &TrainingController::finished);
        view.startTraining();
        QTRY_VERIFY_WITH_TIMEOUT(c->step() >= 2, 60000);
        view.pauseOrResume();
        QTRY_VERIFY_WITH_TIMEOUT(c->isPaused(), 20000);
        QVERIFY(view.findChild<QPushButton*>(QStringLiteral("pause"))->text() == QStringLiteral("Resume"));
        const long long at = c->step();
        QTest::qWait(500);
        QCOMPARE(c->step(), at);
        view.pauseOrResume();
        QTRY_VERIFY_WITH_TIMEOUT(!c->isPaused() && c->step() > at, 20000);
        view.stopTraining();
        QVERIFY(finished.wait(60000));
        QCOMPARE(finished.first().first().toString(), QStringLiteral("stopped"));
        bool sawPaused = false;
        for (const auto& s : states) sawPaused |= s.first().toString() == QLatin1String("paused");
        QVERIFY(sawPaused);
        const auto ck = run::listCheckpoints((c->runDir() + QStringLiteral("/checkpoints")).toStdString());
        QVERIFY(!ck.empty());
        QCOMPARE(ck.back().first, c->step());
    }

    // An automatic run name already taken (a run started within the same second) gets "-2":
    // the trainer would refuse the folder, and the run would never start.
    void automaticRunNamesDoNotCollide()
    {
        const QString dir = tmp_.filePath(QStringLiteral("collide-runs"));
        QDir().mkpath(dir);
        const QDateTime now = QDateTime::currentDateTime();
        for (int s = 0; s < 5; ++s)  // this second and the next few: whichever the start lands in
            run::RunDirectory::create(QDir(dir).filePath(QStringLiteral("dynamic-tiny-") + now.addSecs(s).toString(QStringLiteral("yyyyMMdd-HHmmss"))).toStdString(),
                                      {{"dataset", "/data/x"}});
        TrainView view;
        view.setRunsDir(dir);
        view.setFormConfig(shortConfig(3));
        QSignalSpy finished(view.controller(), &TrainingController::finished);
        view.startTraining();
        QVERIFY(finished.wait(60000));
        QVERIFY2(view.controller()->runDir().endsWith(QStringLiteral("-2")), qPrintable(view.controller()->runDir()));
        QCOMPARE(finished.first().first().toString(), QStringLiteral("finished"));
    }

    void hiddenTrainViewDrawsNothingUntilShown()
    {
        TrainView view;
        view.setRunsDir(runs_);
        view.resize(1300, 800);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        view.setFormConfig(shortConfig(100000));
        auto* c = view.controller();
        QSignalSpy finished(c, &TrainingController::finished);
        QSignalSpy replots(view.plots()->plot(), &QCustomPlot::afterReplot);
        view.startTraining();
        QTRY_VERIFY_WITH_TIMEOUT(replots.count() > 0, 60000);  // shown: the plots follow the run
        view.hide();  // another tab, say
        QCoreApplication::processEvents();  // a replot queued before hiding
        replots.clear();
        const long long hiddenAt = c->step();
        QTRY_VERIFY_WITH_TIMEOUT(c->step() >= hiddenAt + 15, 120000);
        QTest::qWait(700);  // over two live replot intervals
        QCOMPARE(replots.count(), 0);
        // Shown again, it catches up at once with every point drained meanwhile.
        view.show();
        const Curve* w = c->curves().curve(QStringLiteral("weight/caricature"));
        QVERIFY(w && w->size() >= hiddenAt + 15);
        QVERIFY(view.plots()->pointCount() >= 2 * 6 * w->size());  // raw + smoothed, 3 weights + 3 losses
        QTRY_VERIFY_WITH_TIMEOUT(replots.count() > 0, 5000);
        view.stopTraining();
        QVERIFY(finished.wait(60000));
    }

    // A run killed after its checkpoint at step 10 had logged steps 11-14; resumed from the GUI,
    // each step is plotted once (issue #20: 11-14 were drawn twice, from the history loaded
    // before the trainer cut it and again as the resumed run logged them).
    void guiResumeAfterKillPlotsEachStepOnce()
    {
        const QString dir = tmp_.filePath(QStringLiteral("other-runs/killed"));  // not in runs_, which a later test counts
        auto config = shortConfig(14);
        config["checkpoint_every"] = 10;
        {
            TrainingController c;
            QSignalSpy finished(&c, &TrainingController::finished);
            c.start(config, dir);
            QVERIFY(finished.wait(120000));
        }
        // What a kill between the two checkpoints leaves: the last checkpoint is step 10, and the
        // run is not finished.
        for (const auto& [step, path] : run::listCheckpoints((dir + QStringLiteral("/checkpoints")).toStdString()))
            if (step > 10)
                QVERIFY(QFile::remove(QString::fromStdString(path)) && QFile::remove(QString::fromStdString(path) + QStringLiteral(".sha256")));
        run::RunDirectory::open(dir.toStdString()).writeStatus("running", 14);
        QCOMPARE(int(run::RunDirectory::open(dir.toStdString()).metrics().train.size()), 14);

        TrainingController c;
        QSignalSpy finished(&c, &TrainingController::finished);
        c.resumeRun(dir, 20);
        QVERIFY(finished.wait(120000));
        const Curve* w = c.curves().curve(QStringLiteral("weight/caricature"));
        QVERIFY(w);
        QCOMPARE(w->size(), 20);
        for (int i = 0; i < w->size(); ++i) QCOMPARE(w->step[i], double(i + 1));
    }

    // The process's --threads holds for a form that leaves Threads at its default (issue #20:
    // the form's "all cores" overrode it).
    void launchThreadsHoldForTheFormDefault()
    {
        run::Trainer::configureThreads(1);  // as `carilab --threads 1` does at launch
        TrainView view;
        view.setRunsDir(tmp_.filePath(QStringLiteral("other-runs")));
        auto config = shortConfig(2);
        config["threads"] = 0;
        view.setFormConfig(config);
        QCOMPARE(view.formConfig().value("threads", -1), 0);
        auto* c = view.controller();
        QSignalSpy finished(c, &TrainingController::finished);
        view.startTraining();
        QVERIFY(finished.wait(120000));
        QFile log(c->runDir() + QStringLiteral("/log.txt"));
        QVERIFY(log.open(QIODevice::ReadOnly));
        const QString text = QString::fromUtf8(log.readAll());
        QVERIFY2(text.contains(QStringLiteral("threads: 1")), qPrintable(text));
        run::Trainer::configureThreads(2);
    }

    void runsViewListsRealAndBrokenRuns()
    {
        // A broken run: config.json that is not JSON.
        const QString broken = QDir(runs_).filePath(QStringLiteral("zz-broken"));
        QDir().mkpath(broken);
        QFile f(broken + QStringLiteral("/config.json"));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("{ this is not json");
        f.close();
        // A data-parallel run says its ranks beside the backbone.
        const QString dp = QDir(runs_).filePath(QStringLiteral("zz-dp"));
        run::RunDirectory::create(dp.toStdString(), {{"dataset", "/data/x"}, {"backbone", "tiny"}, {"distributed", {{"world_size", 2}, {"backend", "gloo"}}}});
        RunsView view(runs_);
        view.show();
        const QStringList paths = view.runPaths();
        QVERIFY2(paths.size() >= 3, qPrintable(paths.join(QLatin1Char(','))));
        int brokenRow = -1, finishedRow = -1;
        for (int r = 0; r < view.table()->rowCount(); ++r) {
            const QString state = view.table()->item(r, 1)->text();
            if (state.startsWith(QStringLiteral("broken:"))) brokenRow = r;
            if (state == QLatin1String("finished")) finishedRow = r;
        }
        QVERIFY(brokenRow >= 0);
        QVERIFY(view.table()->item(brokenRow, 1)->text().contains(QStringLiteral("config.json")));
        QVERIFY(finishedRow >= 0);
        QCOMPARE(view.table()->item(finishedRow, 5)->data(Qt::DisplayRole).toLongLong(), 40LL);
        QVERIFY(!view.table()->item(finishedRow, 3)->text().contains(QStringLiteral("ranks")));
        bool dpShown = false;
        for (int r = 0; r < view.table()->rowCount(); ++r)
            dpShown |= view.table()->item(r, 0)->text() == QLatin1String("zz-dp") && view.table()->item(r, 3)->text() == QStringLiteral("tiny × 2 ranks");
        QVERIFY(dpShown);
        QString dpError;
        QVERIFY2(view.deleteRun(dp, &dpError), qPrintable(dpError));

        // Compare two runs side by side: one column of plots per run.
        QStringList good;
        for (const auto& p : paths)
            if (!p.endsWith(QLatin1String("zz-broken"))) good << p;
        view.selectRuns(good);
        view.compareSelected();
        QVERIFY(view.plots()->graphCount() > 0);

        // Rename and delete.
        QString error;
        QVERIFY(!view.renameRun(broken, QStringLiteral("../escape"), &error));
        QVERIFY(view.renameRun(broken, QStringLiteral("zz-renamed"), &error));
        QVERIFY(QDir(runs_).exists(QStringLiteral("zz-renamed")));
        QVERIFY(view.deleteRun(QDir(runs_).filePath(QStringLiteral("zz-renamed")), &error));
        QVERIFY(!QDir(runs_).exists(QStringLiteral("zz-renamed")));
        QVERIFY(!view.deleteRun(tmp_.path(), &error));  // not a run: refused
    }

    void exports_data()
    {
        QTest::addColumn<QString>("suffix");
        QTest::newRow("png") << QStringLiteral("png");
        QTest::newRow("pdf") << QStringLiteral("pdf");
        QTest::newRow("svg") << QStringLiteral("svg");
        QTest::newRow("csv") << QStringLiteral("csv");
    }

    void exports()
    {
        QFETCH(QString, suffix);
        QStringList runDirs;
        for (const auto& p : run::findRuns(runs_.toStdString())) runDirs << QString::fromStdString(p);
        QVERIFY(runDirs.size() >= 2);
        const QString out = tmp_.filePath(QStringLiteral("figure.") + suffix);
        exportWeightsLossesFigure(runDirs, out, 1200, 800, 200);
        QFile f(out);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray bytes = f.readAll();
        if (suffix == QLatin1String("png")) {
            QImage img;
            QVERIFY(img.loadFromData(bytes, "PNG"));
            QCOMPARE(img.size(), QSize(1200, 800));
            QCOMPARE(qRound(img.dotsPerMeterX() * 0.0254), 200);
        } else if (suffix == QLatin1String("pdf")) {
            QVERIFY(bytes.startsWith("%PDF-"));
            QVERIFY(bytes.contains("%%EOF"));
        } else if (suffix == QLatin1String("svg")) {
            QXmlStreamReader xml(bytes);
            bool sawSvg = false;
            while (!xml.atEnd()) {
                xml.readNext();
                if (xml.isStartElement() && xml.name() == QLatin1String("svg")) sawSvg = true;
            }
            QVERIFY2(!xml.hasError(), qPrintable(xml.errorString()));
            QVERIFY(sawSvg);
        } else {
            // Every point of every series of every run, one row each.
            long long expected = 0;
            for (const auto& d : runDirs) {
                const auto c = RunCurves::fromRunDir(d);
                for (const auto& s : c.series()) expected += s.size();
            }
            const auto lines = bytes.split('\n');
            QCOMPARE(lines.first(), QByteArray("run,step,epoch,time_s,series,value"));
            long long rows = 0;
            for (const auto& l : lines) rows += !l.isEmpty();
            QCOMPARE(rows - 1, expected);
        }
    }

    void cliExportUsesTheSameWidget()
    {
        QStringList args = {QStringLiteral("export")};
        for (const auto& p : run::findRuns(runs_.toStdString())) args << QStringLiteral("--run") << QString::fromStdString(p);
        const QString out = tmp_.filePath(QStringLiteral("cli.png"));
        args << QStringLiteral("--out") << out << QStringLiteral("--width") << QStringLiteral("900") << QStringLiteral("--height")
             << QStringLiteral("600");
        const auto r = test::runCli(args);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QImage img(out);
        QCOMPARE(img.size(), QSize(900, 600));
        // Figure 3's property, as numbers, for every run drawn.
        QCOMPARE(r.out.count(QStringLiteral("holds the top weight on")), args.count(QStringLiteral("--run")));
        const auto bad = test::runCli({QStringLiteral("export"), QStringLiteral("--run"), tmp_.path(), QStringLiteral("--out"), out});
        QVERIFY(bad.exitCode != 0);
        QVERIFY(bad.err.contains(QStringLiteral("not a run")));
    }

    // The keyboard drives a run (Ctrl+Return, Ctrl+P, Ctrl+.) and the tabs (Ctrl+1..5); after a
    // pause or a stop the progress bar drops images/s and the ETA, and the logs say when.
    void keyboardDrivesTrainingAndTabs()
    {
        MainWindow w;
        w.setConfirmClose(false);
        w.trainView()->setRunsDir(tmp_.filePath(QStringLiteral("other-runs")));
        w.trainView()->setFormConfig(shortConfig(100000));
        w.show();
        w.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&w));
        auto* c = w.trainView()->controller();
        auto* progress = w.trainView()->findChild<QProgressBar*>();
        auto* log = w.trainView()->findChild<QPlainTextEdit*>();
        QVERIFY(progress && log);

        QTest::keyClick(&w, Qt::Key_Return, Qt::ControlModifier);
        QVERIFY(c->isActive());
        QTRY_VERIFY_WITH_TIMEOUT(c->step() >= 2, 60000);
        QTRY_VERIFY_WITH_TIMEOUT(progress->format().contains(QLatin1String("img/s")), 20000);
        QTest::keyClick(&w, Qt::Key_P, Qt::ControlModifier);
        QTRY_VERIFY_WITH_TIMEOUT(c->isPaused(), 20000);
        QVERIFY2(progress->format().startsWith(QLatin1String("paused at step")) && !progress->format().contains(QLatin1String("ETA")),
                 qPrintable(progress->format()));
        QVERIFY(log->toPlainText().contains(QLatin1String("paused at step")));
        QTest::keyClick(&w, Qt::Key_P, Qt::ControlModifier);
        QTRY_VERIFY_WITH_TIMEOUT(!c->isPaused(), 20000);
        QTRY_VERIFY_WITH_TIMEOUT(log->toPlainText().contains(QLatin1String("resumed at step")), 20000);
        QSignalSpy finished(c, &TrainingController::finished);
        QTest::keyClick(&w, Qt::Key_Period, Qt::ControlModifier);
        QVERIFY(finished.wait(60000));
        QVERIFY2(progress->format().startsWith(QLatin1String("stopped at step")), qPrintable(progress->format()));
        QFile runLog(c->runDir() + QStringLiteral("/log.txt"));
        QVERIFY(runLog.open(QIODevice::ReadOnly));
        const QString text = QString::fromUtf8(runLog.readAll());
        QVERIFY(text.contains(QLatin1String("paused at step")) && text.contains(QLatin1String("resumed at step")));

        QTest::keyClick(&w, Qt::Key_2, Qt::ControlModifier);
        QCOMPARE(w.tabs()->currentWidget(), static_cast<QWidget*>(w.runsView()));
        QTest::keyClick(&w, Qt::Key_5, Qt::ControlModifier);
        QCOMPARE(w.tabs()->currentIndex(), 4);
        QTest::keyClick(&w, Qt::Key_1, Qt::ControlModifier);
        QCOMPARE(w.tabs()->currentWidget(), static_cast<QWidget*>(w.trainView()));
    }

    void closingDuringARunStopsItCleanly()
    {
        MainWindow w;
        w.setConfirmClose(false);
        w.trainView()->setRunsDir(runs_);
        w.trainView()->setFormConfig(shortConfig(100000));
        w.show();
        w.trainView()->startTraining();
        auto* c = w.trainView()->controller();
        QTRY_VERIFY_WITH_TIMEOUT(c->step() >= 2, 60000);
        const QString dir = c->runDir();
        QVERIFY(w.close());
        QVERIFY(!c->isActive());
        QCOMPARE(run::RunDirectory::open(dir.toStdString()).status()["state"].get<std::string>(), std::string("stopped"));
        QVERIFY(!run::listCheckpoints((dir + QStringLiteral("/checkpoints")).toStdString()).empty());
    }

    void screenPensAreThinExportsWide()
    {
        RunCurves run(QStringLiteral("pens"));
        for (int i = 1; i <= 200; ++i)
            run.addRecord({{"type", "train"},
                           {"step", i},
                           {"epoch", i / 20.0},
                           {"time_s", i * 0.1},
                           {"loss", {{"verification", 3.0 - i / 100.0}, {"caricature", 3.5 - i / 120.0}, {"visual", 2.5 - i / 150.0}}},
                           {"weight", {{"verification", 0.3 + i / 1000.0}, {"caricature", 0.45 - i / 2000.0}, {"visual", 0.25}}}});
        TrainingPlots plots;
        plots.resize(900, 700);
        plots.show();
        plots.setRuns({&run});
        auto thinOnScreen = [&] {
            for (int i = 0; i < plots.plot()->graphCount(); ++i) {
                const QPen pen = plots.plot()->graph(i)->pen();
                if (!pen.isCosmetic() || pen.widthF() > 1.0) return false;
            }
            return true;
        };
        QVERIFY(thinOnScreen());  // what Qt's raster engine draws without its stroker
        // The same figure exported: the smoothed curves come out wider (more blue pixels).
        auto bluePixels = [](const QImage& image) {
            int n = 0;
            const QColor blue = TrainingPlots::taskColor(QStringLiteral("verification"));
            for (int y = 0; y < image.height(); ++y)
                for (int x = 0; x < image.width(); ++x) {
                    const QColor c = image.pixelColor(x, y);
                    n += qAbs(c.red() - blue.red()) + qAbs(c.green() - blue.green()) + qAbs(c.blue() - blue.blue()) < 60;
                }
            return n;
        };
        const QString png = tmp_.filePath(QStringLiteral("pens.png"));
        plots.exportImage(png, 900, 700, 96);
        const int exported = bluePixels(QImage(png));
        const int screen = bluePixels(plots.plot()->toPixmap(900, 700).toImage());
        QVERIFY2(exported > screen * 1.3, qPrintable(QStringLiteral("exported %1, screen %2").arg(exported).arg(screen)));
        QVERIFY(thinOnScreen());  // back to the screen's pens after the export
    }

    // Before any curve the plots fill their width (an empty legend once squeezed them into a
    // 60-pixel column), show [0, 1] for weights and accuracies instead of QCustomPlot's 0-5,
    // and say what to do; the first curve takes the hint away.
    void emptyPlotsFillTheirWidthAndSayWhatToDo()
    {
        TrainingPlots plots;
        plots.resize(1000, 700);
        plots.show();
        plots.setRuns({});
        QVERIFY(QTest::qWaitForWindowExposed(&plots));
        plots.plot()->replot();
        const auto rects = plots.plot()->axisRects();
        QCOMPARE(rects.size(), 4);  // weights, losses, accuracies, gradient cosines
        for (auto* rect : rects) QVERIFY2(rect->outerRect().width() > 0.8 * plots.width(), qPrintable(QString::number(rect->outerRect().width())));
        QCOMPARE(rects[0]->axis(QCPAxis::atLeft)->range().upper, 1.0);
        QCOMPARE(rects[2]->axis(QCPAxis::atLeft)->range().upper, 1.0);
        QCOMPARE(rects[3]->axis(QCPAxis::atLeft)->range().lower, -1.0);
        QVERIFY(plots.emptyHintShown().contains(QStringLiteral("start a run")));
        plots.setEmptyText(QStringLiteral("Tick runs"));
        QCOMPARE(plots.emptyHintShown(), QStringLiteral("Tick runs"));

        RunCurves run(QStringLiteral("one"));
        for (int i = 1; i <= 5; ++i)
            run.addRecord({{"type", "train"},
                           {"step", i},
                           {"epoch", i / 5.0},
                           {"time_s", i * 0.1},
                           {"loss", {{"verification", 2.0}, {"caricature", 3.0}, {"visual", 1.0}}},
                           {"weight", {{"verification", 0.3}, {"caricature", 0.5}, {"visual", 0.2}}}});
        plots.setRuns({&run});
        QCOMPARE(plots.emptyHintShown(), QString());
        plots.plot()->replot();
        for (auto* rect : plots.plot()->axisRects()) QVERIFY(rect->outerRect().width() > 0.8 * plots.width());
    }

    // Issue #23: the gradient panel draws the logged cosines (norms on the right axis on
    // demand), the weight panel the modality bands behind the batch weights; a run without
    // inspections says so in the panel; the export draws them too.
    void gradientPanelAndBands()
    {
        RunCurves run(QStringLiteral("diag"));
        auto tasks = [](double v, double c, double p) { return nlohmann::json{{"verification", v}, {"caricature", c}, {"visual", p}}; };
        for (int i = 1; i <= 60; ++i) {
            nlohmann::json line = {{"type", "train"}, {"step", i}, {"epoch", i / 10.0}, {"time_s", i * 0.1},
                                   {"loss", tasks(2.0, 3.0, 1.0)}, {"weight", tasks(0.3, 0.45, 0.25)},
                                   {"weight_by_modality",
                                    {{"caricature", {{"samples", 32}, {"mean", tasks(0.3, 0.5, 0.2)}, {"q10", tasks(0.2, 0.4, 0.1)},
                                                     {"q50", tasks(0.3, 0.5, 0.2)}, {"q90", tasks(0.4, 0.6, 0.3)}}},
                                     {"photo", {{"samples", 32}, {"mean", tasks(0.3, 0.4, 0.3)}, {"q10", tasks(0.25, 0.35, 0.25)},
                                                {"q50", tasks(0.3, 0.4, 0.3)}, {"q90", tasks(0.35, 0.45, 0.35)}}}}}};
            if (i % 5 == 0)
                line["grad"] = {{"cos", {{"verification-caricature", 0.6}, {"verification-visual", -0.4}, {"caricature-visual", i / 100.0}}},
                                {"norm", tasks(2.0, 5.0, 1.0)}, {"parameters", 1000}};
            run.addRecord(line);
        }
        QCOMPARE(run.curve(QStringLiteral("grad_cos/caricature-visual"))->size(), 12);
        QCOMPARE(run.curve(QStringLiteral("grad_cos/caricature-visual"))->value.last(), 0.6);
        QCOMPARE(run.curve(bandKey(QStringLiteral("photo"), QStringLiteral("q90"), QStringLiteral("visual")))->size(), 60);

        TrainingPlots plots;
        plots.resize(1000, 800);
        plots.show();
        plots.setSmoothing(0);
        plots.setRuns({&run});
        const auto rects = plots.plot()->axisRects();
        QCOMPARE(rects.size(), 4);
        QCOMPARE(rects[3]->axis(QCPAxis::atLeft)->label(), QStringLiteral("grad. cosine"));
        auto graphsOn = [&](QCPAxis* axis, const char* property = nullptr) {
            int n = 0;
            for (auto* g : axis->graphs())
                n += property ? !g->property(property).toString().isEmpty() : g->property("carilab_band").toString().isEmpty() && g->dataCount() > 0;
            return n;
        };
        QCOMPARE(graphsOn(rects[3]->axis(QCPAxis::atLeft)), 3);  // one cosine per task pair
        for (auto* g : rects[3]->axis(QCPAxis::atLeft)->graphs()) {
            const QString key = g->property("carilab_key").toString();
            const auto* c = run.curve(key);
            QVERIFY(c && g->dataCount() == c->size());
            QCOMPARE(g->data()->at(0)->value, c->value.first());
            QCOMPARE(g->pen().color(), TrainingPlots::pairColor(key.section(QLatin1Char('/'), 1)));
        }
        QVERIFY(rects[3]->axis(QCPAxis::atLeft)->range().lower < -0.4);  // -0.4 is in sight
        QVERIFY(!rects[3]->axis(QCPAxis::atRight)->visible());
        QCOMPARE(graphsOn(rects[0]->axis(QCPAxis::atLeft), "carilab_band"), 2 * 3 * 3);  // 2 modalities x 3 tasks x (q10, q90, median)
        QCOMPARE(plots.gradHintShown(), QString());

        plots.setShowGradNorms(true);
        QVERIFY(rects[3]->axis(QCPAxis::atRight)->visible());
        QCOMPARE(graphsOn(rects[3]->axis(QCPAxis::atRight)), 3);
        QVERIFY(rects[3]->axis(QCPAxis::atRight)->range().upper >= 5.0);
        plots.setBands(TrainingPlots::Bands::Caricature);
        QCOMPARE(graphsOn(rects[0]->axis(QCPAxis::atLeft), "carilab_band"), 3 * 3);
        plots.setBands(TrainingPlots::Bands::None);
        QCOMPARE(graphsOn(rects[0]->axis(QCPAxis::atLeft), "carilab_band"), 0);
        plots.setBands(TrainingPlots::Bands::Both);
        // The Show menu the Train and Runs views carry drives the same settings.
        std::unique_ptr<QToolButton> show(plots.makeShowButton());
        auto action = [&](const QString& start) -> QAction* {
            for (QAction* a : show->menu()->actions())
                if (a->text().startsWith(start)) return a;
            return nullptr;
        };
        QVERIFY(action(QStringLiteral("Gradient norms")) && action(QStringLiteral("Gradient norms"))->isChecked());
        action(QStringLiteral("Gradient norms"))->trigger();
        QVERIFY(!plots.showGradNorms());
        action(QStringLiteral("Per-sample weights: photos"))->trigger();
        QCOMPARE(int(plots.bands()), int(TrainingPlots::Bands::Caricature));
        action(QStringLiteral("Per-sample weights: caricatures"))->trigger();
        QCOMPARE(int(plots.bands()), int(TrainingPlots::Bands::None));
        action(QStringLiteral("Per-sample weights: photos"))->trigger();
        action(QStringLiteral("Per-sample weights: caricatures"))->trigger();
        QCOMPARE(int(plots.bands()), int(TrainingPlots::Bands::Both));
        action(QStringLiteral("Gradient norms"))->trigger();
        QVERIFY(plots.showGradNorms());

        // The exported figure (the widget's own size) shows the cosines: the
        // verification-caricature colour is drawn inside the gradient panel.
        const QString png = tmp_.filePath(QStringLiteral("grad.png"));
        plots.exportImage(png, plots.plot()->width(), plots.plot()->height(), 96);
        const QImage image(png);
        const QColor purple = TrainingPlots::pairColor(QStringLiteral("verification-caricature"));
        const QRect panel = rects[3]->rect();
        int purplePixels = 0;
        for (int y = panel.top(); y <= panel.bottom(); ++y)
            for (int x = panel.left(); x <= panel.right(); ++x) {
                const QColor c = image.pixelColor(x, y);
                purplePixels += qAbs(c.red() - purple.red()) + qAbs(c.green() - purple.green()) + qAbs(c.blue() - purple.blue()) < 60;
            }
        QVERIFY2(purplePixels > 100, qPrintable(QString::number(purplePixels)));

        // A run from before the option: the panel stays, empty, and says why.
        RunCurves old(QStringLiteral("old"));
        for (int i = 1; i <= 5; ++i)
            old.addRecord({{"type", "train"}, {"step", i}, {"loss", tasks(2.0, 3.0, 1.0)}, {"weight", tasks(0.3, 0.45, 0.25)}});
        plots.setRuns({&old});
        QVERIFY(plots.gradHintShown().contains(QStringLiteral("inspect_every")));
        QCOMPARE(plots.emptyHintShown(), QString());
        // And the panel can go, leaving the three of Figure 3.
        plots.setShowGrad(false);
        QCOMPARE(plots.plot()->axisRects().size(), 3);
        QCOMPARE(plots.gradHintShown(), QString());
    }

    void smoothingIsBiasCorrected()
    {
        const QVector<double> v = {1, 1, 1, 1};
        const auto s = smoothEma(v, 0.9);
        for (double x : s) QVERIFY(qAbs(x - 1.0) < 1e-12);  // an uncorrected EMA would start at 0.1
        const auto raw = smoothEma({1, 3}, 0.0);
        QCOMPARE(raw[1], 3.0);
    }
};

QTEST_MAIN(TestGui)
#include "test_gui.moc"
