#include "rank_supervisor.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <iostream>
#include <stdexcept>

namespace carilab::cli {

namespace {

using Clock = std::chrono::steady_clock;

sigset_t launcherSignals()
{
    sigset_t s;
    sigemptyset(&s);
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGCHLD}) sigaddset(&s, sig);
    return s;
}

// One write per line: the ranks' lines do not interleave mid-line with rank 0's output.
void writeErr(const std::string& text)
{
    for (size_t done = 0; done < text.size();) {
        const ssize_t n = ::write(STDERR_FILENO, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        done += static_cast<size_t>(n);
    }
}

void say(const std::string& text) { writeErr("carilab-cli train: " + text + "\n"); }

std::vector<char*> cStrings(const std::vector<std::string>& v)
{
    std::vector<char*> out;
    for (const auto& s : v) out.push_back(const_cast<char*>(s.c_str()));
    out.push_back(nullptr);
    return out;
}

// In the forked child, before exec: async-signal-safe calls only.
[[noreturn]] void execRank(const char* exe, char* const* argv, char* const* envp, int outFd, pid_t launcher)
{
    // The kernel sends SIGTERM when the launcher dies, whatever kills it; exec keeps the setting.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != launcher) ::_exit(127);  // it died before the line above
    if (outFd >= 0) {
        ::dup2(outFd, STDOUT_FILENO);
        ::dup2(outFd, STDERR_FILENO);
    }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    ::sigaction(SIGPIPE, &dfl, nullptr);  // the launcher ignores it; an ignored signal survives exec
    ::execve(exe, argv, envp);
    const char msg[] = "carilab-cli train: cannot execute the rank's program\n";
    [[maybe_unused]] const ssize_t n = ::write(STDERR_FILENO, msg, sizeof msg - 1);
    ::_exit(127);
}

}  // namespace

std::string describeEnd(int status)
{
    if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) {
        const int sig = WTERMSIG(status);
        const char* abbrev = ::sigabbrev_np(sig);
        return "was killed by signal " + std::to_string(sig) + (abbrev ? std::string(" (SIG") + abbrev + ")" : std::string());
    }
    return "ended with wait status " + std::to_string(status);
}

RankSupervisor::RankSupervisor()
{
    const sigset_t s = launcherSignals();
    ::sigprocmask(SIG_BLOCK, &s, nullptr);
    signalFd_ = ::signalfd(-1, &s, SFD_CLOEXEC | SFD_NONBLOCK);
    if (signalFd_ < 0) throw std::runtime_error(std::string("signalfd: ") + std::strerror(errno));
    // Output that has nowhere to go (the GUI or terminal that started the job is gone) must not
    // kill the launcher before it has passed a stop on to the ranks.
    struct sigaction ign {};
    ign.sa_handler = SIG_IGN;
    ::sigaction(SIGPIPE, &ign, &oldPipe_);
}

RankSupervisor::~RankSupervisor()
{
    for (auto& r : ranks_) {
        if (!r.ended) {
            ::kill(r.pid, SIGKILL);
            ::waitpid(r.pid, nullptr, 0);
        }
        if (r.outFd >= 0) ::close(r.outFd);
    }
    ::close(signalFd_);
    ::sigaction(SIGPIPE, &oldPipe_, nullptr);
    const sigset_t s = launcherSignals();
    ::sigprocmask(SIG_UNBLOCK, &s, nullptr);
}

void RankSupervisor::start(const RankCommand& c)
{
    int fds[2] = {-1, -1};
    if (!c.ownOutput && ::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
    // Built before fork: the child may only make async-signal-safe calls until exec.
    const std::vector<char*> argv = cStrings(c.args), envp = cStrings(c.env);
    const pid_t launcher = ::getpid();
    const pid_t pid = ::fork();
    if (pid == 0) execRank(c.exe.c_str(), argv.data(), envp.data(), fds[1], launcher);
    const int forkErrno = errno;
    if (fds[1] >= 0) ::close(fds[1]);
    if (pid < 0) {
        if (fds[0] >= 0) ::close(fds[0]);
        throw std::runtime_error("cannot start rank " + std::to_string(c.rank) + ": " + std::strerror(forkErrno));
    }
    if (fds[0] >= 0) ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
    ranks_.push_back({c.rank, pid, fds[0], {}});
}

std::string RankSupervisor::pidsText() const
{
    std::string s;
    for (const auto& r : ranks_) s += (s.empty() ? "" : ", ") + ("rank " + std::to_string(r.rank) + " pid " + std::to_string(r.pid));
    return s;
}

int RankSupervisor::supervise(const SuperviseTimes& times)
{
    grace_ = times.grace;
    for (;;) {
        reapEnded();
        if (std::all_of(ranks_.begin(), ranks_.end(), [](const Rank& r) { return r.ended; })) break;
        escalate(Clock::now(), times);
        std::vector<pollfd> fds{{signalFd_, POLLIN, 0}};
        std::vector<Rank*> owners{nullptr};
        for (auto& r : ranks_)
            if (r.outFd >= 0) {
                fds.push_back({r.outFd, POLLIN, 0});
                owners.push_back(&r);
            }
        if (::poll(fds.data(), fds.size(), pollTimeoutMs(Clock::now())) <= 0) continue;
        if (fds[0].revents) onSignal();
        for (size_t i = 1; i < fds.size(); ++i)
            if (fds[i].revents) pumpOutput(*owners[i]);
    }
    drainOutput();
    return exitStatus();
}

void RankSupervisor::onSignal()
{
    signalfd_siginfo info;
    while (::read(signalFd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
        const int sig = static_cast<int>(info.ssi_signo);
        if (sig == SIGCHLD) continue;  // reapEnded() looks at every rank
        // A hang-up (the terminal went away) stops the job the way SIGTERM does.
        const int forward = sig == SIGHUP ? SIGTERM : sig;
        say(std::string("SIG") + ::sigabbrev_np(sig) + ": asking every rank to stop after this step (rank 0 writes the checkpoint)");
        signalLiving(forward);
    }
}

void RankSupervisor::reapEnded()
{
    for (auto& r : ranks_) {
        if (r.ended) continue;
        int status = 0;
        const pid_t got = ::waitpid(r.pid, &status, WNOHANG);
        if (got == r.pid) reportEnd(r, status);
    }
}

void RankSupervisor::reportEnd(Rank& r, int status)
{
    r.ended = true;
    r.status = status;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
    pumpOutput(r);  // its last words before the verdict on it
    std::string text = "rank " + std::to_string(r.rank) + " (pid " + std::to_string(r.pid) + ") " + describeEnd(status);
    if (!failed_) {
        failed_ = true;
        firstFailure_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        termAt_ = Clock::now() + grace_;
        if (std::any_of(ranks_.begin(), ranks_.end(), [](const Rank& o) { return !o.ended; }))
            text += "; the other ranks have " + std::to_string(std::chrono::duration_cast<std::chrono::seconds>(grace_).count()) +
                " s to end on their own (their next collective fails)";
    }
    say(text);
}

void RankSupervisor::pumpOutput(Rank& r)
{
    char buf[4096];
    for (;;) {
        const ssize_t n = r.outFd >= 0 ? ::read(r.outFd, buf, sizeof buf) : 0;
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return;  // EAGAIN: nothing more for now
        if (n > 0) r.partial.append(buf, static_cast<size_t>(n));
        for (size_t eol; (eol = r.partial.find('\n')) != std::string::npos; r.partial.erase(0, eol + 1))
            writeErr("[rank " + std::to_string(r.rank) + "] " + r.partial.substr(0, eol) + "\n");
        if (n == 0) {  // end of file (or no pipe): the unfinished line too
            if (!r.partial.empty()) writeErr("[rank " + std::to_string(r.rank) + "] " + r.partial + "\n");
            r.partial.clear();
            if (r.outFd >= 0) ::close(r.outFd);
            r.outFd = -1;
            return;
        }
    }
}

void RankSupervisor::signalLiving(int sig)
{
    for (const auto& r : ranks_)
        if (!r.ended) ::kill(r.pid, sig);
}

void RankSupervisor::escalate(Clock::time_point now, const SuperviseTimes& times)
{
    if (!failed_) return;
    if (!termSent_ && now >= termAt_) {
        say("the other ranks did not end within the grace time: sending them SIGTERM");
        signalLiving(SIGTERM);
        termSent_ = true;
        killAt_ = now + times.term;
    } else if (termSent_ && !killSent_ && now >= killAt_) {
        say("ranks still alive " + std::to_string(times.term.count() / 1000) + " s after SIGTERM: sending them SIGKILL");
        signalLiving(SIGKILL);
        killSent_ = true;
    }
}

int RankSupervisor::pollTimeoutMs(Clock::time_point now) const
{
    auto next = now + std::chrono::milliseconds(500);  // SIGCHLD wakes the poll sooner
    if (failed_ && !termSent_) next = std::min(next, termAt_);
    if (termSent_ && !killSent_) next = std::min(next, killAt_);
    return static_cast<int>(std::max<long long>(0, std::chrono::duration_cast<std::chrono::milliseconds>(next - now).count()));
}

// After the last rank ended: what its pipe still holds. A grandchild that kept the pipe open
// (none should) gets two seconds, not forever.
void RankSupervisor::drainOutput()
{
    const auto until = Clock::now() + std::chrono::seconds(2);
    for (;;) {
        std::vector<pollfd> fds;
        std::vector<Rank*> owners;
        for (auto& r : ranks_)
            if (r.outFd >= 0) {
                fds.push_back({r.outFd, POLLIN, 0});
                owners.push_back(&r);
            }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
        if (fds.empty() || left <= 0) break;
        if (::poll(fds.data(), fds.size(), static_cast<int>(left)) <= 0) break;
        for (size_t i = 0; i < fds.size(); ++i)
            if (fds[i].revents) pumpOutput(*owners[i]);
    }
}

int RankSupervisor::exitStatus() const { return failed_ ? std::max(1, firstFailure_) : 0; }

}  // namespace carilab::cli
