#include "training_controller.h"

#include "training_process.h"

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
    if (process_) {
        process_->disconnect(this);  // its end must not reach a controller half destroyed
        process_.reset();  // stops the job (the ranks checkpoint)
    }
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
    if (process_ && process_->isRunning()) {
        process_->stop();
        Q_EMIT stateChanged(QStringLiteral("stopping"));
    }
    if (!trainer_) return;
    trainer_->stop();
}

void TrainingController::waitForEnd(int timeoutMs)
{
    if (process_) process_->waitForEnd(timeoutMs);  // its end arrives as onProcessEnded
    if (!trainer_) return;
    trainer_->waitFor(timeoutMs);
    poll();
}

bool TrainingController::isActive() const
{
    if (process_ && process_->isRunning()) return true;
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
    beginFollowing(runDir, s);
}

void TrainingController::beginFollowing(const QString& runDir, const run::RunSummary& s)
{
    runDir_ = QFileInfo(runDir).absoluteFilePath();
    curves_ = RunCurves(QDir(runDir_).dirName());
    following_ = true;
    followedMetricsOffset_ = followedLogOffset_ = 0;
    followedStep_ = followStartStep_ = s.step;
    followedTotal_ = s.totalSteps;
    followedImagesPerS_ = s.imagesPerS.value_or(0.0);
    followClock_.start();
    Q_EMIT started(runDir_, followedTotal_);
    timer_.start(kFollowMs);
    pollFollowed();
}

// The complete lines appended to a file since `offset`, which moves past them: a followed
// run's files are read once each, however long they grow.
QList<QByteArray> TrainingController::newLines(const QString& file, qint64& offset)
{
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly) || f.size() <= offset || !f.seek(offset)) return {};
    const QByteArray chunk = f.readAll();
    const qsizetype end = chunk.lastIndexOf('\n');
    if (end < 0) return {};
    offset += end + 1;
    QList<QByteArray> lines = chunk.left(end).split('\n');
    lines.removeAll(QByteArray());
    return lines;
}

// metrics.jsonl's new records into the curves; the last training record gives step and images/s.
void TrainingController::readFollowedMetrics()
{
    const QString path = runDir_ + QStringLiteral("/metrics.jsonl");
    if (QFileInfo(path).size() < followedMetricsOffset_) {  // cut back by a --resume: read it again
        curves_.clear();
        followedMetricsOffset_ = 0;
    }
    const QList<QByteArray> lines = newLines(path, followedMetricsOffset_);
    for (const QByteArray& line : lines) {
        try {
            const auto j = nlohmann::json::parse(line.constData(), line.constData() + line.size());
            curves_.addRecord(j);
            if (j.value("type", std::string()) != "train") continue;
            followedStep_ = j.value("step", followedStep_);
            followedImagesPerS_ = j.value("images_per_s", followedImagesPerS_);
        } catch (const std::exception&) {
            // a line RunCurves::fromRunDir would report and skip too
        }
    }
    if (!lines.isEmpty()) Q_EMIT curvesChanged();
}

void TrainingController::pollFollowed()
{
    readFollowedMetrics();
    for (const QByteArray& line : newLines(runDir_ + QStringLiteral("/log.txt"), followedLogOffset_)) Q_EMIT logLine(QString::fromUtf8(line));
    // The ETA from the steps seen taken since following began.
    const long long seen = followedStep_ - followStartStep_;
    const double eta = seen > 0 && followedTotal_ > followedStep_
                           ? static_cast<double>(followedTotal_ - followedStep_) * (followClock_.elapsed() / 1000.0) / static_cast<double>(seen)
                           : -1.0;
    Q_EMIT progress(followedStep_, followedTotal_, followedImagesPerS_, eta);
    // A run of our own launcher ends when the launcher does (onProcessEnded): its exit status
    // says whether every rank ended well, which status.json alone cannot.
    if (process_) return;
    run::RunStatus status;
    try {
        status = run::currentRunStatus(runDir_.toStdString());
    } catch (const std::exception& e) {
        status = {"failed", e.what()};  // the folder went away or broke under us
    }
    // "unknown": no status.json yet (the writer is starting).
    if (status.state == "running" || status.state == "paused" || status.state == "stopping" || status.state == "unknown") return;
    stopFollowing();
    if (status.state == "failed")
        Q_EMIT failed(QString::fromStdString(status.message.empty() ? std::string("the run failed") : status.message));
    else
        Q_EMIT finished(QString::fromStdString(status.state));
}

void TrainingController::poll()
{
    if (awaitingRun_) {
        awaitProcessRun();
        return;
    }
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

void TrainingController::startProcesses(const nlohmann::json& config, const QString& runDir, int processes)
{
    if (isActive()) throw std::logic_error("a run is already active");
    stopFollowing();
    (void)run::trainConfigFromJson(config);  // an invalid config is refused here, as start() does
    auto process = std::make_unique<TrainingProcess>();
    connect(process.get(), &TrainingProcess::outputLine, this, &TrainingController::logLine);
    connect(process.get(), &TrainingProcess::ended, this, &TrainingController::onProcessEnded);
    process->start(config, runDir, processes);
    process_ = std::move(process);
    trainer_.reset();
    runDir_ = QFileInfo(runDir).absoluteFilePath();
    curves_ = RunCurves(QDir(runDir_).dirName());
    paused_ = false;
    awaitingRun_ = true;
    timer_.start(kFollowMs);
    Q_EMIT logLine(QStringLiteral("started carilab-cli train with %1 processes (data-parallel ranks, Gloo over loopback)").arg(processes));
    Q_EMIT stateChanged(QStringLiteral("running"));
}

// Until rank 0 has written the run folder (after the ranks' rendezvous) there is nothing to follow.
void TrainingController::awaitProcessRun()
{
    if (!QFileInfo::exists(runDir_ + QStringLiteral("/config.json"))) return;
    const run::RunSummary s = run::summarizeRun(runDir_.toStdString());
    if (!s.ok) return;  // still being written
    awaitingRun_ = false;
    beginFollowing(runDir_, s);
}

void TrainingController::onProcessEnded(bool exitOk, const QString& why)
{
    if (following_) pollFollowed();  // the records written since the last poll
    timer_.stop();
    timer_.setInterval(kPollMs);
    following_ = awaitingRun_ = false;
    process_.release()->deleteLater();  // this runs inside its signal
    run::RunStatus status;
    try {
        status = run::currentRunStatus(runDir_.toStdString());
    } catch (const std::exception&) {
        status.state = "unknown";  // the job ended before rank 0 made the folder
    }
    if (exitOk) {
        Q_EMIT finished(status.state == "stopped" ? QStringLiteral("stopped") : QStringLiteral("finished"));
        return;
    }
    const QString runMessage = status.state == "failed" ? QString::fromStdString(status.message) : QString();
    Q_EMIT logLine(QStringLiteral("error: ") + why);
    Q_EMIT failed(runMessage.isEmpty() ? why : runMessage + QLatin1Char('\n') + why);
}

}  // namespace carilab::widgets
