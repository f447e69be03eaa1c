#include "test_support.h"

#include <QProcess>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace carilab::test {

BusyPort::BusyPort()
{
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && ::listen(fd, 4) == 0 && ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
        port = ntohs(a.sin_port);
}

BusyPort::~BusyPort()
{
    if (fd >= 0) ::close(fd);
}

int freeLoopbackPort()
{
    const BusyPort held;
    return held.port;
}

QString sharedDir() { return QStringLiteral(CARILAB_SHARED_DIR); }

QString cliPath() { return QStringLiteral(CARILAB_CLI_PATH); }
#ifdef CARILAB_GUI_PATH
QString guiPath() { return QStringLiteral(CARILAB_GUI_PATH); }
#else
QString guiPath() { return {}; }  // a build without the GUI: tests that need it are not built
#endif

CliResult runCli(const QStringList& args, int timeoutMs, const QProcessEnvironment& env)
{
    QProcess p;
    if (!env.isEmpty()) p.setProcessEnvironment(env);
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
