#include "perf/machine_info.h"

#include "perf/runtime_settings.h"

#include <torch/torch.h>

#include <sys/resource.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace carilab::perf {

namespace {

std::string cpuModel()
{
    std::ifstream in("/proc/cpuinfo");
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("model name", 0) == 0) {
            const auto colon = line.find(':');
            if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
        }
    }
    return "unknown";
}

// LibTorch's build summary has a "BLAS_INFO=..." entry naming the BLAS it was built against.
std::string blasInUse()
{
    std::istringstream config(at::show_config());
    std::string blas = "unknown";
    for (std::string line; std::getline(config, line);) {
        const auto at = line.find("BLAS_INFO=");
        if (at == std::string::npos) continue;
        blas = line.substr(at + 10);
        const auto end = blas.find_first_of(", ");
        if (end != std::string::npos) blas = blas.substr(0, end);
    }
    // "generic" means the system libblas.so.3, whichever library the alternatives system points
    // at; the mapped file names it.
    std::ifstream maps("/proc/self/maps");
    for (std::string line; std::getline(maps, line);) {
        const auto slash = line.find('/');
        if (slash == std::string::npos || line.find("blas", slash) == std::string::npos) continue;
        std::error_code ec;
        const auto real = std::filesystem::canonical(line.substr(slash), ec);
        blas += " (" + (ec ? line.substr(slash) : real.string()) + ")";
        break;
    }
    // OpenBLAS picks its kernels by CPU model, and falls back to generic ones on CPUs newer
    // than it (app/process_launcher.h): say which it uses.
    if (const auto core = openBlasCoreName(); !core.empty()) blas += ", OpenBLAS kernels " + core;
    return blas + (at::hasMKLDNN() ? ", oneDNN convolutions" : "");
}

}  // namespace

double loadAverage1()
{
    std::ifstream in("/proc/loadavg");
    double load = -1.0;
    in >> load;
    return in ? load : -1.0;
}

double peakRssMiB()
{
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_maxrss) / 1024.0;  // Linux reports kilobytes
}

long long minorPageFaults()
{
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_minflt;
}

MachineInfo describeMachine()
{
    MachineInfo m;
    m.cpuModel = cpuModel();
    m.logicalCores = static_cast<int>(std::thread::hardware_concurrency());
    m.torchThreads = torch::get_num_threads();
    m.interopThreads = torch::get_num_interop_threads();
    m.blas = blasInUse();
    const RuntimeSettings rs = runtimeSettings();
    m.ompWaitPolicy = rs.ompWaitPolicy;
    m.openBlasThreadTimeout = rs.openBlasThreadTimeout;
    m.mallocThresholds = rs.mallocThresholds;
    m.runtimeTuned = rs.tuned;
    m.loadBefore = loadAverage1();
    return m;
}

}  // namespace carilab::perf
