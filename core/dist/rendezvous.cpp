#include "dist/rendezvous.h"

#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <stdexcept>
#include <string>

namespace carilab::dist {

namespace {

std::string where(const LaunchEnv& env) { return env.masterAddr + ":" + std::to_string(env.masterPort); }

std::string secondsText(std::chrono::milliseconds t) { return std::to_string((t.count() + 999) / 1000) + " s"; }

}  // namespace

c10::intrusive_ptr<c10d::Store> connectStore(const LaunchEnv& env, std::chrono::milliseconds timeout)
{
    c10d::TCPStoreOptions o;
    o.port = static_cast<std::uint16_t>(env.masterPort);
    o.isServer = env.rank == 0;
    o.numWorkers = env.worldSize;
    o.waitWorkers = true;
    o.timeout = timeout;
    try {
        return c10::make_intrusive<c10d::TCPStore>(env.masterAddr, o);
    } catch (const std::exception& e) {
        const std::string what = e.what();
        const std::string first = what.substr(0, what.find('\n'));
        if (env.rank == 0 && (what.find("ddress already in use") != std::string::npos || what.find("EADDRINUSE") != std::string::npos))
            throw std::runtime_error("rank 0 cannot serve the rendezvous at " + where(env) + ": the port is in use; give another MASTER_PORT (--master-port)");
        if (env.rank == 0 && what.find("imed out") != std::string::npos)
            throw std::runtime_error("rank 0 waited " + secondsText(timeout) + " at " + where(env) + " and not all " + std::to_string(env.worldSize) +
                                     " ranks arrived; start every rank (or raise CARILAB_DIST_TIMEOUT). " + first);
        if (env.rank == 0)
            throw std::runtime_error("rank 0 serves the rendezvous on port " + std::to_string(env.masterPort) + " but could not reach it at " + where(env) +
                                     ": MASTER_ADDR (--master-addr) must name this machine, the one rank 0 runs on. " + first);
        throw std::runtime_error("rank " + std::to_string(env.rank) + " could not reach the rendezvous at " + where(env) + " within " +
                                 secondsText(timeout) + " (MASTER_ADDR/MASTER_PORT: is rank 0 running there, and the port open?): " + first);
    }
}

}  // namespace carilab::dist
