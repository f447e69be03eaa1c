// The trainer on real CariSynth images: Figure 3 behaviour, control, resume, failures.
#include "data/carisynth.h"
#include "run/checkpoint.h"
#include "run/resume_rules.h"
#include "run/run_directory.h"
#include "run/trainer.h"
#include "run/weight_dynamics.h"
#include "test_support.h"
#include "trainer_runs.h"

#include <fstream>
#include <map>

#include <QtTest/QtTest>

#include <QProcess>

#include <csignal>
#include <filesystem>

using namespace carilab;

namespace {

run::TrainConfig baseConfig(const QString& dataset, long long steps)
{
    run::TrainConfig c;
    c.dataset = dataset.toStdString();
    c.backbone = "tiny";
    c.steps = steps;
    c.batch = 32;
    c.threads = 2;
    c.checkpointEvery = 1000;
    c.evalEvery = 100000;  // only the final evaluation
    return c;
}

bool hasEvent(const std::vector<run::TrainerEvent>& ev, run::TrainerEvent::Kind k)
{
    return std::any_of(ev.begin(), ev.end(), [&](const run::TrainerEvent& e) { return e.kind == k; });
}

double meanLoss(const std::vector<run::StepRecord>& recs, size_t from, size_t to, size_t task)
{
    double s = 0;
    for (size_t i = from; i < to; ++i) s += recs[i].loss.value().at(task);
    return s / static_cast<double>(to - from);
}

}  // namespace

class TestTrainer final : public QObject {
    Q_OBJECT

private:
    QTemporaryDir tmp_;
    QString dataset_;
    std::map<QString, std::pair<double, double>> fp32HeldOut_;  // figure3: strategy -> (acc, AUC)

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(tmp_.isValid());
        dataset_ = tmp_.filePath(QStringLiteral("carisynth"));
        data::CariSynthOptions o;
        o.seed = 7;  // the default 40 x (20 + 20) demo size: smaller sets are memorised in 100 steps
        data::generateCariSynth(dataset_.toStdString(), o);
        run::Trainer::configureThreads(2);
    }

    void figure3_data()
    {
        QTest::addColumn<QString>("strategy");
        QTest::addColumn<QString>("precision");
        QTest::newRow("dynamic") << QStringLiteral("dynamic") << QStringLiteral("fp32");
        QTest::newRow("naive") << QStringLiteral("naive") << QStringLiteral("fp32");
        // bf16 training (--precision bf16): the same behaviour, and held-out figures level with
        // fp32's (the rows above ran first).
        QTest::newRow("dynamic bf16") << QStringLiteral("dynamic") << QStringLiteral("bf16");
        QTest::newRow("naive bf16") << QStringLiteral("naive") << QStringLiteral("bf16");
    }

    // The paper's Figure 3: dynamic weights follow the hardest task; naive weights starve it.
    void figure3()
    {
        QFETCH(QString, strategy);
        QFETCH(QString, precision);
        if (precision == QLatin1String("bf16") && !nn::cpuHasNativeBf16()) QSKIP("this CPU has neither AMX nor AVX-512 BF16");
        auto c = baseConfig(dataset_, 240);
        c.batch = 64;
        c.inspectEvery = 0;  // four 240-step runs in one function: no gradient inspections (inspectionLeavesTrainingAsIs has them)
        c.strategy = nn::parseStrategyName(strategy.toStdString());
        c.precision = nn::parsePrecision(precision.toStdString());
        run::applyStrategyDefaults(c, nlohmann::json::object());
        const QString dir = tmp_.filePath(QStringLiteral("fig3-%1-%2").arg(strategy, precision));
        run::Trainer t(c, dir.toStdString());
        const auto events = test::runToEnd(t);
        QCOMPARE(int(t.state()), int(run::Trainer::State::Finished));
        QVERIFY(hasEvent(events, run::TrainerEvent::Kind::Metrics));

        const auto m = run::RunDirectory::open(dir.toStdString()).metrics();
        QCOMPARE(int(m.train.size()), 240);
        const size_t warm = 40;
        // Every task's loss falls (first vs last 40 steps).
        for (size_t task = 0; task < run::kTaskNames.size(); ++task) {
            const double early = meanLoss(m.train, 0, 40, task), late = meanLoss(m.train, m.train.size() - 40, m.train.size(), task);
            QVERIFY2(late < early, qPrintable(QStringLiteral("%1 loss %2 -> %3").arg(QLatin1String(run::kTaskNames[task])).arg(early).arg(late)));
        }
        // The hardest task: the highest mean loss after warm-up (what `export` prints).
        const auto d = run::weightDynamics(m.train, warm + 1);  // steps count from 1
        QCOMPARE(d.records, m.train.size() - warm);
        const double follow = d.follow, starved = d.hardestStarved;
        qInfo("%s: %s", qPrintable(strategy), run::describe(d).c_str());
        if (strategy == QLatin1String("dynamic"))
            QVERIFY2(follow > 0.5, qPrintable(QString::number(follow)));
        else
            QVERIFY2(starved > 0.5, qPrintable(QString::number(starved)));

        // The final evaluation is on disk and beats chance on verification.
        const auto eval = run::RunDirectory::open(dir.toStdString()).eval();
        QVERIFY(eval.contains("held_out"));
        const double acc = eval["held_out"]["verification_acc"].get<double>();
        QVERIFY(acc > 0.6);
        const double auc = eval["held_out"]["verification_auc"].get<double>();
        if (precision == QLatin1String("fp32")) {
            fp32HeldOut_[strategy] = {acc, auc};
            return;
        }
        // bf16 against fp32, same seed and data: level within the run-to-run noise of this
        // 240-step training (seeds differ by a few points of accuracy, ~0.02 of AUC).
        QCOMPARE(QString::fromStdString(run::RunDirectory::open(dir.toStdString()).config().value("precision", "")), QStringLiteral("bf16"));
        const auto it = fp32HeldOut_.find(strategy);
        QVERIFY2(it != fp32HeldOut_.end(), "the fp32 row runs first");
        qInfo("%s held-out verification: fp32 acc %.3f AUC %.3f, bf16 acc %.3f AUC %.3f", qPrintable(strategy), it->second.first,
              it->second.second, acc, auc);
        QVERIFY2(std::abs(acc - it->second.first) <= 0.05, qPrintable(QStringLiteral("acc %1 vs %2").arg(acc).arg(it->second.first)));
        QVERIFY2(std::abs(auc - it->second.second) <= 0.03, qPrintable(QStringLiteral("AUC %1 vs %2").arg(auc).arg(it->second.second)));
    }

    void pauseResumeStop()
    {
        auto c = baseConfig(dataset_, 100000);
        c.checkpointEvery = 100000;
        const QString dir = tmp_.filePath(QStringLiteral("control"));
        run::Trainer t(c, dir.toStdString());
        t.start();
        QTRY_VERIFY_WITH_TIMEOUT(t.step() >= 3, 60000);
        t.pause();
        QTRY_COMPARE_WITH_TIMEOUT(int(t.state()), int(run::Trainer::State::Paused), 20000);
        const long long pausedAt = t.step();
        QTest::qWait(600);
        QCOMPARE(t.step(), pausedAt);  // no steps while paused
        QCOMPARE(run::RunDirectory::open(dir.toStdString()).status()["state"].get<std::string>(), std::string("paused"));
        t.resume();
        QTRY_VERIFY_WITH_TIMEOUT(t.step() > pausedAt + 1, 20000);
        t.stop();
        // Until its last checkpoint is written, a stopped run says so (issue #20: never set before).
        QVERIFY(t.state() == run::Trainer::State::Stopping || t.state() == run::Trainer::State::Stopped);
        QVERIFY(t.waitFor(30000));
        t.wait();
        QCOMPARE(int(t.state()), int(run::Trainer::State::Stopped));
        const auto events = t.events().drain();
        const auto stopping = std::find_if(events.begin(), events.end(), [](const run::TrainerEvent& e) {
            return e.kind == run::TrainerEvent::Kind::StateChanged && e.state() == run::RunState::Stopping;
        });
        QVERIFY(stopping != events.end());
        QVERIFY(std::any_of(stopping, events.end(), [](const run::TrainerEvent& e) { return e.kind == run::TrainerEvent::Kind::Finished; }));
        // Stop wrote a final checkpoint at the step it stopped on.
        const auto ck = run::listCheckpoints((dir + QStringLiteral("/checkpoints")).toStdString());
        QVERIFY(!ck.empty());
        QCOMPARE(ck.back().first, t.step());
        QCOMPARE(run::RunDirectory::open(dir.toStdString()).status()["state"].get<std::string>(), std::string("stopped"));
    }

    // Resuming from a checkpoint continues exactly where the run was.
    void resumeIsExact()
    {
        auto c = baseConfig(dataset_, 30);
        const QString straight = tmp_.filePath(QStringLiteral("straight"));
        {
            run::Trainer t(c, straight.toStdString());
            test::runToEnd(t);
        }
        c.steps = 15;
        const QString split = tmp_.filePath(QStringLiteral("split"));
        {
            run::Trainer t(c, split.toStdString());
            test::runToEnd(t);
        }
        run::TrainConfig more;
        more.steps = 30;
        {
            run::Trainer t(more, split.toStdString(), /*resume=*/true);
            test::runToEnd(t);
            QCOMPARE(int(t.state()), int(run::Trainer::State::Finished));
        }
        const auto a = run::RunDirectory::open(straight.toStdString()).metrics().train;
        const auto b = run::RunDirectory::open(split.toStdString()).metrics().train;
        // Held-out records carry the run's clock like the training records (they were all at 0),
        // continuing across the resume.
        for (const QString& dir : {straight, split}) {
            const auto m = run::RunDirectory::open(dir.toStdString()).metrics();
            QVERIFY(!m.heldOut.empty());
            QVERIFY(m.heldOut.back().timeS > 0.0);
            QVERIFY(m.heldOut.back().timeS >= m.train.back().timeS);
        }
        QCOMPARE(int(b.size()), 30);
        for (int i = 0; i < 30; ++i) {
            QCOMPARE(b[size_t(i)].step, i + 1LL);
            for (size_t task = 0; task < run::kTaskNames.size(); ++task)
                QVERIFY2(std::abs(a[size_t(i)].loss.value().at(task) - b[size_t(i)].loss.value().at(task)) < 1e-3,
                         qPrintable(QStringLiteral("step %1 task %2").arg(i + 1).arg(QLatin1String(run::kTaskNames[task]))));
        }
    }

    // Issue #23: inspecting the task gradients every 3 steps logs them on those steps (logged
    // even off the log_every cadence) and leaves the training exactly as it is without; the
    // modality bands of the dynamic weights pool back to the batch weight they come from.
    void inspectionLeavesTrainingAsIs()
    {
        auto c = baseConfig(dataset_, 12);
        c.logEvery = 2;
        std::map<long long, run::StepRecord> runs[2];
        for (int k = 0; k < 2; ++k) {
            c.inspectEvery = k == 0 ? 0 : 3;
            const QString dir = tmp_.filePath(QStringLiteral("inspect-%1").arg(k));
            run::Trainer t(c, dir.toStdString());
            test::runToEnd(t);
            QCOMPARE(int(t.state()), int(run::Trainer::State::Finished));
            for (const auto& r : run::RunDirectory::open(dir.toStdString()).metrics().train) runs[k][r.step] = r;
        }
        QCOMPARE(runs[0].size(), size_t(6));
        QCOMPARE(runs[1].size(), size_t(8));  // 2 4 6 8 10 12, and the inspected 3 and 9
        for (const auto& [step, r] : runs[1]) {
            QCOMPARE(bool(r.grad), step % 3 == 0);
            if (r.grad) {
                QVERIFY(r.grad->parameters > 0);
                for (double n : r.grad->norm) QVERIFY(std::isfinite(n) && n > 0);
                for (double cos : r.grad->cos) QVERIFY(cos >= -1 && cos <= 1);
                qInfo("step %lld: cos v-c %.3f v-v %.3f c-v %.3f", step, r.grad->cos[0], r.grad->cos[1], r.grad->cos[2]);
            }
            const auto& w = r.weightByModality;
            QVERIFY(w && w->caricature && w->photo);
            QCOMPARE(w->caricature->samples, r.caricatures);
            QCOMPARE(w->photo->samples, r.photos);
            for (size_t t = 0; t < 3; ++t) {
                const double pooled = (w->caricature->mean[t] * double(r.caricatures) + w->photo->mean[t] * double(r.photos)) / double(r.caricatures + r.photos);
                QVERIFY2(std::abs(pooled - r.weightRaw->at(t)) < 1e-6, qPrintable(QStringLiteral("step %1: %2 vs %3").arg(step).arg(pooled).arg(r.weightRaw->at(t))));
                QVERIFY(w->caricature->q10[t] <= w->caricature->q50[t] && w->caricature->q50[t] <= w->caricature->q90[t]);
            }
            if (!runs[0].count(step)) continue;
            const auto& plain = runs[0].at(step);
            QVERIFY(!plain.grad);
            // Bit-identical: the same losses and weights at every step both runs logged.
            QCOMPARE(plain.loss, r.loss);
            QCOMPARE(plain.weightRaw, r.weightRaw);
            QCOMPARE(plain.totalLoss, r.totalLoss);
        }
    }

    // --resume keeps the run's unit: steps extend a step-counted run, epochs an epoch-counted
    // one; the other unit is refused instead of shortening the run or being ignored (issue #20).
    void resumeBudgetKeepsItsUnit()
    {
        run::TrainConfig bySteps;
        bySteps.steps = 100;
        QCOMPARE(run::resumedConfig(bySteps, {150, 0}).steps, 150LL);
        QCOMPARE(run::resumedConfig(bySteps, {}).steps, 100LL);
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, run::resumedConfig(bySteps, {0, 3.0}));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, run::resumedConfig(bySteps, {50, 0}));
        run::TrainConfig byEpochs;
        byEpochs.epochs = 2;
        QCOMPARE(run::resumedConfig(byEpochs, {0, 4.0}).epochs, 4.0);
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, run::resumedConfig(byEpochs, {5, 0}));

        // Through the CLI, on an epoch-counted run folder: refused by name, config.json untouched.
        const QString dir = tmp_.filePath(QStringLiteral("by-epochs"));
        QVERIFY(QDir().mkpath(dir));
        const std::string config = nlohmann::json{{"dataset", dataset_.toStdString()}, {"epochs", 2}, {"backbone", "tiny"}}.dump();
        std::ofstream((dir + "/config.json").toStdString()) << config;
        auto r = test::runCli(
            {QStringLiteral("train"), QStringLiteral("--run-dir"), dir, QStringLiteral("--resume"), QStringLiteral("--steps"), QStringLiteral("5")});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(QStringLiteral("this run counts epochs")), qPrintable(r.err));
        QFile f(dir + "/config.json");
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readAll().toStdString(), config);
    }

    // The thread count is the process's (carilab-cli --threads, carilab --threads): the trainer
    // used to reset it from the run's config on its own thread (issue #20).
    void threadsAreTheProcessChoice()
    {
        auto c = baseConfig(dataset_, 4);
        c.threads = 2;  // the recipe's value, which must not win
        const QString dir = tmp_.filePath(QStringLiteral("threads"));
        run::Trainer::configureThreads(1);
        {
            run::Trainer t(c, dir.toStdString());
            test::runToEnd(t);
            QCOMPARE(int(t.state()), int(run::Trainer::State::Finished));
        }
        run::Trainer::configureThreads(2);
        auto logOf = [&] {
            QFile f(dir + "/log.txt");
            return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
        };
        QVERIFY2(logOf().contains(QStringLiteral("threads: 1")), qPrintable(logOf()));
        const auto r = test::runCli({QStringLiteral("train"), QStringLiteral("--run-dir"), dir, QStringLiteral("--resume"), QStringLiteral("--steps"),
                                     QStringLiteral("6"), QStringLiteral("--threads"), QStringLiteral("1"), QStringLiteral("--plain")});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(logOf().count(QStringLiteral("threads: 1")), 2);
        QVERIFY(!logOf().contains(QStringLiteral("threads: 2")));
    }

    void nonFiniteLossStops()
    {
        auto c = baseConfig(dataset_, 200);
        c.optimizer.kind = carilab::nn::OptimizerKind::Sgd;
        c.optimizer.lr = 1e30;
        c.clipNorm = 0;
        c.checkpointEvery = 1;
        const QString dir = tmp_.filePath(QStringLiteral("nan"));
        run::Trainer t(c, dir.toStdString());
        const auto events = test::runToEnd(t);
        QCOMPARE(int(t.state()), int(run::Trainer::State::Failed));
        auto it = std::find_if(events.begin(), events.end(), [](const run::TrainerEvent& e) { return e.kind == run::TrainerEvent::Kind::Error; });
        QVERIFY(it != events.end());
        QVERIFY2(it->message.find("loss became") != std::string::npos && it->message.find("at step") != std::string::npos, it->message.c_str());
        const bool namesTask = std::any_of(run::kTaskNames.begin(), run::kTaskNames.end(),
                                           [&](const char* task) { return it->message.find(task) != std::string::npos; });
        QVERIFY(namesTask);
        const auto status = run::RunDirectory::open(dir.toStdString()).status();
        QCOMPARE(status["state"].get<std::string>(), std::string("failed"));
        // The checkpoints kept are all from steps before the failure.
        for (const auto& [step, path] : run::listCheckpoints((dir + QStringLiteral("/checkpoints")).toStdString())) QVERIFY(step < it->step + 1);
    }

    void cudaOnCpuBuildIsAClearError()
    {
        if (torch::cuda::is_available()) QSKIP("this LibTorch has CUDA; the error path is for CPU-only builds");
        auto c = baseConfig(dataset_, 5);
        c.device = run::DeviceChoice{run::DeviceKind::Cuda, -1};
        run::Trainer t(c, tmp_.filePath(QStringLiteral("cuda")).toStdString());
        const auto events = test::runToEnd(t);
        QCOMPARE(int(t.state()), int(run::Trainer::State::Failed));
        auto it = std::find_if(events.begin(), events.end(), [](const run::TrainerEvent& e) { return e.kind == run::TrainerEvent::Kind::Error; });
        QVERIFY(it != events.end());
        QVERIFY2(it->message.find("CUDA") != std::string::npos, it->message.c_str());
    }

    // fp16 is CUDA's: a CPU run refuses it before any step, saying what to use; a bad name is a
    // config error naming the choices.
    void precisionTheDeviceCannotRunIsAClearError()
    {
        auto c = baseConfig(dataset_, 5);
        c.precision = nn::Precision::Fp16;
        run::Trainer t(c, tmp_.filePath(QStringLiteral("fp16-on-cpu")).toStdString());
        const auto events = test::runToEnd(t);
        QCOMPARE(int(t.state()), int(run::Trainer::State::Failed));
        const std::string message = test::errorOf(events);
        QVERIFY2(message.find("CUDA only") != std::string::npos && message.find("bf16") != std::string::npos, message.c_str());
        try {
            run::trainConfigFromJson({{"dataset", "x"}, {"precision", "fp8"}});
            QFAIL("precision fp8 accepted");
        } catch (const std::invalid_argument& e) {
            QVERIFY2(std::string(e.what()).find("fp32, bf16 or fp16") != std::string::npos, e.what());
        }
        // Written only when not fp32, and read back.
        QVERIFY(!run::toJson(baseConfig(dataset_, 5)).contains("precision"));
        QCOMPARE(int(run::trainConfigFromJson(run::toJson(c)).precision), int(nn::Precision::Fp16));
    }

    // A bad config names its file: a --config given to train, and a run's own config.json
    // met by --resume.
    void configErrorsNameTheFile()
    {
        const QString cfg = tmp_.path() + "/bad-config.json";
        {
            std::ofstream(cfg.toStdString()) << R"({"steps": "ten", "backbone": "tiny"})";
        }
        auto r = test::runCli({QStringLiteral("train"), QStringLiteral("--config"), cfg, QStringLiteral("--dataset"), tmp_.path(),
                               QStringLiteral("--run-dir"), tmp_.path() + "/never"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(cfg + " (with the command line's options): steps: wrong type (string)"), qPrintable(r.err));

        const QString runDir = tmp_.path() + "/run-with-bad-config";
        QVERIFY(QDir().mkpath(runDir));
        {
            std::ofstream((runDir + "/config.json").toStdString()) << R"({"dataset": "x", "steps": 5, "stpes": 5})";
        }
        r = test::runCli({QStringLiteral("train"), QStringLiteral("--run-dir"), runDir, QStringLiteral("--resume")});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(runDir + "/config.json: config: unknown key 'stpes'"), qPrintable(r.err));
    }

    void configJson_data()
    {
        QTest::addColumn<QString>("json");
        QTest::addColumn<bool>("valid");
        QTest::newRow("minimal") << QStringLiteral(R"({"dataset":"x","steps":10})") << true;
        QTest::newRow("strategy object") << QStringLiteral(R"({"dataset":"x","steps":10,"strategy":{"name":"dynamic","temperature":2}})") << true;
        QTest::newRow("static") << QStringLiteral(R"({"dataset":"x","steps":10,"strategy":"static:0.55,0.30,0.15"})") << true;
        QTest::newRow("schedule") << QStringLiteral(R"({"dataset":"x","epochs":60,"lr_schedule":{"0":0.1,"50":0.01}})") << true;
        QTest::newRow("unknown key") << QStringLiteral(R"({"dataset":"x","steps":10,"stpes":5})") << false;
        QTest::newRow("wrong type") << QStringLiteral(R"({"dataset":"x","steps":"ten"})") << false;
        QTest::newRow("bad strategy") << QStringLiteral(R"({"dataset":"x","steps":10,"strategy":"magic"})") << false;
        QTest::newRow("no length") << QStringLiteral(R"({"dataset":"x"})") << false;
        QTest::newRow("bad device") << QStringLiteral(R"({"dataset":"x","steps":10,"device":"tpu"})") << false;
        QTest::newRow("not object") << QStringLiteral(R"([1,2])") << false;
    }

    void configJson()
    {
        QFETCH(QString, json);
        QFETCH(bool, valid);
        const auto j = nlohmann::json::parse(json.toStdString());
        if (!valid) {
            QVERIFY_THROWS_EXCEPTION(std::invalid_argument, run::trainConfigFromJson(j));
            return;
        }
        const auto c = run::trainConfigFromJson(j);
        // Round trip: config.json repeats the run exactly.
        QCOMPARE(QString::fromStdString(run::toJson(run::trainConfigFromJson(run::toJson(c))).dump()), QString::fromStdString(run::toJson(c).dump()));
    }

    // Each named choice reads and writes back as the same word; a bad one names the valid ones.
    void choicesKeepTheirNames_data()
    {
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("value");
        const std::pair<const char*, std::vector<const char*>> choices[] = {{"split", {"auto", "image", "identity", "protocol", "official", "refit"}},
                                                                            {"face_crop", {"auto", "align", "box", "face-api"}},
                                                                            {"device", {"cpu", "cuda", "cuda:0", "cuda:1"}},
                                                                            {"optimizer/kind", {"rmsprop", "adam", "sgd"}},
                                                                            {"id_head/kind", {"softmax", "cosface"}}};
        for (const auto& [key, values] : choices)
            for (const char* v : values) QTest::addRow("%s=%s", key, v) << QString::fromLatin1(key) << QString::fromLatin1(v);
    }

    void choicesKeepTheirNames()
    {
        QFETCH(QString, key);
        QFETCH(QString, value);
        const nlohmann::json::json_pointer at("/" + key.toStdString());
        nlohmann::json j = {{"dataset", "x"}, {"steps", 10}};
        j[at] = value.toStdString();
        QCOMPARE(QString::fromStdString(run::toJson(run::trainConfigFromJson(j))[at]), value);
        j[at] = "nonsense";
        try {
            run::trainConfigFromJson(j);
            QFAIL("a bad choice was accepted");
        } catch (const std::invalid_argument& e) {
            const std::string m = e.what();
            QVERIFY2(m.find("'nonsense'") != std::string::npos && m.find("valid: ") != std::string::npos, e.what());
        }
    }

    void lrSchedule()
    {
        auto c = run::trainConfigFromJson(nlohmann::json::parse(R"({"dataset":"x","epochs":60,"lr_schedule":{"0":0.1,"50":0.01}})"));
        QCOMPARE(c.lrAtEpoch(0), 0.1);
        QCOMPARE(c.lrAtEpoch(49.9), 0.1);
        QCOMPARE(c.lrAtEpoch(50), 0.01);
    }

    // SIGKILL mid-run, then --resume: the run completes and metrics.jsonl stays readable.
    void killAndResume()
    {
        const QString dir = tmp_.filePath(QStringLiteral("killed"));
        const QStringList args = {QStringLiteral("train"),
                                  QStringLiteral("--dataset"),
                                  dataset_,
                                  QStringLiteral("--run-dir"),
                                  dir,
                                  QStringLiteral("--steps"),
                                  QStringLiteral("60"),
                                  QStringLiteral("--batch"),
                                  QStringLiteral("32"),
                                  QStringLiteral("--checkpoint-every"),
                                  QStringLiteral("10"),
                                  QStringLiteral("--threads"),
                                  QStringLiteral("2"),
                                  QStringLiteral("--plain")};
        QProcess p;
        p.start(test::cliPath(), args);
        QVERIFY(p.waitForStarted());
        const std::string ckDir = (dir + QStringLiteral("/checkpoints")).toStdString();
        QTRY_VERIFY_WITH_TIMEOUT(!run::listCheckpoints(ckDir).empty() && run::listCheckpoints(ckDir).back().first >= 20, 120000);
        ::kill(static_cast<pid_t>(p.processId()), SIGKILL);
        QVERIFY(p.waitForFinished());
        const auto before = run::RunDirectory::open(dir.toStdString()).metrics();
        QVERIFY(!before.problems.size());
        const long long lastCk = run::listCheckpoints(ckDir).back().first;

        const auto r =
            test::runCli({QStringLiteral("train"), QStringLiteral("--run-dir"), dir, QStringLiteral("--resume"), QStringLiteral("--plain")}, 240000);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY(r.out.contains(QStringLiteral("steps %1 -> 60").arg(lastCk)));
        const auto m = run::RunDirectory::open(dir.toStdString()).metrics();
        QVERIFY(m.problems.empty());
        QCOMPARE(int(m.train.size()), 60);
        for (int i = 0; i < 60; ++i) QCOMPARE(m.train[size_t(i)].step, i + 1LL);
        QCOMPARE(run::RunDirectory::open(dir.toStdString()).status()["state"].get<std::string>(), std::string("finished"));
    }
};

QTEST_GUILESS_MAIN(TestTrainer)
#include "test_trainer.moc"
