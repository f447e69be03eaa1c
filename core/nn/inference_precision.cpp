#include "nn/inference_precision.h"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include <stdexcept>

namespace carilab::nn {

namespace {

// LibTorch 2.4 replaced the per-device autocast calls (is_enabled, is_cpu_enabled,
// get_autocast_gpu_dtype, ...) by ones taking the device type, and deprecated the old ones
// (a compiler warning and a runtime warning on every call). Debian's 1.13 has only the old.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
bool autocastEnabled(c10::DeviceType d) { return at::autocast::is_autocast_enabled(d); }
void setAutocastEnabled(c10::DeviceType d, bool on) { at::autocast::set_autocast_enabled(d, on); }
at::ScalarType autocastDtype(c10::DeviceType d) { return at::autocast::get_autocast_dtype(d); }
void setAutocastDtype(c10::DeviceType d, at::ScalarType t) { at::autocast::set_autocast_dtype(d, t); }
#else
bool autocastEnabled(c10::DeviceType d) { return d == c10::DeviceType::CUDA ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled(); }
void setAutocastEnabled(c10::DeviceType d, bool on)
{
    if (d == c10::DeviceType::CUDA)
        at::autocast::set_enabled(on);
    else
        at::autocast::set_cpu_enabled(on);
}
at::ScalarType autocastDtype(c10::DeviceType d)
{
    return d == c10::DeviceType::CUDA ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
}
void setAutocastDtype(c10::DeviceType d, at::ScalarType t)
{
    if (d == c10::DeviceType::CUDA)
        at::autocast::set_autocast_gpu_dtype(t);
    else
        at::autocast::set_autocast_cpu_dtype(t);
}
#endif

}  // namespace

Precision parsePrecision(const std::string& name)
{
    if (name == "fp32") return Precision::Fp32;
    if (name == "bf16") return Precision::Bf16;
    if (name == "fp16") return Precision::Fp16;
    throw std::invalid_argument("precision \"" + name + "\": expected fp32, bf16 or fp16 (fp16: CUDA only)");
}

const char* precisionName(Precision p)
{
    switch (p) {
    case Precision::Bf16: return "bf16";
    case Precision::Fp16: return "fp16";
    default: return "fp32";
    }
}

bool cpuHasNativeBf16()
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    // Every CPU with AMX-BF16 also has AVX-512 BF16, so one cpuid flag answers both.
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512bf16");
#else
    return false;
#endif
}

void checkPrecisionSupported(Precision p, const torch::Device& device)
{
    if (p == Precision::Fp32 || device.is_cuda()) return;
    if (p == Precision::Fp16)
        throw std::invalid_argument("precision fp16 runs on CUDA only (CPUs have no fast fp16 convolutions); on this CPU use "
                                    "--precision bf16 (with AMX or AVX-512 BF16) or fp32");
    if (!cpuHasNativeBf16())
        throw std::invalid_argument("precision bf16 needs a CPU with AMX or AVX-512 BF16 (this one has neither, so bf16 would be "
                                    "emulated and slower than fp32); use --precision fp32");
}

PrecisionScope::PrecisionScope(Precision p, const torch::Device& device)
{
    if (p == Precision::Fp32) return;
    if (p == Precision::Fp16 && !device.is_cuda()) checkPrecisionSupported(p, device);  // throws: no fp16 autocast on CPU
    active_ = true;
    cuda_ = device.is_cuda();
    const auto type = cuda_ ? c10::DeviceType::CUDA : c10::DeviceType::CPU;
    wasEnabled_ = autocastEnabled(type);
    wasDtype_ = autocastDtype(type);
    setAutocastDtype(type, p == Precision::Fp16 ? at::kHalf : at::kBFloat16);
    setAutocastEnabled(type, true);
    at::autocast::increment_nesting();
}

PrecisionScope::~PrecisionScope()
{
    if (!active_) return;
    // Autocast caches the casts of weights for the outermost scope; drop them when it ends.
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    const auto type = cuda_ ? c10::DeviceType::CUDA : c10::DeviceType::CPU;
    setAutocastEnabled(type, wasEnabled_);
    setAutocastDtype(type, wasDtype_);
}

bool cpuAutocastBf16() { return autocastEnabled(c10::DeviceType::CPU) && autocastDtype(c10::DeviceType::CPU) == at::kBFloat16; }

}  // namespace carilab::nn
