#include "io/crash_report.h"

#include "io/user_paths.h"

#include <execinfo.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstring>
#include <ctime>
#include <exception>
#include <fstream>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define CARILAB_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define CARILAB_SANITIZED 1
#endif
#endif

namespace carilab::io {

namespace fs = std::filesystem;

namespace {

constexpr int kFatalSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
constexpr const char* kSeenMarker = ".seen";

// Everything the handler needs is set up before the crash: a signal handler may only call
// async-signal-safe functions (no malloc, no iostreams), so it copies from these buffers with
// write(2).
char gDir[1024];
char gProgram[128];
char gVersion[64];
char gNote[2048];
std::atomic<bool> gInstalled{false};
volatile std::sig_atomic_t gReporting = 0;

void copyTo(char* buffer, std::size_t size, const std::string& text)
{
    const std::size_t n = std::min(size - 1, text.size());
    std::memcpy(buffer, text.data(), n);
    buffer[n] = '\0';
}

void put(int fd, const char* s)
{
    std::size_t left = std::strlen(s);
    while (left > 0) {
        const ssize_t n = ::write(fd, s, left);
        if (n <= 0) return;
        s += n;
        left -= static_cast<std::size_t>(n);
    }
}

// Decimal digits of v into buffer (async-signal-safe: no snprintf).
const char* digits(long long v, char (&buffer)[24])
{
    char* p = buffer + sizeof(buffer) - 1;
    *p = '\0';
    const bool negative = v < 0;
    unsigned long long u = negative ? 0ULL - static_cast<unsigned long long>(v) : static_cast<unsigned long long>(v);
    do {
        *--p = static_cast<char>('0' + u % 10);
        u /= 10;
    } while (u != 0);
    if (negative) *--p = '-';
    return p;
}

const char* signalText(int sig)
{
    switch (sig) {
    case SIGSEGV: return "SIGSEGV (segmentation fault: an invalid memory access)";
    case SIGBUS: return "SIGBUS (bus error: a bad memory access, or a mapped file that shrank)";
    case SIGFPE: return "SIGFPE (arithmetic error)";
    case SIGILL: return "SIGILL (illegal instruction: a build for another CPU?)";
    case SIGABRT: return "SIGABRT (aborted)";
    default: return "a fatal signal";
    }
}

void writeReport(int fd, int sig, long long when)
{
    char number[24];
    put(fd, gProgram);
    put(fd, " ended: ");
    put(fd, gNote[0] != '\0' ? gNote : signalText(sig));
    put(fd, "\nsignal: ");
    put(fd, signalText(sig));
    put(fd, "\nversion: ");
    put(fd, gVersion);
    put(fd, "\npid: ");
    put(fd, digits(static_cast<long long>(::getpid()), number));
    put(fd, "\nunix time: ");
    put(fd, digits(when, number));
    put(fd, "\nbacktrace:\n");
    void* frames[64];
    const int n = ::backtrace(frames, 64);
    ::backtrace_symbols_fd(frames, n, fd);
}

// mkdir -p in the handler (mkdir(2) is async-signal-safe): the folder is only made when needed.
void makeReportDir()
{
    char partial[sizeof(gDir)];
    std::strcpy(partial, gDir);
    for (char* p = partial + 1; *p != '\0'; ++p) {
        if (*p != '/') continue;
        *p = '\0';
        ::mkdir(partial, 0755);
        *p = '/';
    }
    ::mkdir(partial, 0755);
}

// [[maybe_unused]]: a sanitizer build installs no handlers (the sanitizer reports crashes).
[[maybe_unused]] void onFatalSignal(int sig)
{
    if (gReporting == 0) {
        gReporting = 1;
        const long long when = static_cast<long long>(std::time(nullptr));
        char path[sizeof(gDir) + sizeof(gProgram) + 64];
        char number[24];
        path[0] = '\0';
        std::strcat(path, gDir);
        std::strcat(path, "/crash-");
        std::strcat(path, gProgram);
        std::strcat(path, "-");
        std::strcat(path, digits(when, number));
        std::strcat(path, "-");
        std::strcat(path, digits(static_cast<long long>(::getpid()), number));
        std::strcat(path, ".txt");
        put(STDERR_FILENO, "\n");
        writeReport(STDERR_FILENO, sig, when);
        makeReportDir();
        const int fd = ::open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd >= 0) {
            writeReport(fd, sig, when);
            ::close(fd);
            put(STDERR_FILENO, "This report is also in ");
            put(STDERR_FILENO, path);
            put(STDERR_FILENO, "\n");
        }
    }
    // End as the signal would have ended the process: default action, raised again.
    std::signal(sig, SIG_DFL);
    std::raise(sig);
}

// An exception no one caught (on any thread) reaches std::terminate: its message goes into the
// report, then abort() ends the process through the SIGABRT handler.
[[maybe_unused]] void onTerminate()
{
    std::string what = "std::terminate was called (no exception in flight)";
    if (const std::exception_ptr e = std::current_exception()) {
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& x) {
            what = std::string("an uncaught exception: ") + x.what();
        } catch (...) {
            what = "an uncaught exception of an unknown type";
        }
    }
    setCrashNote(what);
    std::abort();
}

}  // namespace

std::string defaultCrashReportDir() { return (fs::path(userDataDir()) / "crash-reports").string(); }

bool installCrashReporter(const std::string& dir, const std::string& program, const std::string& version)
{
#ifdef CARILAB_SANITIZED
    (void)dir;
    (void)program;
    (void)version;
    return false;
#else
    if (gInstalled.exchange(true)) return true;
    copyTo(gDir, sizeof(gDir), dir);
    copyTo(gProgram, sizeof(gProgram), program);
    copyTo(gVersion, sizeof(gVersion), version);
    // backtrace() loads libgcc on its first call, which allocates: do that now, not in the handler.
    void* frame[1];
    ::backtrace(frame, 1);
    std::set_terminate(onTerminate);
    struct sigaction action {};
    action.sa_handler = onFatalSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESETHAND;
    for (const int sig : kFatalSignals) ::sigaction(sig, &action, nullptr);
    return true;
#endif
}

bool crashReporterAvailable()
{
#ifdef CARILAB_SANITIZED
    return false;
#else
    return true;
#endif
}

void setCrashNote(const std::string& note) { copyTo(gNote, sizeof(gNote), note); }

std::vector<CrashReport> unseenCrashReports(const std::string& dir)
{
    std::vector<CrashReport> out;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return out;
    const fs::path marker = fs::path(dir) / kSeenMarker;
    const bool seenBefore = fs::exists(marker, ec);
    const auto seen = seenBefore ? fs::last_write_time(marker, ec) : fs::file_time_type::min();
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind("crash-", 0) != 0 || entry.path().extension() != ".txt") continue;
        const auto written = fs::last_write_time(entry.path(), ec);
        if (ec || (seenBefore && written <= seen)) continue;
        CrashReport r{entry.path(), name, written};
        std::ifstream in(entry.path());
        if (std::string first; std::getline(in, first) && !first.empty()) r.summary = first;
        out.push_back(std::move(r));
    }
    std::sort(out.begin(), out.end(), [](const CrashReport& a, const CrashReport& b) { return a.written < b.written; });
    return out;
}

void markCrashReportsSeen(const std::string& dir)
{
    std::error_code ec;
    fs::create_directories(dir, ec);
    std::ofstream(fs::path(dir) / kSeenMarker, std::ios::trunc) << "reports older than this file were shown\n";
}

}  // namespace carilab::io
