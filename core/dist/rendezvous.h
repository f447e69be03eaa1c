#pragma once
// The ranks of a job finding one another: c10d's TCPStore, served by rank 0 at
// MASTER_ADDR:MASTER_PORT, with the messages a user can act on when that fails.
#include "dist/launch_env.h"

#include <torch/csrc/distributed/c10d/Store.hpp>

#include <chrono>

namespace carilab::dist {

// Blocks until every rank has connected or `timeout` passes. Throws std::runtime_error: the
// port is in use (rank 0), the address does not resolve or nobody answers there in time.
c10::intrusive_ptr<c10d::Store> connectStore(const LaunchEnv& env, std::chrono::milliseconds timeout);

}  // namespace carilab::dist
