#pragma once
// Helpers shared by the test executables: temporary folders, the CLI, the shared data.
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

namespace carilab::test {

// ../shared next to the checkout (read-only; may be absent on some machines).
QString sharedDir();
// Absolute path of the built carilab-cli.
QString cliPath();
// The GUI executable (tests that start it depend on its target: see tests/CMakeLists.txt).
QString guiPath();

struct CliResult {
    int exitCode = -1;
    QString out;
    QString err;
};
// Runs carilab-cli with the arguments and waits (timeout in ms); env: the process's own when empty.
CliResult runCli(const QStringList& args, int timeoutMs = 120000, const QProcessEnvironment& env = {});

// A TCP port on loopback held listening for the object's life: a port "in use".
struct BusyPort {
    BusyPort();
    ~BusyPort();
    BusyPort(const BusyPort&) = delete;
    BusyPort& operator=(const BusyPort&) = delete;
    int fd = -1;
    int port = 0;  // 0 when no port could be bound
};
// A loopback port that was free when asked (bound, read and released again).
int freeLoopbackPort();

}  // namespace carilab::test
