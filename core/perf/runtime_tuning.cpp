#include "perf/runtime_tuning.h"

#include <cstdlib>
#include <cstring>

#include <dlfcn.h>
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

}  // namespace

std::vector<std::string> missingRuntimeSettings()
{
    std::vector<std::string> out;
    if (!std::getenv("OMP_WAIT_POLICY")) out.push_back("OMP_WAIT_POLICY=PASSIVE");
    if (!std::getenv("OPENBLAS_CORETYPE"))
        if (const auto core = betterOpenBlasCore(); !core.empty()) out.push_back("OPENBLAS_CORETYPE=" + core);
    return out;
}

void reexecWithTunedRuntime(char** argv)
{
    const auto settings = missingRuntimeSettings();
    if (settings.empty()) return;
    for (const auto& s : settings) {
        const auto eq = s.find('=');
        if (setenv(s.substr(0, eq).c_str(), s.substr(eq + 1).c_str(), /*overwrite=*/0) != 0) return;
    }
    execv("/proc/self/exe", argv);
    // execv only returns on failure (no /proc): carry on with the defaults.
}

}  // namespace carilab::perf
