// Issue #19's run-folder rows: one writer per run (and per dataset being aligned), a killed
// writer's run told from a live one.
#include "bad_input_corpus.h"
#include "bad_input_rows.h"
#include "test_support.h"

#include "io/atomic_file.h"
#include "io/folder_lock.h"
#include "run/run_directory.h"
#include "run/run_summary.h"

#include <QProcess>

#include <csignal>
#include <filesystem>
#include <thread>

#include <unistd.h>

namespace carilab::test::bad {
namespace {
namespace fs = std::filesystem;
namespace corpus = carilab::test::corpus;

std::string pidText(long pid) { return "process " + std::to_string(pid); }

// Waits until path exists (a training child reached its first checkpoint).
bool waitForFile(const std::string& path, int seconds)
{
    for (int i = 0; i < seconds * 10; ++i) {
        if (fs::exists(path)) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
}

void twoWritersThenKill(const std::string& dir)
{
    const std::string root = corpus::makeFolderDataset(dir + "/set", 3, 4);
    const std::string runDir = dir + "/run";
    QProcess first;
    first.start(cliPath(), {"train", "--dataset", QString::fromStdString(root), "--run-dir", QString::fromStdString(runDir), "--backbone",
                            "tiny", "--steps", "100000", "--batch", "8", "--threads", "1", "--checkpoint-every", "5", "--plain"});
    QVERIFY(first.waitForStarted(10000));
    const long pid = (long)first.processId();
    QVERIFY2(waitForFile(runDir + "/checkpoints/step-00000005.pt", 120), "the first trainer never wrote a checkpoint");

    // A second trainer, an eval: both refused, naming the first trainer's PID.
    const auto second = runCli({"train", "--run-dir", QString::fromStdString(runDir), "--resume", "--steps", "100010", "--plain"});
    QCOMPARE(second.exitCode, 1);
    VERIFY_MENTIONS(second.err.toStdString(), runDir, "is being written by " + pidText(pid) + " (train)");
    const auto eval = runCli({"eval", "--run", QString::fromStdString(runDir), "--protocol", "images"});
    QCOMPARE(eval.exitCode, 1);
    VERIFY_MENTIONS(eval.err.toStdString(), "is being written by " + pidText(pid) + " (train)");
    auto live = run::summarizeRun(runDir);
    QCOMPARE(live.value("state", ""), std::string("running"));
    QVERIFY(live.value("live", false));
    QCOMPARE(live.value("pid", 0L), pid);

    // Killed: the run reads as interrupted with its last checkpoint, and its lock is free.
    ::kill((pid_t)pid, SIGKILL);
    QVERIFY(first.waitForFinished(10000));
    QCOMPARE(run::RunDirectory::open(runDir).status().value("state", ""), std::string("running"));   // what it left
    const auto dead = run::summarizeRun(runDir);
    QCOMPARE(dead.value("state", ""), std::string("interrupted"));
    QVERIFY(!dead.value("live", true));
    QVERIFY(dead.value("last_checkpoint", 0LL) >= 5);
    VERIFY_MENTIONS(dead.value("note", ""), "gone (killed or crashed)", "last checkpoint is step", "--resume");
    QVERIFY(!io::FolderLock::holder(runDir));
    io::FolderLock again(runDir, "train");
    QCOMPARE(io::readFile(io::FolderLock::lockPath(runDir)), std::to_string(::getpid()) + " train\n");
}

void staleStatus(const std::string& dir)
{
    const auto rd = run::RunDirectory::create(dir + "/run", nlohmann::json{{"steps", 100}});
    rd.writeStatus("running", 0);
    corpus::writeText(rd.checkpointsDir() + "/step-00000020.pt", "");   // listed by name only
    auto s = run::summarizeRun(rd.path());
    QCOMPARE(s.value("state", ""), std::string("interrupted"));
    QCOMPARE(s.value("last_checkpoint", 0LL), 20LL);
    VERIFY_MENTIONS(s.value("note", ""), "while it was running at step 0", "last checkpoint is step 20");
    {
        io::FolderLock held(rd.path(), "train");
        s = run::summarizeRun(rd.path());
        QCOMPARE(s.value("state", ""), std::string("running"));
        QCOMPARE(s.value("pid", 0L), (long)::getpid());
        // A second lock on the same folder is refused even within one process.
        VERIFY_MENTIONS(messageOf([&] { io::FolderLock second(rd.path(), "eval"); }), rd.path(),
                        "is being written by " + pidText(::getpid()) + " (train)");
    }
    QVERIFY(!fs::exists(io::FolderLock::lockPath(rd.path())));   // released and removed
    rd.writeStatus("finished", 100);
    QCOMPARE(run::summarizeRun(rd.path()).value("state", ""), std::string("finished"));
}

void alignWhileLocked(const std::string& dir)
{
    const std::string root = corpus::makeFolderDataset(dir + "/set", 2, 2);
    io::FolderLock held(root, "dataset align");
    const auto r = runCli({"dataset", "align", QString::fromStdString(root)});
    QCOMPARE(r.exitCode, 1);
    VERIFY_MENTIONS(r.err.toStdString(), root, "is being written by " + pidText(::getpid()) + " (dataset align)");
    QVERIFY(!fs::exists(root + "/landmarks.csv"));
}

}  // namespace

std::vector<Row> runFolderRows()
{
    return {
        {"two writers on one run, then SIGKILL", twoWritersThenKill},
        {"status running with no writer", staleStatus},
        {"dataset align while locked", alignWhileLocked},
    };
}

}  // namespace carilab::test::bad
