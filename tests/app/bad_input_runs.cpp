// Issue #19's run-folder rows: one writer per run (and per dataset being aligned), a killed
// writer's run told from a live one.
#include "bad_input_corpus.h"
#include "bad_input_rows.h"
#include "test_support.h"

#include "data/carisynth.h"
#include "io/atomic_file.h"
#include "io/folder_lock.h"
#include "run/folder_guard.h"
#include "run/run_directory.h"
#include "run/run_summary.h"
#include "run/train_config.h"

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
    first.start(cliPath(),
                {"train", "--dataset", QString::fromStdString(root), "--run-dir", QString::fromStdString(runDir), "--backbone", "tiny", "--steps",
                 "100000", "--batch", "8", "--threads", "1", "--checkpoint-every", "5", "--plain"});
    QVERIFY(first.waitForStarted(10000));
    const long pid = static_cast<long>(first.processId());
    QVERIFY2(waitForFile(runDir + "/checkpoints/step-00000005.pt", 120), "the first trainer never wrote a checkpoint");

    // A second trainer, an eval: both refused, naming the first trainer's PID.
    const auto second = runCli({"train", "--run-dir", QString::fromStdString(runDir), "--resume", "--steps", "100010", "--plain"});
    QCOMPARE(second.exitCode, 1);
    VERIFY_MENTIONS(second.err.toStdString(), runDir, "is being written by " + pidText(pid) + " (train)");
    const auto eval = runCli({"eval", "--run", QString::fromStdString(runDir), "--protocol", "images"});
    QCOMPARE(eval.exitCode, 1);
    VERIFY_MENTIONS(eval.err.toStdString(), "is being written by " + pidText(pid) + " (train)");
    auto live = run::summarizeRun(runDir);
    QCOMPARE(live.state, std::string("running"));
    QVERIFY(live.live);
    QCOMPARE(live.pid, std::optional<long>(pid));

    // Killed: the run reads as interrupted with its last checkpoint, and its lock is free.
    ::kill(static_cast<pid_t>(pid), SIGKILL);
    QVERIFY(first.waitForFinished(10000));
    QCOMPARE(run::RunDirectory::open(runDir).status().value("state", ""), std::string("running"));  // what it left
    const auto dead = run::summarizeRun(runDir);
    QCOMPARE(dead.state, std::string("interrupted"));
    QVERIFY(!dead.live);
    QVERIFY(dead.lastCheckpoint.value_or(0) >= 5);
    VERIFY_MENTIONS(dead.note, "gone (killed or crashed)", "last checkpoint is step", "--resume");
    QVERIFY(!io::FolderLock::holder(runDir));
    io::FolderLock again(runDir, "train");
    QCOMPARE(io::readFile(io::FolderLock::lockPath(runDir)), std::to_string(::getpid()) + " train\n");
}

void staleStatus(const std::string& dir)
{
    const auto rd = run::RunDirectory::create(dir + "/run", nlohmann::json{{"steps", 100}});
    rd.writeStatus("running", 0);
    corpus::writeText(rd.checkpointsDir() + "/step-00000020.pt", "");  // listed by name only
    auto s = run::summarizeRun(rd.path());
    QCOMPARE(s.state, std::string("interrupted"));
    QCOMPARE(s.lastCheckpoint, std::optional<long long>(20));
    VERIFY_MENTIONS(s.note, "while it was running at step 0", "last checkpoint is step 20");
    {
        io::FolderLock held(rd.path(), "train");
        s = run::summarizeRun(rd.path());
        QCOMPARE(s.state, std::string("running"));
        QCOMPARE(s.pid, std::optional<long>(::getpid()));
        // A second lock on the same folder is refused even within one process.
        VERIFY_MENTIONS(messageOf([&] { io::FolderLock second(rd.path(), "eval"); }), rd.path(),
                        "is being written by " + pidText(::getpid()) + " (train)");
    }
    QVERIFY(!fs::exists(io::FolderLock::lockPath(rd.path())));  // released and removed
    rd.writeStatus("finished", 100);
    QCOMPARE(run::summarizeRun(rd.path()).state, std::string("finished"));
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

void dangerousRunFolders(const std::string& dir)
{
    const std::string root = corpus::makeFolderDataset(dir + "/set", 3, 2);
    // The case: the dataset's own folder as the run folder, refused before anything is written.
    const auto r = runCli({"train", "--dataset", QString::fromStdString(root), "--run-dir", QString::fromStdString(root), "--backbone", "tiny",
                           "--steps", "2", "--plain"});
    QCOMPARE(r.exitCode, 1);
    VERIFY_MENTIONS(r.err.toStdString(), "is inside the dataset");
    QVERIFY(!fs::exists(root + "/config.json") && !fs::exists(root + "/checkpoints"));
    VERIFY_MENTIONS(messageOf([&] { run::checkNewRunFolder(root + "/runs/a", root); }), "is inside the dataset");
    VERIFY_MENTIONS(messageOf([&] { run::checkNewRunFolder(dir, root); }), "holds the dataset");
    VERIFY_MENTIONS(messageOf([&] { run::checkNewRunFolder("/", ""); }), "file system root");
    VERIFY_MENTIONS(messageOf([&] { run::checkNewRunFolder(qgetenv("HOME").toStdString() + "/", ""); }), "home folder");
    corpus::writeText(dir + "/notes/todo.txt", "mine\n");
    VERIFY_MENTIONS(messageOf([&] { run::checkNewRunFolder(dir + "/notes", root); }), "is not empty and holds no run");
    // What stays allowed: a new folder, an empty one, one holding only a stale lock, an existing run.
    fs::create_directories(dir + "/empty");
    corpus::writeText(dir + "/locked/.lock", "12345 train\n");
    run::RunDirectory::create(dir + "/old", nlohmann::json::object());
    for (const char* ok : {"/runs/new", "/empty", "/locked", "/old"})
        QCOMPARE(messageOf([&] { run::checkNewRunFolder(dir + ok, root); }), std::string());
}

void synthOverForeignFiles(const std::string& dir)
{
    data::CariSynthOptions o;
    o.identities = 2;
    o.photosPerIdentity = 1;
    o.caricaturesPerIdentity = 1;
    o.size = 64;
    const std::string set = dir + "/synth";
    data::generateCariSynth(set, o);
    data::generateCariSynth(set, o);  // its own set is replaced as before
    run::RunDirectory::create(set + "/run", nlohmann::json{{"steps", 5}});
    VERIFY_MENTIONS(messageOf([&] { data::generateCariSynth(set, o); }), "refusing to replace", set + "/run", "did not write");
    QVERIFY(fs::exists(set + "/run/config.json"));
    fs::remove_all(set + "/run");
    corpus::writeText(set + "/id_0001/photo/notes.txt", "mine\n");
    VERIFY_MENTIONS(messageOf([&] { data::generateCariSynth(set, o); }), "notes.txt");
    QVERIFY(fs::exists(set + "/id_0001/photo/notes.txt"));
}

void outputPaths(const std::string& dir)
{
    const std::string root = corpus::makeFolderDataset(dir + "/set", 2, 2);
    const auto rd = run::RunDirectory::create(dir + "/run", nlohmann::json{{"steps", 5}});
    const std::string config = io::readFile(rd.configPath());
    // The case: embed --out onto a run's config.json, refused before any model loads.
    auto r = runCli({"embed", "--run", QString::fromStdString(rd.path()), "--dataset", QString::fromStdString(root), "--out",
                     QString::fromStdString(rd.configPath())});
    QCOMPARE(r.exitCode, 1);
    VERIFY_MENTIONS(r.err.toStdString(), "must end in .csv");
    r = runCli({"embed", "--run", QString::fromStdString(rd.path()), "--dataset", QString::fromStdString(root), "--out",
                QString::fromStdString(rd.path() + "/checkpoints/x.csv")});
    QCOMPARE(r.exitCode, 1);
    VERIFY_MENTIONS(r.err.toStdString(), "is inside the run folder " + rd.path());
    QCOMPARE(io::readFile(rd.configPath()), config);
    const std::vector<std::string> csv{".csv"};
    VERIFY_MENTIONS(messageOf([&] { run::checkOutputFile(dir, csv); }), "is a folder");
    VERIFY_MENTIONS(messageOf([&] { run::checkOutputFile(dir + "/out.json", csv); }), "must end in .csv (not .json)");
    VERIFY_MENTIONS(messageOf([&] { run::checkOutputFile(dir + "/landmarks.csv", csv); }), "a dataset's own file");
    VERIFY_MENTIONS(messageOf([&] { run::checkOutputFile(root + "/id0/out.csv", csv, root); }), "is inside the dataset");
    QCOMPARE(messageOf([&] { run::checkOutputFile(dir + "/OUT.CSV", csv, root); }), std::string());
}

void resumeWithOtherSettings(const std::string& dir)
{
    run::TrainConfig c;
    c.dataset = dir + "/set";  // never read: every command below stops before training
    c.backbone = "tiny";
    c.steps = 100;
    c.batch = 8;
    const auto rd = run::RunDirectory::create(dir + "/run", run::toJson(c));
    const QString runDir = QString::fromStdString(rd.path());
    auto r = runCli({"train", "--run-dir", runDir, "--resume", "--batch", "4", "--lr", "0.5", "--plain"});
    QCOMPARE(r.exitCode, 2);
    VERIFY_MENTIONS(r.err.toStdString(), "batch (run: 8, given: 4)", "optimizer/lr (run: 0.1", "cannot change on resume");
    r = runCli({"train", "--run-dir", runDir, "--resume", "--steps", "10", "--plain"});
    QCOMPARE(r.exitCode, 2);
    VERIFY_MENTIONS(r.err.toStdString(), "--steps 10 is below the run's 100 steps");
    // Repeating the run's own settings (a script re-running its command line) passes the check;
    // this one then stops because the dataset was never made.
    r = runCli({"train", "--run-dir", runDir, "--resume", "--batch", "8", "--backbone", "tiny", "--dataset", QString::fromStdString(c.dataset),
                "--steps", "100", "--plain"});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(!r.err.contains("cannot change on resume"), qPrintable(r.err));
}

}  // namespace

std::vector<Row> runFolderRows()
{
    return {
        {"two writers on one run, then SIGKILL", twoWritersThenKill},
        {"status running with no writer", staleStatus},
        {"dataset align while locked", alignWhileLocked},
        {"dangerous run folders", dangerousRunFolders},
        {"synth over files it did not write", synthOverForeignFiles},
        {"output paths onto a run or dataset", outputPaths},
        {"resume with other settings", resumeWithOtherSettings},
    };
}

}  // namespace carilab::test::bad
