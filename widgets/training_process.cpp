#include "training_process.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QStandardPaths>
#include <QTemporaryFile>

#include <sys/prctl.h>

#include <algorithm>
#include <csignal>
#include <stdexcept>

namespace carilab::widgets {

TrainingProcess::TrainingProcess(QObject* parent) : QObject(parent)
{
    // Rank 0's progress lines go to stdout; the GUI reads the run folder instead.
    process_.setStandardOutputFile(QProcess::nullDevice());
    connect(&process_, &QProcess::readyReadStandardError, this, &TrainingProcess::readStderr);
    connect(&process_, &QProcess::finished, this, &TrainingProcess::onFinished);
    // A window killed outright takes its job down the orderly way: the launcher gets SIGTERM
    // from the kernel and stops every rank at a step (each with its checkpoint).
    process_.setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGTERM); });
}

TrainingProcess::~TrainingProcess()
{
    if (!isRunning()) return;
    stop();
    // A job that does not end in time is killed; its ranks then get SIGTERM from the kernel
    // (the launcher's parent-death signal) and still stop at a step.
    if (!process_.waitForFinished(kStopWaitMs)) process_.kill();
    process_.waitForFinished(5000);
}

QString TrainingProcess::cliProgram()
{
    const QString env = qEnvironmentVariable("CARILAB_CLI");
    if (!env.isEmpty()) return env;
    const QString beside = QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral("carilab-cli"));
    if (QFileInfo(beside).isExecutable()) return beside;
    return QStandardPaths::findExecutable(QStringLiteral("carilab-cli"));
}

void TrainingProcess::start(const nlohmann::json& config, const QString& runDir, int processes)
{
    const QString cli = cliProgram();
    if (cli.isEmpty()) throw std::runtime_error("carilab-cli was not found next to this program nor on PATH; it starts the processes");
    nlohmann::json c = config;
    // The form's thread count is the job's: each rank gets its share. 0 lets the launcher share
    // out every core.
    const int threads = c.value("threads", 0);
    c["threads"] = threads > 0 ? std::max(1, threads / processes) : 0;
    config_ = std::make_unique<QTemporaryFile>(QDir::temp().filePath(QStringLiteral("carilab-config-XXXXXX.json")));
    if (!config_->open()) throw std::runtime_error("cannot write a temporary config file: " + config_->errorString().toStdString());
    config_->write(QByteArray::fromStdString(c.dump(2)));
    config_->flush();
    tail_.clear();
    partial_.clear();
    process_.start(cli, {QStringLiteral("train"), QStringLiteral("--config"), config_->fileName(), QStringLiteral("--run-dir"), runDir,
                         QStringLiteral("--nproc-per-node"), QString::number(processes), QStringLiteral("--plain")});
    if (!process_.waitForStarted(10000))
        throw std::runtime_error("cannot start " + cli.toStdString() + ": " + process_.errorString().toStdString());
}

void TrainingProcess::stop()
{
    if (isRunning()) process_.terminate();  // SIGTERM
}

void TrainingProcess::readStderr()
{
    partial_ += process_.readAllStandardError();
    for (qsizetype eol; (eol = partial_.indexOf('\n')) >= 0; partial_.remove(0, eol + 1)) {
        const QString line = QString::fromUtf8(partial_.left(eol)).trimmed();
        if (line.isEmpty()) continue;
        tail_ << line;
        if (tail_.size() > kTailLines) tail_.removeFirst();
        Q_EMIT outputLine(line);
    }
}

void TrainingProcess::onFinished(int exitCode, QProcess::ExitStatus status)
{
    readStderr();
    if (!partial_.isEmpty()) {
        partial_ += '\n';
        readStderr();
    }
    config_.reset();
    const bool ok = status == QProcess::NormalExit && exitCode == 0;
    QString why;
    if (!ok)
        why = (status == QProcess::CrashExit ? QStringLiteral("carilab-cli train crashed") : QStringLiteral("carilab-cli train exited with status %1").arg(exitCode)) +
            (tail_.isEmpty() ? QString() : QStringLiteral(":\n") + tail_.join(QLatin1Char('\n')));
    Q_EMIT ended(ok, why);
}

}  // namespace carilab::widgets
