// Data-parallel training on c10d (issue #22): 2 ranks x 1 thread, Gloo over loopback, the tiny
// backbone on a small CariSynth set. Each rank is this test executable started again in rank
// mode (below main), so the trainer runs exactly as carilab-cli's ranks run it, without the CLI.
#include "fixture_trees.h"
#include "test_support.h"
#include "dist/launch_env.h"
#include "dist/process_group_replicas.h"
#include "run/metrics_log.h"
#include "run/run_model.h"
#include "run/run_directory.h"
#include "run/trainer.h"

#include <nlohmann/json.hpp>

#include <signal.h>

#include <QtTest/QtTest>

#include <cmath>
#include <fstream>
#include <iostream>
#include <map>
#include <filesystem>
#include <regex>

using namespace carilab;

namespace {

constexpr const char* kChildMarker = "CARILAB_DP_TEST_RANK";

// ---- rank mode: one rank of the job, from the environment the test sets
int runRank()
{
    try {
        run::Trainer::configureThreads(1);
        const auto env = dist::launchEnvFrom(dist::processEnvironment());
        std::shared_ptr<nn::Replicas> replicas;
        if (env) replicas = dist::ProcessGroupReplicas::connect(*env, dist::Backend::Gloo, dist::timeoutFrom(dist::processEnvironment()));
        std::ifstream f(std::getenv("CARILAB_DP_CONFIG"));
        const run::TrainConfig config = run::trainConfigFromJson(nlohmann::json::parse(f));
        const bool resume = std::getenv("CARILAB_DP_RESUME") != nullptr;
        run::Trainer trainer(config, std::getenv("CARILAB_DP_RUN"), resume, replicas);
        if (const char* k = std::getenv("CARILAB_DP_CHECK_EVERY")) trainer.setReplicaCheckEvery(std::atoll(k));
        trainer.start();
        trainer.wait();
        for (const auto& e : trainer.events().drain())
            if (e.kind == run::TrainerEvent::Kind::Error) {
                std::cerr << "rank error: " << e.message << "\n";
                return 1;
            }
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "rank error: " << e.what() << "\n";
        return 1;
    }
}


struct Job {
    std::vector<std::unique_ptr<QProcess>> ranks;
    ~Job()
    {
        for (auto& p : ranks)
            if (p->state() != QProcess::NotRunning) {
                p->kill();
                p->waitForFinished(5000);
            }
    }
};

// Per step: the losses (3), weights (3), total and centre loss, as logged.
std::map<long long, std::vector<double>> loggedFigures(const QString& runDir)
{
    std::map<long long, std::vector<double>> out;
    for (const auto& r : run::readMetricsFile(runDir.toStdString() + "/metrics.jsonl").train) {
        std::vector<double> v(r.loss->begin(), r.loss->end());
        v.insert(v.end(), r.weightRaw->begin(), r.weightRaw->end());
        v.push_back(r.totalLoss.value_or(NAN));
        v.push_back(r.centerLoss.value_or(NAN));
        out[r.step] = v;
    }
    return out;
}

// "replica fingerprint after step N: X" lines of one rank's log.
std::map<long long, std::string> fingerprints(const QString& logFile)
{
    static const std::regex line(R"(replica fingerprint after step (\d+): ([0-9a-f]+))");
    std::map<long long, std::string> out;
    std::ifstream f(logFile.toStdString());
    std::smatch m;
    for (std::string l; std::getline(f, l);)
        if (std::regex_search(l, m, line)) out[std::stoll(m[1])] = m[2];
    return out;
}

}  // namespace

class TestDataParallel : public QObject {
    Q_OBJECT

    QTemporaryDir tmp_;
    QString dataset_;

    QString writeConfig(const QString& name, nlohmann::json extra)
    {
        nlohmann::json c = {{"dataset", dataset_.toStdString()},
                            {"backbone", "tiny"},
                            {"batch", 8},
                            {"steps", 20},
                            {"seed", 3},
                            {"threads", 1},
                            {"log_every", 1},
                            {"eval_every", 1000},
                            {"checkpoint_every", 10},
                            {"inspect_every", 0},
                            {"split", "image"}};
        if (extra.is_object()) c.update(extra);
        const QString path = tmp_.filePath(name + ".json");
        std::ofstream(path.toStdString()) << c.dump(2);
        return path;
    }

    // Starts `ranks` processes (1: a plain single-process run) training runDir.
    void startJob(Job& job, int ranks, const QString& config, const QString& runDir, int port, const QStringList& extraEnv = {})
    {
        for (int r = 0; r < ranks; ++r) {
            auto p = std::make_unique<QProcess>();
            QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
            env.insert(kChildMarker, "1");
            env.insert("CARILAB_DP_CONFIG", config);
            env.insert("CARILAB_DP_RUN", runDir);
            if (ranks > 1) {
                env.insert("WORLD_SIZE", QString::number(ranks));
                env.insert("RANK", QString::number(r));
                env.insert("LOCAL_RANK", QString::number(r));
                env.insert("MASTER_ADDR", "127.0.0.1");
                env.insert("MASTER_PORT", QString::number(port));
            }
            for (const auto& kv : extraEnv) env.insert(kv.section('=', 0, 0), kv.section('=', 1));
            p->setProcessEnvironment(env);
            p->setProcessChannelMode(QProcess::ForwardedErrorChannel);
            p->start(QCoreApplication::applicationFilePath(), {});
            QVERIFY2(p->waitForStarted(10000), "rank did not start");
            job.ranks.push_back(std::move(p));
        }
    }

    void finishJob(Job& job, int timeoutMs = 240000)
    {
        for (size_t r = 0; r < job.ranks.size(); ++r) {
            QVERIFY2(job.ranks[r]->waitForFinished(timeoutMs), qPrintable(QString("rank %1 did not finish").arg(r)));
            QCOMPARE(job.ranks[r]->exitCode(), 0);
        }
    }

    void train(int ranks, const QString& config, const QString& runDir, const QStringList& env = {})
    {
        Job job;
        startJob(job, ranks, config, runDir, test::freeLoopbackPort(), env);
        finishJob(job);
    }

    // The network weights after step k in two runs: the largest difference and the share of
    // weights within 1e-5.
    static std::pair<double, double> stateDifference(const QString& runA, const QString& runB, long long k)
    {
        const auto file = [k](const QString& run) {
            return (run + QString("/checkpoints/step-%1.pt").arg(k, 8, 10, QLatin1Char('0'))).toStdString();
        };
        const auto a = run::loadRunModel(runA.toStdString(), file(runA)).net->parameters();
        const auto b = run::loadRunModel(runB.toStdString(), file(runB)).net->parameters();
        double worst = 0, close = 0, total = 0;
        for (size_t i = 0; i < a.size(); ++i) {
            const auto d = (a[i] - b[i]).abs();
            worst = std::max(worst, d.max().item<double>());
            close += (d <= 1e-5).sum().item<double>();
            total += static_cast<double>(d.numel());
        }
        return {worst, close / total};
    }

    // A copy of the 2-rank run as it stood after step k - 1, whose step k one process then takes.
    QString stepFromJobState(const QString& jobRun, long long k)
    {
        namespace fs = std::filesystem;
        const fs::path dir = tmp_.filePath(QString("sync-step-%1").arg(k)).toStdString();
        const QString path = QString::fromStdString(dir.string());
        if (k == 1) {  // the job's initial state is the recipe's: a new run
            train(1, writeConfig("sync-step-1", {{"dropout", 0.0}, {"sync_bn", true}, {"steps", 1}}), path);
            return path;
        }
        fs::copy(jobRun.toStdString(), dir, fs::copy_options::recursive);
        for (const auto& e : fs::directory_iterator(dir / "checkpoints")) {
            static const std::regex step(R"(step-(\d+)\.pt.*)");
            std::smatch m;
            const std::string name = e.path().filename().string();
            if (std::regex_match(name, m, step) && std::stoll(m[1]) >= k) fs::remove(e.path());
        }
        fs::remove_all(dir / "checkpoints" / "best");
        // Only the records before step k stay, so step k's can only come from the one process.
        std::vector<std::string> kept;
        std::ifstream in((dir / "metrics.jsonl").string());
        for (std::string line; std::getline(in, line);)
            if (nlohmann::json::parse(line).value("step", 0LL) < k) kept.push_back(line);
        in.close();
        std::ofstream out((dir / "metrics.jsonl").string(), std::ios::trunc);
        for (const auto& line : kept) out << line << "\n";
        out.close();
        auto config = run::RunDirectory::open(dir.string()).config();
        config["steps"] = k;  // the resume's budget: exactly step k
        std::ofstream((dir / "config.json").string()) << config.dump(2);
        train(1, writeConfig(QString("sync-step-%1").arg(k), {{"steps", k}}), path, {"CARILAB_DP_RESUME=1"});
        return path;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(tmp_.isValid());
        dataset_ = test::makeCariSynth(tmp_.filePath("set"), 6, 4, 64, 1);
    }

    // After every step both ranks hold bit-identical parameters, buffers, centres and strategy
    // parameters (each rank logs its own fingerprint; the job also checks them itself).
    void ranksStayIdenticalEveryStep_data()
    {
        QTest::addColumn<QString>("strategy");
        QTest::newRow("dynamic") << "dynamic";
        QTest::newRow("uncertainty") << "uncertainty";
        QTest::newRow("naive") << "naive";
        QTest::newRow("gradnorm") << "gradnorm";
        QTest::newRow("dwa") << "dwa";
    }
    void ranksStayIdenticalEveryStep()
    {
        QFETCH(QString, strategy);
        const QString run = tmp_.filePath("ident-" + strategy);
        train(2, writeConfig("ident-" + strategy, {{"strategy", strategy.toStdString()}}), run, {"CARILAB_DP_CHECK_EVERY=1"});
        const auto r0 = fingerprints(run + "/log.txt"), r1 = fingerprints(run + "/logs/rank1.txt");
        QCOMPARE(r0.size(), size_t(20));
        QVERIFY(r0 == r1);
        QVERIFY(r0.at(1) != r0.at(20));  // the model did change
        // Rank 0 alone writes the run: 20 records, the job's size in config.json.
        QCOMPARE(loggedFigures(run).size(), size_t(20));
        const auto config = run::RunDirectory::open(run.toStdString()).config();
        QCOMPARE(config["distributed"]["world_size"].get<int>(), 2);
        QCOMPARE(config["distributed"]["backend"].get<std::string>(), std::string("gloo"));
        QVERIFY(!QFile::exists(run + "/logs/rank0.txt"));
    }

    // With --sync-bn, every step of a 2-rank job at global batch 8 is the step one process takes
    // at batch 8 from the same state: the job checkpoints every step, and for each step k one
    // process resumes a copy of the run at k - 1 and takes step k. Every logged loss, weight and
    // total (the forward from the same state) agrees within 1e-4 (measured 1.8e-6), and so do the
    // weights after the step, but for a ReLU input within rounding of its kink, which sends one
    // element's gradient the other way (measured: at step 1, 0.08 % of the weights, by up to
    // 1.5e-4; docs/distributed.md). Free-running trajectories part after such a flip, so they are
    // reported, not asserted. No dropout: its masks are drawn per rank.
    void syncBnStepsAreOneProcessSteps()
    {
        const nlohmann::json recipe = {{"dropout", 0.0}, {"sync_bn", true}, {"checkpoint_every", 1}, {"keep_checkpoints", 30}};
        const QString two = tmp_.filePath("sync-two");
        train(2, writeConfig("sync", recipe), two);
        const auto job = loggedFigures(two);
        QCOMPARE(job.size(), size_t(20));
        double worst = 0;
        for (long long k = 1; k <= 20; ++k) {
            const QString one = stepFromJobState(two, k);
            const auto alone = loggedFigures(one);
            QVERIFY2(alone.count(k), qPrintable(QString("no step %1 in %2").arg(k).arg(one)));
            for (size_t f = 0; f < job.at(k).size(); ++f) {
                const double d = std::abs(job.at(k)[f] - alone.at(k)[f]);
                worst = std::max(worst, d);
                QVERIFY2(d <= 1e-4, qPrintable(QString("step %1 figure %2: job %3, one process %4").arg(k).arg(f).arg(job.at(k)[f]).arg(alone.at(k)[f])));
            }
        }
        qInfo("largest difference of a step over 20 steps: %.3g", worst);
        for (long long k = 1; k <= 20; ++k) {
            const auto [apart, share] = stateDifference(two, tmp_.filePath(QString("sync-step-%1").arg(k)), k);
            qInfo("after step %lld: largest weight difference %.3g, weights within 1e-5: %.5f", k, apart, share);
            // A wrong backward moves most weights; a ReLU input within rounding of its kink moves one
            // weight row by one element's gradient (it happens on some machines and layouts).
            QVERIFY2(share >= 0.99 && apart <= 1e-2, qPrintable(QString("after step %1: %2 of the weights within 1e-5, largest difference %3").arg(k).arg(share).arg(apart)));
        }
        // Without sync-BN each rank normalises by its own 4 images: step 1 already differs.
        const QString plain = tmp_.filePath("sync-plain");
        train(2, writeConfig("sync-plain", {{"dropout", 0.0}, {"steps", 1}}), plain);
        const double apart = std::abs(loggedFigures(plain).at(1)[0] - job.at(1)[0]);
        qInfo("per-rank batch norm instead: step 1 verification loss off by %.3g", apart);
        QVERIFY(apart > 1e-3);
        const QString free = tmp_.filePath("sync-free");
        train(1, writeConfig("sync-free", recipe), free);
        const auto a = loggedFigures(free);
        for (long long k : {1LL, 5LL, 10LL, 20LL})
            qInfo("free-running, step %lld: verification loss %.7f (one process) vs %.7f (2 ranks)", k, a.at(k)[0], job.at(k)[0]);
    }

    // A resumed 2-rank run continues exactly as the uninterrupted one; a 1-rank resume of a
    // 2-rank run finishes it too (the rank count is the launch's, not the recipe's).
    void resumeWithTheSameAndAnotherRankCount()
    {
        const QString whole = tmp_.filePath("resume-whole"), cut = tmp_.filePath("resume-cut"), one = tmp_.filePath("resume-one");
        train(2, writeConfig("resume-20", {}), whole);
        const QString first = writeConfig("resume-10", {{"steps", 10}});
        train(2, first, cut);
        train(2, writeConfig("resume-20", {}), cut, {"CARILAB_DP_RESUME=1"});
        const auto a = loggedFigures(whole), b = loggedFigures(cut);
        QCOMPARE(b.size(), size_t(20));
        for (long long s = 11; s <= 20; ++s)
            for (size_t k = 0; k < a.at(s).size(); ++k)
                QVERIFY2(std::abs(a.at(s)[k] - b.at(s)[k]) <= 1e-6 * std::max(1.0, std::abs(a.at(s)[k])),
                         qPrintable(QString("step %1 figure %2: %3 vs %4").arg(s).arg(k).arg(a.at(s)[k]).arg(b.at(s)[k])));

        train(2, first, one);
        train(1, writeConfig("resume-20", {}), one, {"CARILAB_DP_RESUME=1"});
        const auto rd = run::RunDirectory::open(one.toStdString());
        QCOMPARE(rd.status()["state"].get<std::string>(), std::string("finished"));
        QCOMPARE(rd.status()["step"].get<long long>(), 20LL);
        QVERIFY(!rd.config().contains("distributed"));
        QCOMPARE(loggedFigures(one).size(), size_t(20));
    }

    // SIGKILL of rank 1 mid-run ends rank 0 well within the timeout with a message naming the
    // failed collective; the checkpoints written before stay. A stopped (hung) rank 1 ends
    // rank 0 once the timeout passes.
    void aDeadOrHungRankEndsTheJob_data()
    {
        QTest::addColumn<int>("signal");
        QTest::newRow("killed") << int(SIGKILL);
        QTest::newRow("hung") << int(SIGSTOP);
    }
    void aDeadOrHungRankEndsTheJob()
    {
        QFETCH(int, signal);
        const QString run = tmp_.filePath(QString("fault-%1").arg(signal));
        Job job;
        startJob(job, 2, writeConfig("fault", {{"steps", 100000}}), run, test::freeLoopbackPort(), {"CARILAB_DIST_TIMEOUT=10"});
        QTRY_VERIFY_WITH_TIMEOUT(loggedFigures(run).size() >= 12, 120000);
        QElapsedTimer clock;
        clock.start();
        ::kill(static_cast<pid_t>(job.ranks[1]->processId()), signal);
        QVERIFY2(job.ranks[0]->waitForFinished(60000), "rank 0 did not end");
        const qint64 ms = clock.elapsed();
        QVERIFY2(ms < (signal == SIGKILL ? 5000 : 25000), qPrintable(QString("rank 0 took %1 ms").arg(ms)));
        QCOMPARE(job.ranks[0]->exitCode(), 1);
        const auto status = run::RunDirectory::open(run.toStdString()).status();
        QCOMPARE(status["state"].get<std::string>(), std::string("failed"));
        const QString message = QString::fromStdString(status["message"].get<std::string>());
        QVERIFY2(message.contains("rank 0 of 2") && message.contains("failed"), qPrintable(message));
        QVERIFY(QDir(run + "/checkpoints").entryList({"step-*.pt"}).size() >= 1);
        qInfo("rank 0 ended %lld ms after rank 1 got signal %d: %s", ms, signal, qPrintable(message));
    }

    // Rendezvous faults name the cause: the port taken (rank 0), nobody serving it (rank 1).
    void rendezvousFaultsAreClear()
    {
        auto busy = std::make_unique<test::BusyPort>();
        QVERIFY(busy->port > 0);
        const int taken = busy->port;
        const auto rankAlone = [&](int rank, int port) {
            QProcess p;
            QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
            for (const auto& [k, v] : std::map<QString, QString>{{kChildMarker, "1"},
                                                                 {"CARILAB_DP_CONFIG", writeConfig("rdv", {})},
                                                                 {"CARILAB_DP_RUN", tmp_.filePath("rdv")},
                                                                 {"WORLD_SIZE", "2"},
                                                                 {"RANK", QString::number(rank)},
                                                                 {"MASTER_ADDR", "127.0.0.1"},
                                                                 {"MASTER_PORT", QString::number(port)},
                                                                 {"CARILAB_DIST_TIMEOUT", "3"}})
                env.insert(k, v);
            p.setProcessEnvironment(env);
            p.start(QCoreApplication::applicationFilePath(), {});
            p.waitForFinished(30000);
            return std::make_pair(p.exitCode(), QString::fromUtf8(p.readAllStandardError()));
        };
        const auto [code0, err0] = rankAlone(0, taken);
        busy.reset();
        QCOMPARE(code0, 1);
        QVERIFY2(err0.contains("port is in use") && err0.contains(QString::number(taken)), qPrintable(err0));
        const auto [code1, err1] = rankAlone(1, test::freeLoopbackPort());
        QCOMPARE(code1, 1);
        QVERIFY2(err1.contains("rank 1 could not reach the rendezvous") && err1.contains("within 3 s"), qPrintable(err1));
    }
};

int main(int argc, char** argv)
{
    if (std::getenv(kChildMarker)) return runRank();
    QCoreApplication app(argc, argv);
    TestDataParallel t;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&t, argc, argv);
}

#include "test_data_parallel.moc"
