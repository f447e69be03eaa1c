#pragma once
// A data-parallel run of several local processes, started from the GUI: carilab-cli's launcher
// (`carilab-cli train --config FILE --run-dir DIR --nproc-per-node N`) as a child process. The
// launcher starts and supervises the ranks (app/rank_launcher.h); the GUI follows the run
// folder rank 0 writes, as for any run another process trains (TrainingController::follow).
#include <nlohmann/json.hpp>

#include <QObject>
#include <QProcess>
#include <QStringList>

#include <memory>

class QTemporaryFile;

namespace carilab::widgets {

class TrainingProcess : public QObject {
    Q_OBJECT

public:
    explicit TrainingProcess(QObject* parent = nullptr);
    ~TrainingProcess() override;  // a job still running is stopped (checkpoint) or, after kStopWaitMs, killed

    // config: config.json's keys; its "threads" (the form's, for the whole job) is shared out
    // among the ranks. Throws std::runtime_error when carilab-cli cannot be found or started.
    void start(const nlohmann::json& config, const QString& runDir, int processes);
    // SIGTERM to the launcher, which forwards it: every rank stops at the same step, rank 0
    // writes the checkpoint.
    void stop();
    bool isRunning() const { return process_.state() != QProcess::NotRunning; }
    void waitForEnd(int timeoutMs) { process_.waitForFinished(timeoutMs); }
    // The last kTailLines lines of the launcher's stderr (its messages and the ranks' errors).
    QStringList stderrTail() const { return tail_; }

    // carilab-cli: $CARILAB_CLI, else the one next to this program, else the one on PATH; empty
    // when there is none.
    static QString cliProgram();
    static constexpr int kTailLines = 12;
    static constexpr int kStopWaitMs = 30000;

Q_SIGNALS:
    void outputLine(const QString& line);  // a line the launcher or a rank wrote to stderr
    // exitOk: every rank exited 0; otherwise how it ended, with the stderr tail.
    void ended(bool exitOk, const QString& why);

private:
    void readStderr();
    void onFinished(int exitCode, QProcess::ExitStatus status);

    QProcess process_;
    std::unique_ptr<QTemporaryFile> config_;  // read by every rank at its start: kept to the end
    QStringList tail_;
    QByteArray partial_;
};

}  // namespace carilab::widgets
