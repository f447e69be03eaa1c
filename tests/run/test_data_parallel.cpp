// Data-parallel training on c10d (issue #22): 2 ranks x 1 thread, Gloo over loopback, the tiny
// backbone on a small CariSynth set. Each rank is this test executable started again in rank
// mode (below main), so the trainer runs exactly as carilab-cli's ranks run it, without the CLI.
#include "data/carisynth.h"
#include "dist/launch_env.h"
#include "dist/process_group_replicas.h"
#include "run/metrics_log.h"
#include "run/run_directory.h"
#include "run/trainer.h"

#include <nlohmann/json.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <QtTest/QtTest>

#include <cmath>
#include <fstream>
#include <iostream>
#include <map>
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

int freePort()
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
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
        c.update(extra);
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
        startJob(job, ranks, config, runDir, freePort(), env);
        finishJob(job);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(tmp_.isValid());
        data::CariSynthOptions so;
        so.identities = 6;
        so.photosPerIdentity = 4;
        so.caricaturesPerIdentity = 4;
        so.size = 64;
        dataset_ = QString::fromStdString(data::generateCariSynth(tmp_.filePath("set").toStdString(), so).root);
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
