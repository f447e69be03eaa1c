#include "perf/runtime_settings.h"

#include <cstdlib>
#include <mutex>
#include <optional>

#include <dlfcn.h>

namespace carilab::perf {

namespace {

std::mutex gMutex;
std::optional<RuntimeSettings> gRecorded;

std::string envOr(const char* name, const char* fallback)
{
    const char* v = std::getenv(name);
    return v ? v : fallback;
}

}  // namespace

std::string openBlasCoreName()
{
    // libblas.so.3 is loaded with LibTorch; when it is OpenBLAS it exports this.
    using CoreName = char* (*)();
    const auto f = reinterpret_cast<CoreName>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
    const char* name = f ? f() : nullptr;
    return name ? name : "";
}

RuntimeSettings runtimeSettingsFromEnvironment(bool tuned)
{
    RuntimeSettings s;
    s.ompWaitPolicy = envOr("OMP_WAIT_POLICY", "unset (libgomp spins)");
    s.openBlasThreadTimeout = envOr("OPENBLAS_THREAD_TIMEOUT", "unset (OpenBLAS polls 2^28 cycles)");
    s.mallocThresholds = "mmap " + envOr("MALLOC_MMAP_THRESHOLD_", "glibc default") + ", trim " + envOr("MALLOC_TRIM_THRESHOLD_", "glibc default") +
        ", arenas " + envOr("MALLOC_ARENA_MAX", "glibc default");
    if (const char* t = std::getenv("GLIBC_TUNABLES")) s.mallocThresholds += std::string(", GLIBC_TUNABLES ") + t;
    s.tuned = tuned;
    return s;
}

void recordRuntimeSettings(const RuntimeSettings& settings)
{
    std::lock_guard<std::mutex> lock(gMutex);
    gRecorded = settings;
}

RuntimeSettings runtimeSettings()
{
    std::lock_guard<std::mutex> lock(gMutex);
    return gRecorded ? *gRecorded : runtimeSettingsFromEnvironment(false);
}

}  // namespace carilab::perf
