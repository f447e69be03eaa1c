// Crash reports (io/crash_report.h): a carilab-cli training killed by SIGSEGV and SIGABRT (sent
// to the real process, so its handler runs exactly as for a real fault) dies of that signal and
// leaves a report with the cause and a backtrace; an exception thrown on a thread that no one
// catches leaves one with the exception's message; the GUI's notice lists unseen reports once.
#include "test_support.h"

#include "crash_notice.h"

#include "data/carisynth.h"
#include "io/crash_report.h"

#include <QApplication>
#include <QMessageBox>
#include <QProcess>
#include <QtTest/QtTest>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace fs = std::filesystem;
using carilab::io::CrashReport;

namespace {

std::string readAll(const fs::path& p)
{
    std::ifstream in(p);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The reporter stands aside under a sanitizer (it would replace the sanitizer's report).
bool sanitized() { return !carilab::io::crashReporterAvailable(); }

}  // namespace

class TestCrashReport : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;
    QString data_;

    // A long carilab-cli training with its data folder in home, signalled once it is training.
    void killTraining(int sig, const QString& home, const QString& runDir)
    {
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("CARILAB_HOME", home);
        p.setProcessEnvironment(env);
        // No core file: the signal's default action would otherwise dump a few hundred MB here.
        p.setChildProcessModifier([] {
            const rlimit none{0, 0};
            ::setrlimit(RLIMIT_CORE, &none);
        });
        p.start(carilab::test::cliPath(), {"train", "--dataset", data_, "--run-dir", runDir, "--steps", "100000", "--batch", "8", "--threads", "1",
                                            "--plain", "--checkpoint-every", "1000000"});
        QVERIFY(p.waitForStarted(30000));
        QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(runDir + "/metrics.jsonl") && QFileInfo(runDir + "/metrics.jsonl").size() > 0, 120000);
        QCOMPARE(::kill(static_cast<pid_t>(p.processId()), sig), 0);
        QVERIFY(p.waitForFinished(60000));
        QCOMPARE(p.exitStatus(), QProcess::CrashExit);  // it still dies of the signal
        const QString err = QString::fromUtf8(p.readAllStandardError());
        QVERIFY2(err.contains("carilab-cli ended: SIG") && err.contains("This report is also in"), qPrintable(err.right(2000)));
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(tmp_.isValid());
        data_ = tmp_.path() + "/synth";
        carilab::data::CariSynthOptions o;
        o.identities = 4;
        o.photosPerIdentity = 4;
        o.caricaturesPerIdentity = 4;
        o.size = 64;
        carilab::data::generateCariSynth(data_.toStdString(), o);
    }

    void fatalSignalsLeaveAReport()
    {
        if (sanitized()) QSKIP("a sanitizer build leaves crashes to the sanitizer");
        const QString home = tmp_.path() + "/home-signals";
        killTraining(SIGSEGV, home, tmp_.path() + "/run-segv");
        killTraining(SIGABRT, home, tmp_.path() + "/run-abrt");
        const std::string dir = (fs::path(home.toStdString()) / "crash-reports").string();
        QCOMPARE(dir, [&] {
            qputenv("CARILAB_HOME", home.toUtf8());
            const std::string d = carilab::io::defaultCrashReportDir();
            qunsetenv("CARILAB_HOME");
            return d;
        }());
        const auto reports = carilab::io::unseenCrashReports(dir);
        QCOMPARE(reports.size(), std::size_t(2));
        QStringList summaries;
        for (const CrashReport& r : reports) {
            summaries << QString::fromStdString(r.summary);
            const std::string text = readAll(r.path);
            QVERIFY(text.find("version: ") != std::string::npos);
            QVERIFY(text.find("backtrace:\n") != std::string::npos);
            QVERIFY2(text.find("carilab-cli") != text.rfind("carilab-cli"), "the backtrace names the program's frames");
        }
        summaries.sort();
        QVERIFY2(summaries[0].startsWith("carilab-cli ended: SIGABRT"), qPrintable(summaries[0]));
        QVERIFY2(summaries[1].startsWith("carilab-cli ended: SIGSEGV (segmentation fault"), qPrintable(summaries[1]));
        // Once seen, they are not shown again; a later report is.
        carilab::io::markCrashReportsSeen(dir);
        QVERIFY(carilab::io::unseenCrashReports(dir).empty());
    }

    void uncaughtExceptionOnAThreadNamesIt()
    {
        if (sanitized()) QSKIP("a sanitizer build leaves crashes to the sanitizer");
        const std::string dir = (tmp_.path() + "/home-throw/crash-reports").toStdString();
        const pid_t child = ::fork();
        QVERIFY(child >= 0);
        if (child == 0) {
            // The child only installs the reporter and dies (no core file); _exit if it somehow survives.
            const rlimit none{0, 0};
            ::setrlimit(RLIMIT_CORE, &none);
            carilab::io::installCrashReporter(dir, "thrower", "test");
            std::thread([] { throw std::runtime_error("the gallery file is truncated"); }).join();
            ::_exit(0);
        }
        int status = 0;
        QCOMPARE(::waitpid(child, &status, 0), child);
        QVERIFY(WIFSIGNALED(status));
        QCOMPARE(WTERMSIG(status), SIGABRT);
        const auto reports = carilab::io::unseenCrashReports(dir);
        QCOMPARE(reports.size(), std::size_t(1));
        QCOMPARE(QString::fromStdString(reports[0].summary),
                 QString("thrower ended: an uncaught exception: the gallery file is truncated"));
        QVERIFY(readAll(reports[0].path).find("signal: SIGABRT") != std::string::npos);
    }

    // carilab without a display is told what to do instead, and that is no crash.
    void noDisplayIsAMessageNotACrash()
    {
        const QString home = tmp_.filePath("home-nodisplay");
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        for (const char* v : {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"}) env.remove(v);
        env.insert("CARILAB_HOME", home);
        p.setProcessEnvironment(env);
        p.start(carilab::test::guiPath(), {});
        QVERIFY2(p.waitForStarted(30000), qPrintable(carilab::test::guiPath() + ": " + p.errorString()));
        QVERIFY(p.waitForFinished(60000));
        const QString err = QString::fromUtf8(p.readAllStandardError());
        QCOMPARE(p.exitStatus(), QProcess::NormalExit);
        QCOMPARE(p.exitCode(), 1);
        QVERIFY2(err.contains("cannot open a window") && err.contains("carilab-cli demo"), qPrintable(err));
        QVERIFY(!QDir(home + "/crash-reports").exists() || QDir(home + "/crash-reports").isEmpty());
    }

    void noticeListsUnseenReports()
    {
        const fs::path dir = fs::path(tmp_.path().toStdString()) / "home-notice" / "crash-reports";
        QVERIFY(carilab::io::unseenCrashReports(dir.string()).empty());  // no folder: nothing
        QVERIFY(!carilab::widgets::showCrashNotice(nullptr, {}));
        fs::create_directories(dir);
        std::ofstream(dir / "crash-carilab-1764900000-42.txt") << "carilab ended: SIGSEGV (segmentation fault: an invalid memory access)\nsignal: x\n";
        std::ofstream(dir / "notes.txt") << "not a report\n";
        const auto reports = carilab::io::unseenCrashReports(dir.string());
        QCOMPARE(reports.size(), std::size_t(1));
        QWidget parent;
        parent.show();
        QMessageBox* box = carilab::widgets::showCrashNotice(&parent, reports);
        QVERIFY(box && box->isVisible());
        QVERIFY(box->text().contains("SIGSEGV (segmentation fault"));
        QVERIFY(box->detailedText().contains("crash-carilab-1764900000-42.txt"));
        box->close();
    }
};

QTEST_MAIN(TestCrashReport)
#include "test_crash_report.moc"
