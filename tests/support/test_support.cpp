#include "test_support.h"

#include <QProcess>

namespace carilab::test {

QString sharedDir() { return QStringLiteral(CARILAB_SHARED_DIR); }

QString cliPath() { return QStringLiteral(CARILAB_CLI_PATH); }

CliResult runCli(const QStringList& args, int timeoutMs)
{
    QProcess p;
    p.start(cliPath(), args);
    CliResult r;
    if (!p.waitForStarted(10000)) {
        r.err = QStringLiteral("could not start ") + cliPath();
        return r;
    }
    p.closeWriteChannel();
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
        r.err = QStringLiteral("timed out");
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

}  // namespace carilab::test
