#pragma once
// Drives one core Trainer from the GUI thread: starts it, forwards pause/resume/stop, and
// drains its events on a timer (never blocking, never running torch on the GUI thread).
#include "run_curves.h"

#include <QObject>
#include <QTimer>

#include <memory>

namespace carilab::run {
class Trainer;
}

namespace carilab::widgets {

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
    void launch();

    std::unique_ptr<run::Trainer> trainer_;
    QTimer timer_;
    RunCurves curves_;
    QString runDir_;
    bool paused_ = false;
    double lastImagesPerSecond_ = 0;
    int launchThreads_ = 0;  // the process's thread count when the controller was made
};

}  // namespace carilab::widgets
