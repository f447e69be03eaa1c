#pragma once
// What a benchmark figure depends on besides the code: CPU, threads, BLAS, load, memory.
#include <string>

namespace carilab::perf {

struct MachineInfo {
    std::string cpuModel;
    int logicalCores = 0;
    int torchThreads = 0;
    int interopThreads = 0;
    std::string blas;  // from LibTorch's build configuration
    std::string ompWaitPolicy;  // OMP_WAIT_POLICY as libgomp read it (perf/runtime_settings.h)
    std::string openBlasThreadTimeout;  // OPENBLAS_THREAD_TIMEOUT as OpenBLAS read it (same header)
    bool runtimeTuned = false;  // started with every setting in perf/runtime_settings.h (perf/runtime_settings.h)
    std::string mallocThresholds;  // glibc's mmap and trim thresholds and arena limit as set at start (same header)
    double loadBefore = 0.0;  // 1-minute load average at start and end: timings taken
    double loadAfter = 0.0;  // under load (other processes) are not idle-machine figures
};

MachineInfo describeMachine();
double loadAverage1();  // -1 where /proc/loadavg is unreadable
double peakRssMiB();  // this process's peak resident set (getrusage)
long long minorPageFaults();  // this process's minor page faults so far (getrusage)

}  // namespace carilab::perf
