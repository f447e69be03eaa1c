#include "training_controller.h"

#include "io/thread_priority.h"
#include "run/run_summary.h"
#include "run/trainer.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>

#include <cmath>

namespace carilab::widgets {

namespace {

// A figure the evaluation could not measure (no caricatures among the held-out images) shows
// as a dash, not as 0 %.
QString percent(const std::optional<double>& v)
{
    return v && std::isfinite(*v) ? QString::number(100 * *v, 'f', 1) + QLatin1Char('%') : QStringLiteral("—");
}

QString evalSummary(long long step, const run::HeldOutFigures& f)
{
    if (!f.error.empty()) return QStringLiteral("eval @%1: %2").arg(step).arg(QString::fromStdString(f.error));
    const auto& v = f.verification;
    return QStringLiteral("eval @%1: verification %2 (AUC %3), caricature id %4, visual id %5")
        .arg(step)
        .arg(percent(v ? std::optional<double>(v->acc) : std::nullopt))
        .arg(v ? QString::number(v->auc, 'f', 3) : QStringLiteral("—"))
        .arg(percent(f.caricatureAcc))
        .arg(percent(f.visualAcc));
}

}  // namespace

TrainingController::TrainingController(QObject* parent) : QObject(parent)
{
    launchThreads_ = run::Trainer::configuredThreads();
    timer_.setInterval(kPollMs);
    connect(&timer_, &QTimer::timeout, this, &TrainingController::poll);
}

TrainingController::~TrainingController()
{
    if (trainer_) {
        trainer_->stop();
        trainer_->wait();
    }
    io::setThisThreadDefersToCompute(false);
}

void TrainingController::start(const nlohmann::json& config, const QString& runDir)
{
    if (isActive()) throw std::logic_error("a run is already active");
    stopFollowing();
    const run::TrainConfig c = run::trainConfigFromJson(config);
    // Set here, on the GUI thread, before the trainer's thread exists: it takes the count when
    // it first runs parallel work. Not torch math, only the process's setting.
    const std::string clamp = run::Trainer::configureThreads(c.threads > 0 ? c.threads : launchThreads_);
    trainer_ = std::make_unique<run::Trainer>(c, runDir.toStdString(), false);
    runDir_ = runDir;
    curves_ = RunCurves(QDir(runDir).dirName());
    launch();
    if (!clamp.empty()) Q_EMIT logLine(QStringLiteral("warning: ") + QString::fromStdString(clamp));
}

void TrainingController::resumeRun(const QString& runDir, long long totalSteps)
{
    if (isActive()) throw std::logic_error("a run is already active");
    stopFollowing();
    run::TrainConfig c;  // on resume only the budget counts
    c.steps = totalSteps;
    // Show the run's history first; the resumed trainer appends to it.
    curves_ = RunCurves::fromRunDir(runDir);
    trainer_ = std::make_unique<run::Trainer>(c, runDir.toStdString(), true);
    runDir_ = runDir;
    launch();
}

void TrainingController::launch()
{
    paused_ = false;
    trainer_->start();
    // The GUI thread yields to the trainer's threads while the run trains (io/thread_priority.h);
    // the trainer's thread sets its own policy back, so the order here does not matter.
    io::setThisThreadDefersToCompute(true);
    timer_.start();
    Q_EMIT stateChanged(QStringLiteral("running"));
}

void TrainingController::pause()
{
    if (!trainer_) return;
    trainer_->pause();
}

void TrainingController::resume()
{
    if (!trainer_) return;
    trainer_->resume();
}

void TrainingController::stop()
{
    if (!trainer_) return;
    trainer_->stop();
}

void TrainingController::waitForEnd(int timeoutMs)
{
    if (!trainer_) return;
    trainer_->waitFor(timeoutMs);
    poll();
}

bool TrainingController::isActive() const
{
    if (!trainer_) return false;
    const auto s = trainer_->state();
    return s == run::Trainer::State::Running || s == run::Trainer::State::Paused || s == run::Trainer::State::Stopping;
}

// A followed run keeps its last figures after it ended (trainer_ is null then).
long long TrainingController::step() const { return trainer_ ? trainer_->step() : followedStep_; }
long long TrainingController::totalSteps() const { return trainer_ ? trainer_->totalSteps() : followedTotal_; }

void TrainingController::stopFollowing()
{
    if (!following_) return;
    timer_.stop();
    timer_.setInterval(kPollMs);
    following_ = false;
}

void TrainingController::follow(const QString& runDir)
{
    if (isActive()) throw std::logic_error("a run is already active");
    const run::RunSummary s = run::summarizeRun(runDir.toStdString());
    if (!s.ok) throw std::runtime_error(runDir.toStdString() + ": " + s.error);
    trainer_.reset();
    runDir_ = QFileInfo(runDir).absoluteFilePath();
    curves_ = RunCurves::fromRunDir(runDir_);
    following_ = true;
    followedMetricsSize_ = QFileInfo(runDir_ + QStringLiteral("/metrics.jsonl")).size();
    followedLogOffset_ = 0;
    followedStep_ = s.step;
    followedTotal_ = s.totalSteps;
    followClock_.start();
    followStartStep_ = s.step;
    Q_EMIT started(runDir_, followedTotal_);
    Q_EMIT curvesChanged();
    emitNewLogLines();
    timer_.start(kFollowMs);
    pollFollowed();
}

// The new complete lines of log.txt since the last poll.
void TrainingController::emitNewLogLines()
{
    QFile log(runDir_ + QStringLiteral("/log.txt"));
    if (!log.open(QIODevice::ReadOnly) || log.size() <= followedLogOffset_) return;
    log.seek(followedLogOffset_);
    const QByteArray chunk = log.readAll();
    const qsizetype end = chunk.lastIndexOf('\n');
    if (end < 0) return;
    followedLogOffset_ += end + 1;
    for (const QByteArray& line : chunk.left(end).split('\n'))
        if (!line.isEmpty()) Q_EMIT logLine(QString::fromUtf8(line));
}

void TrainingController::pollFollowed()
{
    const qint64 size = QFileInfo(runDir_ + QStringLiteral("/metrics.jsonl")).size();
    if (size != followedMetricsSize_) {
        followedMetricsSize_ = size;
        curves_ = RunCurves::fromRunDir(runDir_);
        Q_EMIT curvesChanged();
    }
    emitNewLogLines();
    const run::RunSummary s = run::summarizeRun(runDir_.toStdString());
    followedStep_ = s.step;
    followedTotal_ = s.totalSteps;
    // The ETA from the steps seen taken since following began.
    const long long seen = followedStep_ - followStartStep_;
    const double eta = seen > 0 && followedTotal_ > followedStep_
                           ? static_cast<double>(followedTotal_ - followedStep_) * (followClock_.elapsed() / 1000.0) / static_cast<double>(seen)
                           : -1.0;
    Q_EMIT progress(followedStep_, followedTotal_, s.imagesPerS.value_or(0.0), eta);
    // "unknown": no status.json yet (the writer is starting).
    if (s.state == "running" || s.state == "paused" || s.state == "stopping" || s.state == "unknown") return;
    stopFollowing();
    if (s.state == "failed")
        Q_EMIT failed(QString::fromStdString(s.note.empty() ? std::string("the run failed") : s.note));
    else
        Q_EMIT finished(QString::fromStdString(s.state));
}

void TrainingController::poll()
{
    if (following_) {
        pollFollowed();
        return;
    }
    if (!trainer_) return;
    using K = run::TrainerEvent::Kind;
    bool curvesDirty = false;
    const long long total = trainer_->totalSteps();
    for (const auto& e : trainer_->events().drain()) {
        switch (e.kind) {
        case K::Started: {
            const run::RunStarted& st = e.started();
            // A resumed run restarts at its last checkpoint: the history loaded before it may hold
            // steps past it (logged before a kill), which the trainer has just cut from the file.
            curves_.dropAfter(static_cast<double>(st.startStep));
            Q_EMIT started(runDir_, st.totalSteps);
            Q_EMIT logLine(QStringLiteral("started: %1 training / %2 held-out images, %3 identities, steps %4 → %5")
                               .arg(static_cast<qulonglong>(st.trainImages))
                               .arg(static_cast<qulonglong>(st.heldOutImages))
                               .arg(static_cast<qulonglong>(st.identities))
                               .arg(st.startStep)
                               .arg(st.totalSteps));
            break;
        }
        case K::Metrics: {
            const run::StepRecord& r = e.stepRecord();
            curves_.addStep(r);
            curvesDirty = true;
            lastImagesPerSecond_ = r.imagesPerS.value_or(0.0);
            const double perStep = r.timeS / static_cast<double>(std::max<long long>(1, e.step));
            Q_EMIT progress(e.step, total, lastImagesPerSecond_, perStep * static_cast<double>(total - e.step));
            break;
        }
        case K::Eval: {
            curves_.addHeldOut(e.heldOut());
            curvesDirty = true;
            const QString s = evalSummary(e.step, e.heldOut().figures);
            Q_EMIT evalArrived(s);
            Q_EMIT logLine(s);
            break;
        }
        case K::Checkpoint: Q_EMIT logLine(QStringLiteral("checkpoint ") + QString::fromStdString(e.message)); break;
        case K::Warning: Q_EMIT logLine(QStringLiteral("warning: ") + QString::fromStdString(e.message)); break;
        case K::StateChanged: {
            paused_ = e.state() == run::RunState::Paused;
            Q_EMIT stateChanged(QString::fromLatin1(run::runStateName(e.state())));
            break;
        }
        case K::Error:
            timer_.stop();
            io::setThisThreadDefersToCompute(false);
            Q_EMIT logLine(QStringLiteral("error: ") + QString::fromStdString(e.message));
            Q_EMIT failed(QString::fromStdString(e.message));
            break;
        case K::Finished:
            timer_.stop();
            io::setThisThreadDefersToCompute(false);
            paused_ = false;
            Q_EMIT logLine(QString::fromStdString(e.message));
            Q_EMIT finished(QString::fromLatin1(run::runStateName(e.state())));
            break;
        }
    }
    if (curvesDirty) Q_EMIT curvesChanged();
}

}  // namespace carilab::widgets
