// carilab-cli train --nproc-per-node (app/rank_launcher.h), as a user runs it: two real ranks
// (Gloo over loopback, one thread each, the tiny backbone, a small CariSynth set) train one run
// folder and resume it; a SIGKILLed rank ends the whole job within the timeout with a message
// naming it and nothing left running; a port already in use and bad launcher options get clear
// errors. Ports are picked free at run time; every process started here is ended here.
#include "test_support.h"

#include "fixture_trees.h"
#include "run/metrics_log.h"

#include <nlohmann/json.hpp>

#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <fstream>

using namespace carilab;

namespace {

long long lastTrainStep(const QString& runDir)
{
    long long s = 0;
    for (const auto& r : run::readMetricsFile((runDir + "/metrics.jsonl").toStdString()).train) s = std::max(s, r.step);
    return s;
}

// The "rank k pid N" pairs of the launcher's start line.
QList<qint64> rankPids(const QString& err)
{
    QList<qint64> pids;
    static const QRegularExpression re(QStringLiteral("rank (\\d+) pid (\\d+)"));
    for (auto it = re.globalMatch(err); it.hasNext();) pids << it.next().captured(2).toLongLong();
    return pids;
}

bool gone(qint64 pid) { return ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH; }

}  // namespace

class TestRankLauncher : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;
    QString data_;
    QList<QProcess*> started_;

    // A launcher with its crash reports and settings in the test's folder.
    QProcess* launch(const QStringList& args)
    {
        auto* p = new QProcess(this);
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("CARILAB_HOME"), tmp_.filePath(QStringLiteral("home")));
        p->setProcessEnvironment(env);
        p->start(test::cliPath(), QStringList{QStringLiteral("train"), QStringLiteral("--dataset"), data_} + args);
        started_ << p;
        return p;
    }

    QStringList small(const QString& runDir, int steps)
    {
        return {QStringLiteral("--run-dir"), runDir,      QStringLiteral("--steps"), QString::number(steps), QStringLiteral("--batch"), QStringLiteral("8"),
                QStringLiteral("--threads"), QStringLiteral("1"), QStringLiteral("--plain"),  QStringLiteral("--seed"),  QStringLiteral("3")};
    }

    // Waits until `pred` holds or the process ends; false on timeout.
    template <class Pred>
    bool waitUntil(QProcess* p, Pred pred, int ms)
    {
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < ms) {
            if (pred()) return true;
            p->waitForFinished(100);
        }
        return pred();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(tmp_.isValid());
        data_ = tmp_.filePath(QStringLiteral("data"));
        test::makeCariSynth(data_, 8, 6, 96, 11);
    }

    void cleanup()
    {
        // Whatever a failed check left running ends here: the launcher's SIGKILL reaches its ranks
        // through their parent-death signal.
        for (QProcess* p : started_) {
            if (p->state() != QProcess::NotRunning) {
                p->kill();
                p->waitForFinished(10000);
            }
            delete p;
        }
        started_.clear();
    }

    void twoRanksTrainOneRun()
    {
        const QString run = tmp_.filePath(QStringLiteral("two"));
        QProcess* p = launch(small(run, 16) + QStringList{QStringLiteral("--nproc-per-node"), QStringLiteral("2"), QStringLiteral("--dist-timeout"),
                                                          QStringLiteral("60")});
        QVERIFY(p->waitForFinished(240000));
        const QString err = QString::fromUtf8(p->readAllStandardError()), out = QString::fromUtf8(p->readAllStandardOutput());
        QVERIFY2(p->exitStatus() == QProcess::NormalExit && p->exitCode() == 0, qPrintable(err.right(3000)));
        QVERIFY2(err.contains(QStringLiteral("2 ranks of 2 on this node")), qPrintable(err));
        QCOMPARE(rankPids(err).size(), 2);
        QVERIFY2(out.contains(QStringLiteral("finished at step 16")), qPrintable(out));
        // Rank 1 printed no progress: the terminal shows the job's, once.
        QVERIFY2(!err.contains(QStringLiteral("[rank 1] step")) && out.count(QStringLiteral("finished at step")) == 1, qPrintable(out + err));
        QCOMPARE(lastTrainStep(run), 16LL);
        QVERIFY(QFile::exists(run + QStringLiteral("/logs/rank1.txt")));
        const auto config = nlohmann::json::parse(std::ifstream((run + QStringLiteral("/config.json")).toStdString()));
        QCOMPARE(config["distributed"]["world_size"].get<int>(), 2);
        QCOMPARE(QString::fromStdString(config["distributed"]["backend"].get<std::string>()), QStringLiteral("gloo"));
        for (qint64 pid : rankPids(err)) QVERIFY(gone(pid));
    }

    // The same run resumed by two ranks again, with no --threads: each rank gets its share of the cores.
    void resumeWithTwoRanks()
    {
        const QString run = tmp_.filePath(QStringLiteral("two"));
        QVERIFY(QFile::exists(run + QStringLiteral("/config.json")));
        QProcess* p = launch({QStringLiteral("--run-dir"), run, QStringLiteral("--resume"), QStringLiteral("--steps"), QStringLiteral("24"),
                              QStringLiteral("--plain"), QStringLiteral("--nproc-per-node"), QStringLiteral("2")});
        QVERIFY(p->waitForFinished(240000));
        const QString err = QString::fromUtf8(p->readAllStandardError());
        QVERIFY2(p->exitStatus() == QProcess::NormalExit && p->exitCode() == 0, qPrintable(err.right(3000)));
        QCOMPARE(lastTrainStep(run), 24LL);
        QFile log(run + QStringLiteral("/logs/rank1.txt"));
        QVERIFY(log.open(QIODevice::ReadOnly));
        const QString text = QString::fromUtf8(log.readAll());
        const qsizetype at = text.lastIndexOf(QStringLiteral("threads: "));
        QVERIFY2(at >= 0, qPrintable(text));
        cpu_set_t set;  // the cores this process may run on, as the launcher counts them
        QVERIFY(::sched_getaffinity(0, sizeof set, &set) == 0);
        const int cores = CPU_COUNT(&set);
        QCOMPARE(text.mid(at + 9).section(QLatin1Char('\n'), 0, 0).section(QLatin1Char(' '), 0, 0).toInt(), std::max(1, cores / 2));
    }

    void killedRankEndsTheJob()
    {
        const QString run = tmp_.filePath(QStringLiteral("killed"));
        QProcess* p = launch(small(run, 100000) +
                             QStringList{QStringLiteral("--nproc-per-node"), QStringLiteral("2"), QStringLiteral("--dist-timeout"), QStringLiteral("20")});
        QString err;
        // Both ranks are training once rank 0 has logged a step.
        QVERIFY(waitUntil(p, [&] { return QFile::exists(run + QStringLiteral("/metrics.jsonl")) && lastTrainStep(run) >= 3; }, 120000));
        err = QString::fromUtf8(p->readAllStandardError());
        const QList<qint64> pids = rankPids(err);
        QCOMPARE(pids.size(), 2);
        QVERIFY(::kill(static_cast<pid_t>(pids[1]), SIGKILL) == 0);
        QElapsedTimer t;
        t.start();
        // Within the timeout (20 s) plus the launcher's grace (5 s) and slack for a loaded machine.
        QVERIFY2(p->waitForFinished(40000), "the launcher did not end after rank 1 was killed");
        err += QString::fromUtf8(p->readAllStandardError());
        QVERIFY2(p->exitStatus() == QProcess::NormalExit && p->exitCode() != 0, qPrintable(err.right(3000)));
        QVERIFY2(err.contains(QStringLiteral("rank 1 (pid %1) was killed by signal 9 (SIGKILL)").arg(pids[1])), qPrintable(err.right(3000)));
        qInfo("the job ended %.1f s after rank 1 was killed", t.elapsed() / 1000.0);
        for (qint64 pid : pids) QVERIFY2(gone(pid), qPrintable(QStringLiteral("pid %1 is still there").arg(pid)));
    }

    void portInUseIsAClearError()
    {
        const test::BusyPort busy;
        QVERIFY(busy.port > 0);
        QProcess* p = launch(small(tmp_.filePath(QStringLiteral("busy")), 10) +
                             QStringList{QStringLiteral("--nproc-per-node"), QStringLiteral("2"), QStringLiteral("--master-port"), QString::number(busy.port),
                                         QStringLiteral("--dist-timeout"), QStringLiteral("10")});
        QVERIFY(p->waitForFinished(60000));
        const QString err = QString::fromUtf8(p->readAllStandardError());
        QVERIFY(p->exitCode() != 0);
        QVERIFY2(err.contains(QStringLiteral("port is in use")) && err.contains(QString::number(busy.port)), qPrintable(err.right(3000)));
        for (qint64 pid : rankPids(err)) QVERIFY(gone(pid));
    }

    void badLauncherOptionsAreUsageErrors_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("message");
        QTest::newRow("no ranks") << QStringList{QStringLiteral("--nproc-per-node"), QStringLiteral("0")} << QStringLiteral("--nproc-per-node must be between 1");
        QTest::newRow("node rank") << QStringList{QStringLiteral("--nnodes"), QStringLiteral("2"), QStringLiteral("--node-rank"), QStringLiteral("2"),
                                                  QStringLiteral("--master-addr"), QStringLiteral("10.0.0.1"), QStringLiteral("--master-port"), QStringLiteral("29500")}
                                   << QStringLiteral("--node-rank 2 is not a node of the job");
        QTest::newRow("no master") << QStringList{QStringLiteral("--nnodes"), QStringLiteral("2")} << QStringLiteral("--nnodes 2 needs --master-addr");
        QTest::newRow("bad port") << QStringList{QStringLiteral("--nproc-per-node"), QStringLiteral("2"), QStringLiteral("--master-port"), QStringLiteral("70000")}
                                  << QStringLiteral("--master-port must be between 1 and 65535");
        QTest::newRow("bad timeout") << QStringList{QStringLiteral("--nproc-per-node"), QStringLiteral("2"), QStringLiteral("--dist-timeout"), QStringLiteral("0")}
                                     << QStringLiteral("--dist-timeout must be between 1");
        QTest::newRow("uneven batch") << QStringList{QStringLiteral("--nproc-per-node"), QStringLiteral("2"), QStringLiteral("--batch"), QStringLiteral("7")}
                                      << QStringLiteral("--batch 7 cannot be split evenly across 2 ranks");
    }

    void badLauncherOptionsAreUsageErrors()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, message);
        const auto r = test::runCli(QStringList{QStringLiteral("train"), QStringLiteral("--dataset"), data_, QStringLiteral("--run-dir"),
                                                tmp_.filePath(QStringLiteral("never")), QStringLiteral("--steps"), QStringLiteral("5")} +
                                    args);
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(message), qPrintable(r.err));
        QVERIFY(!QFile::exists(tmp_.filePath(QStringLiteral("never"))));
    }

    // Under torchrun (or Slurm) the launch variables are set already: starting ranks again is refused.
    void launcherInsideARankIsRefused()
    {
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        for (const auto& [k, v] : {std::pair{"WORLD_SIZE", "2"}, {"RANK", "1"}, {"MASTER_ADDR", "127.0.0.1"}, {"MASTER_PORT", "29999"}})
            env.insert(QString::fromLatin1(k), QString::fromLatin1(v));
        p.setProcessEnvironment(env);
        p.start(test::cliPath(), {QStringLiteral("train"), QStringLiteral("--dataset"), data_, QStringLiteral("--run-dir"), tmp_.filePath(QStringLiteral("nested")),
                                  QStringLiteral("--steps"), QStringLiteral("5"), QStringLiteral("--nproc-per-node"), QStringLiteral("2")});
        QVERIFY(p.waitForFinished(60000));
        const QString err = QString::fromUtf8(p.readAllStandardError());
        QCOMPARE(p.exitCode(), 2);
        QVERIFY2(err.contains(QStringLiteral("already is rank 1 of a job of 2")), qPrintable(err));
    }
};

QTEST_GUILESS_MAIN(TestRankLauncher)
#include "test_rank_launcher.moc"
