#pragma once
// Who this process is in a distributed job, read from the launch conventions the cluster tools
// use: torchrun's (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT),
// carilab-cli's own launcher sets the same ones, and Slurm's (SLURM_PROCID, SLURM_NTASKS,
// SLURM_LOCALID, with MASTER_ADDR and MASTER_PORT exported by the job script).
#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace carilab::dist {

enum class Backend { Gloo, Nccl };
const char* backendName(Backend b);  // "gloo" | "nccl"

struct LaunchEnv {
    int rank = 0;
    int worldSize = 1;
    int localRank = 0;  // the process's index on its node (its GPU on CUDA)
    int localWorldSize = 1;
    std::string masterAddr = "127.0.0.1";
    int masterPort = 29500;
    std::string source;  // "torchrun" (also carilab-cli's launcher) | "slurm", for messages
};

// Reads a variable; nullptr when unset (a test passes its own table).
using EnvLookup = std::function<const char*(const char*)>;
EnvLookup processEnvironment();

// nullopt when the process was not launched as one of several ranks (no WORLD_SIZE, or one,
// and no Slurm job of several tasks). Throws std::invalid_argument naming the variable when a
// value is malformed or one that is needed is missing.
std::optional<LaunchEnv> launchEnvFrom(const EnvLookup& env);

// The collectives' timeout: CARILAB_DIST_TIMEOUT (seconds) when set, else the default. A rank
// that died, hangs or cannot be reached ends the job within it.
inline constexpr std::chrono::seconds kDefaultTimeout{120};
std::chrono::milliseconds timeoutFrom(const EnvLookup& env);

}  // namespace carilab::dist
