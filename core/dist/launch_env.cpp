#include "dist/launch_env.h"

#include <cstdlib>
#include <stdexcept>

namespace carilab::dist {

namespace {

std::optional<long> number(const EnvLookup& env, const char* name, long lo, long hi)
{
    const char* v = env(name);
    if (!v || !*v) return std::nullopt;
    char* end = nullptr;
    const long n = std::strtol(v, &end, 10);
    if (*end != '\0' || n < lo || n > hi)
        throw std::invalid_argument(std::string(name) + "=" + v + " is not a whole number from " + std::to_string(lo) + " to " + std::to_string(hi));
    return n;
}

long required(const EnvLookup& env, const char* name, long lo, long hi, const std::string& why)
{
    const auto n = number(env, name, lo, hi);
    if (!n) throw std::invalid_argument(std::string(name) + " is not set; " + why);
    return *n;
}

void readMaster(const EnvLookup& env, LaunchEnv& e, const std::string& why)
{
    const char* addr = env("MASTER_ADDR");
    if (!addr || !*addr) throw std::invalid_argument("MASTER_ADDR is not set; " + why);
    e.masterAddr = addr;
    e.masterPort = static_cast<int>(required(env, "MASTER_PORT", 1, 65535, why));
}

}  // namespace

const char* backendName(Backend b) { return b == Backend::Nccl ? "nccl" : "gloo"; }

EnvLookup processEnvironment()
{
    return [](const char* name) { return std::getenv(name); };
}

std::optional<LaunchEnv> launchEnvFrom(const EnvLookup& env)
{
    LaunchEnv e;
    if (const auto world = number(env, "WORLD_SIZE", 1, 1 << 20)) {
        if (*world == 1) return std::nullopt;
        const std::string why = "a job of WORLD_SIZE " + std::to_string(*world) + " needs it (torchrun sets RANK, LOCAL_RANK, MASTER_ADDR and MASTER_PORT)";
        e.source = "torchrun";
        e.worldSize = static_cast<int>(*world);
        e.rank = static_cast<int>(required(env, "RANK", 0, *world - 1, why));
        e.localRank = static_cast<int>(number(env, "LOCAL_RANK", 0, *world - 1).value_or(0));
        e.localWorldSize = static_cast<int>(number(env, "LOCAL_WORLD_SIZE", 1, *world).value_or(1));
        readMaster(env, e, why);
        return e;
    }
    const auto tasks = number(env, "SLURM_NTASKS", 1, 1 << 20);
    if (!tasks || *tasks == 1) return std::nullopt;
    const std::string why = "a Slurm job of " + std::to_string(*tasks) +
        " tasks trains as one job: export MASTER_ADDR (the first node's host name) and MASTER_PORT in the job script (docs/distributed.md)";
    e.source = "slurm";
    e.worldSize = static_cast<int>(*tasks);
    e.rank = static_cast<int>(required(env, "SLURM_PROCID", 0, *tasks - 1, why));
    e.localRank = static_cast<int>(number(env, "SLURM_LOCALID", 0, *tasks - 1).value_or(0));
    readMaster(env, e, why);
    return e;
}

std::chrono::milliseconds timeoutFrom(const EnvLookup& env)
{
    const auto s = number(env, "CARILAB_DIST_TIMEOUT", 1, 24 * 3600);
    return std::chrono::milliseconds(1000 * (s ? *s : kDefaultTimeout.count()));
}

}  // namespace carilab::dist
