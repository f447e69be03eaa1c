#pragma once
// The numeric-runtime and allocator settings this process started with, as its launcher
// (app/process_launcher.h) recorded them. The launcher takes the variables it added out of the
// environment again, so that child processes do not inherit them: a report of the settings
// reads this record, not getenv. Why each setting: docs/performance.md.
#include <string>

namespace carilab::perf {

inline constexpr long kMallocMmapThreshold = 32L << 20;
inline constexpr long kMallocTrimThreshold = 256L << 20;

struct RuntimeSettings {
    std::string ompWaitPolicy;  // OMP_WAIT_POLICY as libgomp read it at load
    std::string openBlasThreadTimeout;  // OPENBLAS_THREAD_TIMEOUT as OpenBLAS read it at load
    std::string mallocThresholds;  // glibc's mmap and trim thresholds and arena limit
    bool tuned = false;  // started with every setting the launcher wants
};

// The environment's view, for the launcher to record before it cleans up.
RuntimeSettings runtimeSettingsFromEnvironment(bool tuned);
void recordRuntimeSettings(const RuntimeSettings& settings);
// The recorded settings; the environment's (untuned) when no launcher recorded any.
RuntimeSettings runtimeSettings();

// The core name the loaded OpenBLAS uses ("SkylakeX", "Prescott", ...); empty when the BLAS in
// use is not OpenBLAS.
std::string openBlasCoreName();

}  // namespace carilab::perf
