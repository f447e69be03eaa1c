#pragma once
// Drives one core Trainer from the GUI thread: starts it, forwards pause/resume/stop, and
// drains its events on a timer (never blocking, never running torch on the GUI thread).
#include "run_curves.h"

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

#include <memory>

namespace carilab::run {
class Trainer;
struct RunSummary;
}

namespace carilab::widgets {

class TrainingProcess;

class TrainingController : public QObject {
    Q_OBJECT

public:
    explicit TrainingController(QObject* parent = nullptr);
    ~TrainingController() override;

    // config: the JSON keys of config.json. Throws std::exception (invalid config) before
    // anything starts; errors after that arrive as failed().
    // config's "threads" (> 0) sets the process's LibTorch threads for this run; 0 keeps the
    // count the process was launched with.
    void start(const nlohmann::json& config, const QString& runDir);
    // Continues a run from its newest checkpoint; totalSteps > 0 extends a step-counted run to
    // that many steps in all (run/resume_rules.h), 0 finishes its own budget.
    void resumeRun(const QString& runDir, long long totalSteps = 0);
    void pause();
    void resume();
    void stop();
    // Follows a run folder another process writes (a carilab-cli job, a cluster job on a shared
    // file system), read-only: the curves, progress and log.txt's new lines arrive as for a run
    // of this process, every kFollowMs while metrics.jsonl grows, and finished() (or failed())
    // when status.json says the run ended. Throws std::runtime_error when dir is not a run.
    void follow(const QString& runDir);
    // Trains in `processes` local data-parallel ranks: carilab-cli's launcher as a child process
    // (TrainingProcess), its run folder followed as by follow() once rank 0 has made it. The run
    // ends when the launcher does: finished() when every rank exited 0, else failed() with the
    // launcher's last stderr lines. stop() asks every rank to stop (they checkpoint); there is
    // no pause. Throws before anything starts (invalid config, no carilab-cli).
    void startProcesses(const nlohmann::json& config, const QString& runDir, int processes);
    bool isMultiProcess() const { return process_ != nullptr; }
    bool isFollowing() const { return following_; }
    void stopFollowing();  // leaves the curves as they are
    static constexpr int kFollowMs = 500;
    // Blocks until the trainer thread has ended (after stop()), draining its last events.
    void waitForEnd(int timeoutMs = 60000);

    bool isActive() const;  // running or paused
    bool isPaused() const { return paused_; }
    const RunCurves& curves() const { return curves_; }
    QString runDir() const { return runDir_; }
    long long step() const;
    long long totalSteps() const;

    static constexpr int kPollMs = 40;  // 25 Hz: the most often the plots replot

Q_SIGNALS:
    void started(const QString& runDir, long long totalSteps);
    void progress(long long step, long long total, double imagesPerSecond, double etaSeconds);
    void curvesChanged();  // at most once per poll
    void evalArrived(const QString& summary);
    void logLine(const QString& line);
    void stateChanged(const QString& state);
    void finished(const QString& state);  // "finished" or "stopped"
    void failed(const QString& message);

private:
    void poll();
    void pollFollowed();
    void beginFollowing(const QString& runDir, const run::RunSummary& s);
    void awaitProcessRun();
    void onProcessEnded(bool exitOk, const QString& why);
    void readFollowedMetrics();
    static QList<QByteArray> newLines(const QString& file, qint64& offset);
    void launch();

    std::unique_ptr<run::Trainer> trainer_;
    std::unique_ptr<TrainingProcess> process_;  // a multi-process run's launcher
    bool awaitingRun_ = false;  // its rank 0 has not made the run folder yet
    QTimer timer_;
    RunCurves curves_;
    QString runDir_;
    bool paused_ = false;
    double lastImagesPerSecond_ = 0;
    int launchThreads_ = 0;  // the process's thread count when the controller was made
    bool following_ = false;
    qint64 followedMetricsOffset_ = 0, followedLogOffset_ = 0;  // bytes of the followed run's files read so far
    double followedImagesPerS_ = 0;
    long long followedStep_ = 0, followedTotal_ = 0, followStartStep_ = 0;
    QElapsedTimer followClock_;
};

}  // namespace carilab::widgets
