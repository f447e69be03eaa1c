#include "run/device.h"

#include <stdexcept>

namespace carilab::run {

torch::Device torchDevice(const DeviceChoice& d)
{
    if (d.kind == DeviceKind::Cpu) return torch::kCPU;
    if (!torch::cuda::is_available())
        throw std::runtime_error("device '" + deviceName(d) +
                                 "' asked for, but this LibTorch build has no CUDA support or sees no GPU "
                                 "(Debian's libtorch is CPU-only). Use --device cpu, or build CariLab against an official "
                                 "CUDA LibTorch through CMAKE_PREFIX_PATH.");
    return torch::Device(torch::kCUDA, static_cast<torch::DeviceIndex>(d.index));
}

torch::Device parseDevice(const std::string& name)
{
    DeviceChoice d;
    try {
        d = parseDeviceChoice(name);
    } catch (const std::invalid_argument& e) {
        throw std::runtime_error(e.what());  // as before: a bad override is a runtime error
    }
    return torchDevice(d);
}

}  // namespace carilab::run
