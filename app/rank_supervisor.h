#pragma once
// The launcher's side of a local data-parallel job: the rank processes, their output and their
// ends. Rank 0 writes to the launcher's own stdout and stderr (its progress line as it would
// alone); the other ranks' output comes through a pipe and is printed line by line on stderr
// prefixed "[rank k] ". SIGINT, SIGTERM and SIGHUP to the launcher go to every rank (they stop at
// the same step and write a checkpoint). When a rank ends abnormally the launcher says which and
// how, gives the others `grace` to end on their own (they fail their next collective within
// the job's timeout), then SIGTERM, then SIGKILL. Every rank is reaped before it returns, and a
// rank whose launcher dies gets SIGTERM from the kernel (PR_SET_PDEATHSIG): no orphans.
#include <sys/types.h>

#include <csignal>

#include <chrono>
#include <string>
#include <vector>

namespace carilab::cli {

struct RankCommand {
    int rank = 0;  // the global rank, for messages
    std::string exe;
    std::vector<std::string> args;  // argv, argv[0] included
    std::vector<std::string> env;  // NAME=VALUE, the whole environment
    bool ownOutput = false;  // true: inherits stdout/stderr (rank 0); false: piped and prefixed
};

struct SuperviseTimes {
    std::chrono::milliseconds grace;  // after the first abnormal end, before SIGTERM
    std::chrono::milliseconds term{std::chrono::seconds(10)};  // after SIGTERM, before SIGKILL
};

class RankSupervisor {
public:
    // Blocks SIGINT, SIGTERM, SIGHUP and SIGCHLD in this process (they are read from a
    // signalfd); the ranks start with them unblocked.
    RankSupervisor();
    ~RankSupervisor();  // SIGKILLs and reaps any rank still alive (an exception on the way)
    RankSupervisor(const RankSupervisor&) = delete;
    RankSupervisor& operator=(const RankSupervisor&) = delete;

    // Starts one rank; throws std::runtime_error when it cannot.
    void start(const RankCommand& c);
    // Until every rank has ended; the launcher's exit status.
    int supervise(const SuperviseTimes& times);
    // "rank 1 (pid 1234) is pid ..." lines for the start message.
    std::string pidsText() const;

private:
    struct Rank {
        int rank;
        pid_t pid;
        int outFd;  // -1: own output, or drained
        std::string partial;  // a line not yet ended
        bool ended = false;
        int status = 0;
    };
    void onSignal();
    void reapEnded();
    void reportEnd(Rank& r, int status);
    void pumpOutput(Rank& r);
    void signalLiving(int sig);
    void escalate(std::chrono::steady_clock::time_point now, const SuperviseTimes& times);
    int pollTimeoutMs(std::chrono::steady_clock::time_point now) const;
    void drainOutput();
    int exitStatus() const;

    std::vector<Rank> ranks_;
    int signalFd_ = -1;
    struct sigaction oldPipe_ {};
    bool failed_ = false;  // a rank ended abnormally
    int firstFailure_ = 0;  // the launcher's status for it
    std::chrono::milliseconds grace_{0};
    std::chrono::steady_clock::time_point termAt_, killAt_;
    bool termSent_ = false, killSent_ = false;
};

// "killed by signal 9 (SIGKILL)" or "exited with status 1", for a waitpid() status.
std::string describeEnd(int waitStatus);

}  // namespace carilab::cli
