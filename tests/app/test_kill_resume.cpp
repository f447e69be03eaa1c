// Kill-and-resume (issue #8): a real `carilab-cli train` on a small CariSynth set is SIGKILLed
// at 10 moments drawn from a seeded generator -- during start-up, mid-step, and at least once
// while a checkpoint is being written (caught with inotify the instant its temp file appears) --
// and resumed with --resume each time. Per kill at most one checkpoint interval of logged steps
// may be lost; at the end the run is complete, every step is logged exactly once, every JSON and
// JSONL file parses, every checkpoint loads into a network, and no temp file is left.
#include "test_support.h"

#include "data/carisynth.h"
#include "nn/center_loss.h"
#include "nn/multitask_net.h"
#include "run/checkpoint.h"
#include "run/metrics_log.h"
#include "run/run_directory.h"

#include <nlohmann/json.hpp>

#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <filesystem>
#include <random>

#include <QtTest/QtTest>

using namespace carilab;
namespace fs = std::filesystem;

namespace {

constexpr int kKills = 10;
constexpr int kCheckpointEvery = 10;
constexpr long long kTotalSteps = 150;
// Kill numbers (0-based) timed to land inside a checkpoint write; one landing is required.
constexpr int kCheckpointKills[] = {2, 5, 8};
// Kill numbers timed by the clock from process start, which lands them during start-up.
constexpr int kStartupKills[] = {0, 6};

long long lastLoggedStep(const std::string& runDir)
{
    const auto m = run::readMetricsFile(runDir + "/metrics.jsonl");
    long long s = 0;
    for (const auto& r : m.train) s = std::max(s, r.step);
    return s;
}

std::vector<std::string> tempFiles(const std::string& dir)
{
    std::vector<std::string> out;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
        if (it->path().filename().string().find(".tmp-") != std::string::npos) out.push_back(it->path().filename().string());
    return out;
}

// Blocks until a file whose name contains ".tmp-" is created in dir, then SIGKILLs pid at once.
// Returns false when the process ended (or 20 s passed) first.
bool killDuringCheckpointWrite(const std::string& dir, QProcess& p)
{
    const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0) return false;
    ::inotify_add_watch(fd, dir.c_str(), IN_CREATE);
    bool killed = false;
    QElapsedTimer clock;
    clock.start();
    alignas(inotify_event) char buf[4096];
    while (!killed && clock.elapsed() < 20000 && p.state() != QProcess::NotRunning) {
        pollfd pf{fd, POLLIN, 0};
        if (::poll(&pf, 1, 50) <= 0) {
            p.waitForFinished(0);  // lets QProcess notice an exit
            continue;
        }
        const ssize_t n = ::read(fd, buf, sizeof buf);
        for (ssize_t i = 0; n > 0 && i < n && !killed;) {
            const auto* e = reinterpret_cast<const inotify_event*>(buf + i);
            if (e->len > 0 && std::string(e->name).find(".tmp-") != std::string::npos) {
                ::kill(static_cast<pid_t>(p.processId()), SIGKILL);
                killed = true;
            }
            i += static_cast<ssize_t>(sizeof(inotify_event)) + e->len;
        }
    }
    ::close(fd);
    return killed;
}

}  // namespace

class TestKillResume : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;

private Q_SLOTS:
    void initTestCase() { QVERIFY(tmp_.isValid()); }

    void killAndResume()
    {
        const std::string root = tmp_.path().toStdString();
        data::CariSynthOptions so;
        so.identities = 6;
        so.photosPerIdentity = 4;
        so.caricaturesPerIdentity = 4;
        so.size = 64;
        so.seed = 5;
        const std::string dataset = data::generateCariSynth(root + "/set", so).root;
        const std::string runDir = root + "/run";
        const std::string ckDir = runDir + "/checkpoints";
        const QStringList fresh = {"train",
                                   "--dataset",
                                   QString::fromStdString(dataset),
                                   "--run-dir",
                                   QString::fromStdString(runDir),
                                   "--backbone",
                                   "tiny",
                                   "--steps",
                                   QString::number(kTotalSteps),
                                   "--batch",
                                   "8",
                                   "--threads",
                                   "1",
                                   "--checkpoint-every",
                                   QString::number(kCheckpointEvery),
                                   "--eval-every",
                                   "100",
                                   "--plain"};
        const QStringList resume = {"train", "--run-dir", QString::fromStdString(runDir), "--resume", "--threads", "1", "--plain"};

        std::mt19937 rng(2026);
        std::uniform_int_distribution<int> startupMs(100, 900);
        std::uniform_int_distribution<int> jitterMs(0, 60);
        std::uniform_int_distribution<long long> stepsAhead(1, 2 * kCheckpointEvery - 1);
        int midWriteKills = 0;
        for (int k = 0; k < kKills; ++k) {
            const bool again = run::RunDirectory::isRun(runDir);
            const long long before = again ? lastLoggedStep(runDir) : 0;
            QProcess p;
            p.setProcessChannelMode(QProcess::MergedChannels);
            p.start(carilab::test::cliPath(), again ? resume : fresh);
            QVERIFY(p.waitForStarted(10000));
            const bool atCheckpoint = std::find(std::begin(kCheckpointKills), std::end(kCheckpointKills), k) != std::end(kCheckpointKills);
            const bool atStartup = std::find(std::begin(kStartupKills), std::end(kStartupKills), k) != std::end(kStartupKills);
            // Mid-training kills land a random number of steps past the furthest step logged so
            // far (so past the records --resume trims), plus a random fraction of a step: they do
            // not depend on how loaded the machine is, and the run moves on between kills.
            const long long targetStep = before + stepsAhead(rng);
            const int delay = atStartup ? startupMs(rng) : jitterMs(rng);
            bool killed = false;
            if (atCheckpoint) {
                fs::create_directories(ckDir);
                killed = killDuringCheckpointWrite(ckDir, p);
            } else if (atStartup) {
                killed = !p.waitForFinished(delay);
            } else {
                while (p.state() != QProcess::NotRunning && lastLoggedStep(runDir) < targetStep) p.waitForFinished(20);
                killed = !p.waitForFinished(delay);
            }
            if (killed) ::kill(static_cast<pid_t>(p.processId()), SIGKILL);
            p.waitForFinished(10000);
            QVERIFY2(killed, qPrintable(QStringLiteral("kill %1: the run ended first:\n%2").arg(k).arg(QString::fromUtf8(p.readAll().right(2000)))));
            QCOMPARE(p.exitStatus(), QProcess::CrashExit);
            if (atCheckpoint && !tempFiles(ckDir).empty()) ++midWriteKills;

            // Every published checkpoint is whole (temp + rename); the logged work since the
            // newest one is what this kill cost.
            long long newest = 0;
            for (const auto& [step, path] : run::listCheckpoints(ckDir)) {
                QVERIFY2(run::readCheckpointMeta(path).value("step", -1LL) == step, path.c_str());
                newest = std::max(newest, step);
            }
            // Records past the newest checkpoint (left by an earlier kill when this one came
            // before --resume trimmed them) count again: an upper bound on the loss.
            const long long reached = lastLoggedStep(runDir);
            const long long lost = std::max(0LL, reached - newest);
            qInfo("kill %d (%s): steps %lld -> %lld, newest checkpoint %lld, lost %lld", k + 1,
                  atCheckpoint    ? "during a checkpoint write"
                      : atStartup ? qPrintable(QStringLiteral("%1 ms after start").arg(delay))
                                  : qPrintable(QStringLiteral("at step %1 + %2 ms").arg(targetStep).arg(delay)),
                  before, reached, newest, lost);
            QVERIFY2(lost <= kCheckpointEvery, qPrintable(QStringLiteral("kill %1 lost %2 steps").arg(k).arg(lost)));
        }
        qInfo("%d of %d checkpoint-timed kills left a half-written temp file behind", midWriteKills, static_cast<int>(std::size(kCheckpointKills)));
        QVERIFY2(midWriteKills >= 1, "no kill landed inside a checkpoint write");

        const auto done = carilab::test::runCli(resume, 120000);
        QVERIFY2(done.exitCode == 0, qPrintable(done.out.right(2000) + done.err.right(2000)));

        const auto rd = run::RunDirectory::open(runDir);
        QCOMPARE(rd.status().value("state", ""), std::string("finished"));
        QCOMPARE(rd.status().value("step", 0LL), kTotalSteps);
        QVERIFY(rd.config().is_object());
        QVERIFY(rd.eval().contains("held_out"));
        const auto m = rd.metrics();
        QVERIFY(m.problems.empty());
        QVERIFY(!m.truncatedTail);
        // Redone steps replaced their first records: each step once, in order.
        QCOMPARE(static_cast<long long>(m.train.size()), kTotalSteps);
        for (size_t i = 0; i < m.train.size(); ++i) QCOMPARE(m.train[i].step, static_cast<long long>(i) + 1);

        const auto ckpts = run::listCheckpoints(ckDir);
        QVERIFY(!ckpts.empty());
        QCOMPARE(ckpts.back().first, kTotalSteps);
        for (const auto& [step, path] : ckpts) {
            const auto meta = run::readCheckpointMeta(path);
            nn::MultiTaskOptions o;
            o.backbone = meta.value("backbone", "");
            o.numClasses = meta.value("num_classes", 0LL);
            nn::MultiTaskNet net(o);
            nn::CenterLoss center(o.numClasses, net->info().embeddingDim);
            QCOMPARE(run::loadCheckpoint(path, run::TrainingState{net, center, nullptr, nullptr}, meta), step);
        }
        QVERIFY2(tempFiles(ckDir).empty() && tempFiles(runDir).empty(), "temp files left behind");
    }
};

QTEST_GUILESS_MAIN(TestKillResume)
#include "test_kill_resume.moc"
