#include "run/device.h"

#include <stdexcept>

namespace carilab::run {

torch::Device parseDevice(const std::string& name)
{
    if (name == "cpu") return torch::kCPU;
    if (name.rfind("cuda", 0) != 0) throw std::runtime_error("unknown device '" + name + "' (cpu, cuda or cuda:N)");
    if (!torch::cuda::is_available())
        throw std::runtime_error("device '" + name +
                                 "' asked for, but this LibTorch build has no CUDA support or sees no GPU "
                                 "(Debian's libtorch is CPU-only). Use --device cpu, or build CariLab against an official "
                                 "CUDA LibTorch through CMAKE_PREFIX_PATH.");
    return torch::Device(name);
}

}  // namespace carilab::run
