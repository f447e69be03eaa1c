// The Train view's Processes field: with 2 the view starts carilab-cli's launcher (two ranks,
// Gloo over loopback) instead of an in-process trainer and follows the run folder rank 0
// writes: curves, progress to the last step, the run's own record of two ranks. Stop reaches
// every rank through the launcher and ends the run at a step with a checkpoint; a job that
// fails shows the launcher's last lines.
#include "test_support.h"

#include "train_view.h"
#include "training_controller.h"

#include "fixture_trees.h"
#include "run/run_directory.h"

#include <QApplication>
#include <QDir>
#include <QFileInfo>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QCheckBox>
#include <QtTest/QtTest>

using namespace carilab;
using carilab::widgets::TrainingController;
using carilab::widgets::TrainView;

class TestTrainProcesses final : public QObject {
    Q_OBJECT

    QTemporaryDir tmp_;
    QString dataset_;

    nlohmann::json config(int steps, const QString& dataset) const
    {
        return {{"dataset", dataset.toStdString()},
                {"backbone", "tiny"},
                {"steps", steps},
                {"batch", 16},
                {"threads", 2},  // the job's: one per rank
                {"strategy", {{"name", "dynamic"}, {"temperature", 1.0}, {"normalize_logits", true}, {"detach_weights", true}, {"lr_multiplier", 1.0}}},
                {"optimizer", {{"kind", "rmsprop"}, {"lr", 0.1}}},
                {"seed", 3},
                {"device", "cpu"}};
    }

    // A shown Train view set to `steps` steps in two processes, runs written under runs/.
    std::unique_ptr<TrainView> twoProcessView(int steps, const QString& dataset)
    {
        auto view = std::make_unique<TrainView>();
        view->setRunsDir(tmp_.filePath(QStringLiteral("runs")));
        view->resize(1300, 800);
        view->show();
        view->setFormConfig(config(steps, dataset));
        view->setProcesses(2);
        return view;
    }

    static QPushButton* button(TrainView& v, const char* name) { return v.findChild<QPushButton*>(QString::fromLatin1(name)); }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(tmp_.isValid());
        qputenv("CARILAB_HOME", tmp_.filePath(QStringLiteral("home")).toUtf8());
        qputenv("CARILAB_CLI", test::cliPath().toUtf8());  // the test runs from tests/, not beside carilab-cli
        dataset_ = tmp_.filePath(QStringLiteral("carisynth"));
        test::makeCariSynth(dataset_, 8, 6, 96, 5);
    }

    void processesFieldIsThere()
    {
        TrainView view;
        auto* box = view.findChild<QSpinBox*>(QStringLiteral("processes"));
        QVERIFY(box);
        QCOMPARE(box->minimum(), 1);
        QVERIFY(box->toolTip().contains(QStringLiteral("Gloo")));
        QVERIFY(!view.formConfig().contains("processes"));  // not a config.json key
        // Sync batch norm means something only with several processes.
        auto* sync = view.findChild<QCheckBox*>(QStringLiteral("syncBn"));
        QVERIFY(sync);
        view.setProcesses(1);
        QVERIFY(!sync->isEnabled());
        view.setProcesses(2);
        QVERIFY(sync->isEnabled());
        QCOMPARE(view.formConfig().value("sync_bn", true), false);
    }

    void twoProcessesTrainAndAreFollowed()
    {
        auto view = twoProcessView(24, dataset_);
        view->findChild<QCheckBox*>(QStringLiteral("syncBn"))->setChecked(true);
        QSignalSpy started(view.get(), &TrainView::runStarted);
        QSignalSpy progress(view->controller(), &TrainingController::progress);
        QSignalSpy curves(view->controller(), &TrainingController::curvesChanged);
        QSignalSpy finished(view->controller(), &TrainingController::finished);
        QSignalSpy failed(view->controller(), &TrainingController::failed);
        QTest::mouseClick(button(*view, "start"), Qt::LeftButton);
        QVERIFY(view->controller()->isMultiProcess());
        QVERIFY(!button(*view, "start")->isEnabled() && button(*view, "stop")->isEnabled());
        QVERIFY(!button(*view, "pause")->isEnabled());  // no pause for a job of several processes
        QVERIFY(finished.wait(240000) || !failed.isEmpty());
        QVERIFY2(failed.isEmpty(), qPrintable(failed.isEmpty() ? QString() : failed.first().first().toString()));
        QCOMPARE(finished.first().first().toString(), QStringLiteral("finished"));
        QCOMPARE(started.count(), 1);
        const QString dir = started.first().first().toString();
        QVERIFY(curves.count() >= 1);
        QCOMPARE(progress.last().at(0).toLongLong(), 24LL);
        QCOMPARE(view->controller()->step(), 24LL);
        const auto* w = view->controller()->curves().curve(QStringLiteral("weight/caricature"));
        QVERIFY(w);
        QCOMPARE(w->size(), 24);
        QVERIFY(view->statusText().startsWith(QStringLiteral("finished")));
        QVERIFY(button(*view, "start")->isEnabled());
        const auto rd = run::RunDirectory::open(dir.toStdString());
        QCOMPARE(rd.config()["distributed"]["world_size"].get<int>(), 2);
        QCOMPARE(rd.config().value("sync_bn", false), true);  // the form's Sync batch norm reached the ranks
        QVERIFY(QFileInfo::exists(dir + QStringLiteral("/logs/rank1.txt")));
        QVERIFY(!view->controller()->isActive());
    }

    void stopEndsEveryRankAtAStep()
    {
        auto view = twoProcessView(100000, dataset_);
        QSignalSpy started(view.get(), &TrainView::runStarted);
        QSignalSpy finished(view->controller(), &TrainingController::finished);
        QSignalSpy failed(view->controller(), &TrainingController::failed);
        QTest::mouseClick(button(*view, "start"), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(view->controller()->step() >= 3 || !failed.isEmpty(), 120000);
        QVERIFY(failed.isEmpty());
        QTest::mouseClick(button(*view, "stop"), Qt::LeftButton);
        QVERIFY(finished.wait(120000) || !failed.isEmpty());
        QVERIFY2(failed.isEmpty(), qPrintable(failed.isEmpty() ? QString() : failed.first().first().toString()));
        QCOMPARE(finished.first().first().toString(), QStringLiteral("stopped"));
        const auto rd = run::RunDirectory::open(started.first().first().toString().toStdString());
        const long long step = rd.status().value("step", 0LL);
        QVERIFY(step >= 3 && step < 100000);
        QVERIFY2(QFileInfo::exists(QString::fromStdString(rd.path()) + QStringLiteral("/checkpoints/step-%1.pt").arg(step, 8, 10, QLatin1Char('0'))),
                 "the stop's checkpoint");
        QVERIFY(view->statusText().startsWith(QStringLiteral("stopped")));
    }

    void failureShowsTheLaunchersLastLines()
    {
        auto view = twoProcessView(10, tmp_.filePath(QStringLiteral("no-such-dataset")));
        QSignalSpy failed(view->controller(), &TrainingController::failed);
        QTest::mouseClick(button(*view, "start"), Qt::LeftButton);
        QVERIFY(failed.wait(120000));
        const QString message = failed.first().first().toString();
        QVERIFY2(message.contains(QStringLiteral("exited with status")) && message.contains(QStringLiteral("no-such-dataset")), qPrintable(message));
        QVERIFY(view->statusText().startsWith(QStringLiteral("failed")));
        QVERIFY(button(*view, "start")->isEnabled());
    }
};

QTEST_MAIN(TestTrainProcesses)
#include "test_train_processes.moc"
