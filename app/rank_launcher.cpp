#include "rank_launcher.h"

#include "process_launcher.h"
#include "rank_supervisor.h"

#include "dist/launch_env.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <iostream>
#include <set>
#include <stdexcept>

extern char** environ;

namespace carilab::cli {

namespace {

const std::set<std::string>& launcherOptionNames()
{
    static const std::set<std::string> names = {"nproc-per-node", "nnodes", "node-rank", "master-addr", "master-port"};
    return names;
}

// The variables the launcher sets for each rank; inherited values of them are dropped.
const std::set<std::string>& rankVariables()
{
    static const std::set<std::string> names = {"RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"};
    return names;
}

// A TCP port free now on every interface: the kernel's pick for port 0. Rank 0's store binds
// it a moment later (torchrun does the same; another program taking it in between is rare and
// ends in rank 0's clear "port in use" error).
int pickFreePort()
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error(std::string("cannot pick a free port: socket: ") + std::strerror(errno));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_ANY);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 && ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
    const int err = errno;
    ::close(fd);
    if (!ok) throw std::runtime_error(std::string("cannot pick a free port: ") + std::strerror(err));
    return ntohs(addr.sin_port);
}

// This process's environment less the rank variables, plus this rank's.
std::vector<std::string> rankEnvironment(const LaunchOptions& o, int localRank, int port)
{
    std::vector<std::string> env;
    for (char** e = environ; e && *e; ++e) {
        const std::string entry = *e;
        if (!rankVariables().count(entry.substr(0, entry.find('=')))) env.push_back(entry);
    }
    env.push_back("RANK=" + std::to_string(o.nodeRank * o.nprocPerNode + localRank));
    env.push_back("LOCAL_RANK=" + std::to_string(localRank));
    env.push_back("WORLD_SIZE=" + std::to_string(o.worldSize()));
    env.push_back("LOCAL_WORLD_SIZE=" + std::to_string(o.nprocPerNode));
    env.push_back("MASTER_ADDR=" + o.masterAddr);
    env.push_back("MASTER_PORT=" + std::to_string(port));
    return env;
}

}  // namespace

void declareLaunchOptions(Args& a)
{
    a.option("nproc-per-node", "N",
             "data-parallel ranks to start on this machine (default 1: train in this process); the batch is split across every rank "
             "of the job (docs/distributed.md)")
        .option("nnodes", "M", "machines in the job (default 1); each runs this command with its own --node-rank")
        .option("node-rank", "R", "this machine's number, 0 to M-1 (default 0); node 0 serves the rendezvous")
        .option("master-addr", "A", "node 0's host name or address (default 127.0.0.1; needed with --nnodes > 1)")
        .option("master-port", "P", "the rendezvous's TCP port on node 0 (default: a free one on one machine; needed with --nnodes > 1)");
}

LaunchOptions launchOptionsFrom(const Args& a)
{
    LaunchOptions o;
    if (a.has("nproc-per-node")) o.nprocPerNode = a.getIntIn("nproc-per-node", 1, 4096);
    if (a.has("nnodes")) o.nnodes = a.getIntIn("nnodes", 1, 65536);
    if (a.has("node-rank")) {
        o.nodeRank = a.getInt("node-rank");
        if (o.nodeRank < 0 || o.nodeRank >= o.nnodes)
            throw UsageError("--node-rank " + a.get("node-rank") + " is not a node of the job: with --nnodes " + std::to_string(o.nnodes) +
                             " the nodes are numbered 0 to " + std::to_string(o.nnodes - 1));
    }
    if (o.nnodes > 1 && (!a.has("master-addr") || !a.has("master-port")))
        throw UsageError("--nnodes " + std::to_string(o.nnodes) +
                         " needs --master-addr (node 0's host name or address, where rank 0 serves the rendezvous) and --master-port "
                         "(the same on every node)");
    if (a.has("master-addr")) o.masterAddr = a.get("master-addr");
    if (o.masterAddr.empty()) throw UsageError("--master-addr is empty");
    if (a.has("master-port")) o.masterPort = a.getIntIn("master-port", 1, 65535);
    return o;
}

Argv withoutLaunchOptions(const Argv& argv)
{
    Argv out;
    for (size_t i = 0; i < argv.size(); ++i) {
        const std::string& s = argv[i];
        const std::string name = s.rfind("--", 0) == 0 ? s.substr(2, s.find('=') == std::string::npos ? std::string::npos : s.find('=') - 2) : "";
        if (!launcherOptionNames().count(name)) {
            out.push_back(s);
            continue;
        }
        if (s.find('=') == std::string::npos) ++i;  // its value is the next word
    }
    return out;
}

int threadsPerRank(int n)
{
    cpu_set_t set;
    const int cores = ::sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN));
    return std::max(1, cores / std::max(1, n));
}

int launchRanks(const LaunchOptions& o, const Argv& rankArgs, std::chrono::milliseconds timeout)
{
    if (const auto self = dist::launchEnvFrom(dist::processEnvironment()))
        throw UsageError("--nproc-per-node/--nnodes start the ranks of a job, but this process already is rank " + std::to_string(self->rank) +
                         " of a job of " + std::to_string(self->worldSize) + " (" + self->source +
                         " variables are set); run it without the launcher options under " + self->source);
    const int port = o.masterPort > 0 ? o.masterPort : pickFreePort();
    const std::string exe = app::ownExecutable();
    if (exe.empty()) throw std::runtime_error("cannot start the ranks: /proc/self/exe is not readable");
    RankSupervisor supervisor;
    for (int i = 0; i < o.nprocPerNode; ++i) {
        RankCommand c;
        c.rank = o.nodeRank * o.nprocPerNode + i;
        c.exe = exe;
        c.args = {"carilab-cli", "train"};
        c.args.insert(c.args.end(), rankArgs.begin(), rankArgs.end());
        c.env = rankEnvironment(o, i, port);
        c.ownOutput = c.rank == 0;
        supervisor.start(c);
    }
    std::cerr << "carilab-cli train: " << o.nprocPerNode << " rank" << (o.nprocPerNode > 1 ? "s" : "") << " of " << o.worldSize()
              << " on this node, rendezvous at " << o.masterAddr << ":" << port << " (" << supervisor.pidsText() << ")" << std::endl;
    // A survivor fails its next collective within the timeout; a little more covers the
    // exit after it.
    return supervisor.supervise({timeout + std::chrono::seconds(5)});
}

}  // namespace carilab::cli
