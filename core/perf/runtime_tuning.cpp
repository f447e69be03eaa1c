#include "perf/runtime_tuning.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>

#include <dlfcn.h>
#include <malloc.h>
#include <unistd.h>

namespace carilab::perf {

std::string openBlasCoreName()
{
    // libblas.so.3 is loaded with LibTorch; when it is OpenBLAS it exports this.
    using CoreName = char* (*)();
    const auto f = reinterpret_cast<CoreName>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
    const char* name = f ? f() : nullptr;
    return name ? name : "";
}

namespace {

// The OpenBLAS kernel family for this CPU when OpenBLAS fell back to its generic one; empty
// when it did not (or the CPU has nothing better).
std::string betterOpenBlasCore()
{
    if (openBlasCoreName() != "Prescott") return "";
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl"))
        return "SkylakeX";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
    return "";
}

// Set when this process could not re-execute itself and runs without the OpenMP/OpenBLAS settings.
bool reexecFailed = false;

// True when the user chose this glibc malloc setting, by its environment alias or in
// GLIBC_TUNABLES (which glibc reads first).
bool userSetMalloc(const char* alias, const char* tunable)
{
    if (std::getenv(alias)) return true;
    const char* tunables = std::getenv("GLIBC_TUNABLES");
    return tunables && std::strstr(tunables, tunable);
}

}  // namespace

std::vector<std::string> missingRuntimeSettings()
{
    std::vector<std::string> out;
    if (!std::getenv("OMP_WAIT_POLICY")) out.push_back("OMP_WAIT_POLICY=PASSIVE");
    if (!std::getenv("OPENBLAS_THREAD_TIMEOUT")) out.push_back("OPENBLAS_THREAD_TIMEOUT=4");
    if (!userSetMalloc("MALLOC_MMAP_THRESHOLD_", "glibc.malloc.mmap_threshold"))
        out.push_back("MALLOC_MMAP_THRESHOLD_=" + std::to_string(kMallocMmapThreshold));
    if (!userSetMalloc("MALLOC_ARENA_MAX", "glibc.malloc.arena_max")) out.push_back("MALLOC_ARENA_MAX=1");
    if (!userSetMalloc("MALLOC_TRIM_THRESHOLD_", "glibc.malloc.trim_threshold"))
        out.push_back("MALLOC_TRIM_THRESHOLD_=" + std::to_string(kMallocTrimThreshold));
    if (!std::getenv("OPENBLAS_CORETYPE"))
        if (const auto core = betterOpenBlasCore(); !core.empty()) out.push_back("OPENBLAS_CORETYPE=" + core);
    return out;
}

void applyMallocSettings()
{
    // glibc reads these variables once, at start; setting them again in-process makes them hold
    // even where it did not (a re-execution that failed, a process started by something that
    // filtered the environment). M_MMAP_THRESHOLD also turns off glibc's moving threshold.
    auto apply = [](const char* name, int param) {
        const char* v = std::getenv(name);
        if (!v || !*v) return;
        char* end = nullptr;
        const long value = std::strtol(v, &end, 10);
        if (*end == '\0' && value >= 0 && value <= INT32_MAX) mallopt(param, (int)value);
    };
    apply("MALLOC_MMAP_THRESHOLD_", M_MMAP_THRESHOLD);
    apply("MALLOC_TRIM_THRESHOLD_", M_TRIM_THRESHOLD);
    apply("MALLOC_ARENA_MAX", M_ARENA_MAX);
}

void reexecWithTunedRuntime(char** argv)
{
    const auto settings = missingRuntimeSettings();
    if (!settings.empty()) {
        for (const auto& s : settings) {
            const auto eq = s.find('=');
            setenv(s.substr(0, eq).c_str(), s.substr(eq + 1).c_str(), /*overwrite=*/0);
        }
        execv("/proc/self/exe", argv);
        // No /proc (some sandboxes): the path the program was started by.
        if (argv[0] && std::strchr(argv[0], '/')) execv(argv[0], argv);
        else if (argv[0]) execvp(argv[0], argv);
        // Still here: carry on. The malloc settings below hold anyway; the OpenMP and OpenBLAS
        // ones keep their defaults, and runtimeWasTuned() says so.
        reexecFailed = true;
    }
    applyMallocSettings();
}

bool runtimeWasTuned()
{
    return !reexecFailed && missingRuntimeSettings().empty();
}

}  // namespace carilab::perf
