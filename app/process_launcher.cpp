#include "process_launcher.h"

#include "perf/runtime_settings.h"

#include <climits>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include <malloc.h>
#include <unistd.h>

namespace carilab::app {

namespace {

// The OpenBLAS kernel family for this CPU when OpenBLAS fell back to its generic one; empty
// when it did not (or the CPU has nothing better).
std::string betterOpenBlasCore()
{
    if (perf::openBlasCoreName() != "Prescott") return "";
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")) return "SkylakeX";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
    return "";
}

// True when the user chose this glibc malloc setting, by its environment alias or in
// GLIBC_TUNABLES (which glibc reads first).
bool userSetMalloc(const char* alias, const char* tunable)
{
    if (std::getenv(alias)) return true;
    const char* tunables = std::getenv("GLIBC_TUNABLES");
    return tunables && std::strstr(tunables, tunable);
}

// Sets the missing settings, names them in the marker, re-executes. Returns only on failure.
void reexecWith(const std::vector<std::string>& settings, char** argv)
{
    std::string names;
    for (const auto& s : settings) {
        const auto eq = s.find('=');
        setenv(s.substr(0, eq).c_str(), s.substr(eq + 1).c_str(), /*overwrite=*/0);
        names += (names.empty() ? "" : ",") + s.substr(0, eq);
    }
    setenv(kAddedMarker, names.c_str(), 1);
    if (const std::string self = ownExecutable(); !self.empty()) execv(self.c_str(), argv);
    // No /proc (some sandboxes): the path the program was started by.
    if (argv[0] && std::strchr(argv[0], '/'))
        execv(argv[0], argv);
    else if (argv[0])
        execvp(argv[0], argv);
}

}  // namespace

std::vector<std::string> missingRuntimeSettings()
{
    std::vector<std::string> out;
    if (!std::getenv("OMP_WAIT_POLICY")) out.push_back("OMP_WAIT_POLICY=PASSIVE");
    if (!std::getenv("OPENBLAS_THREAD_TIMEOUT")) out.push_back("OPENBLAS_THREAD_TIMEOUT=4");
    if (!userSetMalloc("MALLOC_MMAP_THRESHOLD_", "glibc.malloc.mmap_threshold"))
        out.push_back("MALLOC_MMAP_THRESHOLD_=" + std::to_string(perf::kMallocMmapThreshold));
    if (!userSetMalloc("MALLOC_ARENA_MAX", "glibc.malloc.arena_max")) out.push_back("MALLOC_ARENA_MAX=1");
    if (!userSetMalloc("MALLOC_TRIM_THRESHOLD_", "glibc.malloc.trim_threshold"))
        out.push_back("MALLOC_TRIM_THRESHOLD_=" + std::to_string(perf::kMallocTrimThreshold));
    if (!std::getenv("OPENBLAS_CORETYPE"))
        if (const auto core = betterOpenBlasCore(); !core.empty()) out.push_back("OPENBLAS_CORETYPE=" + core);
    return out;
}

void applyMallocSettings()
{
    auto apply = [](const char* name, int param) {
        const char* v = std::getenv(name);
        if (!v || !*v) return;
        char* end = nullptr;
        const long value = std::strtol(v, &end, 10);
        if (*end == '\0' && value >= 0 && value <= INT32_MAX) mallopt(param, static_cast<int>(value));
    };
    apply("MALLOC_MMAP_THRESHOLD_", M_MMAP_THRESHOLD);
    apply("MALLOC_TRIM_THRESHOLD_", M_TRIM_THRESHOLD);
    apply("MALLOC_ARENA_MAX", M_ARENA_MAX);
}

void forgetAddedSettings()
{
    const char* marker = std::getenv(kAddedMarker);
    if (!marker) return;
    std::istringstream names{std::string(marker)};
    for (std::string name; std::getline(names, name, ',');)
        if (!name.empty()) unsetenv(name.c_str());
    unsetenv(kAddedMarker);
}

void launchWithTunedRuntime(char** argv)
{
    const char* optOut = std::getenv(kOptOut);
    const bool tune = !(optOut && *optOut && std::strcmp(optOut, "0") != 0);
    bool reexecFailed = false;
    // The marker says this process is the re-executed one: never re-execute twice.
    if (tune && !std::getenv(kAddedMarker)) {
        if (const auto missing = missingRuntimeSettings(); !missing.empty()) {
            reexecWith(missing, argv);
            reexecFailed = true;  // still here: the OpenMP and OpenBLAS settings keep their defaults
        }
    }
    applyMallocSettings();
    perf::recordRuntimeSettings(perf::runtimeSettingsFromEnvironment(!reexecFailed && missingRuntimeSettings().empty()));
    forgetAddedSettings();
}

std::string ownExecutable()
{
    char buf[PATH_MAX];
    const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

}  // namespace carilab::app
