#pragma once
// Inference arithmetic: fp32, or bfloat16 through LibTorch's autocast (convolutions and linear
// layers in bf16 with fp32 accumulation, everything numerically delicate left in fp32). On a
// CPU with AMX or AVX-512 BF16, oneDNN runs bf16 convolutions several times faster than fp32;
// embeddings then agree with fp32 to about 1e-3 (test_network checks it). Training is fp32 only.
#include <torch/types.h>

#include <string>

namespace carilab::nn {

enum class Precision { Fp32, Bf16 };

// "fp32" | "bf16"; throws std::invalid_argument naming the choices.
Precision parsePrecision(const std::string& name);
const char* precisionName(Precision p);

// Whether this CPU computes bf16 natively (AMX tiles or AVX-512 BF16). Without it oneDNN
// emulates bf16, slower than fp32, or LibTorch has no bf16 kernel at all (AVX2-only CPUs).
bool cpuHasNativeBf16();

// Throws std::invalid_argument with what to do instead when `p` cannot run on `device`.
void checkPrecisionSupported(Precision p, const torch::Device& device);

// Autocast to bf16 on `device` for this thread while alive (nothing for fp32). Nests.
class PrecisionScope {
public:
    PrecisionScope(Precision p, const torch::Device& device);
    ~PrecisionScope();
    PrecisionScope(const PrecisionScope&) = delete;
    PrecisionScope& operator=(const PrecisionScope&) = delete;

private:
    bool active_ = false;
    bool cuda_ = false;
    bool wasEnabled_ = false;
    at::ScalarType wasDtype_ = at::kFloat;
};

// True inside a bf16 PrecisionScope on the CPU (ConvBn then keeps bf16 copies of its folded
// weights, so autocast does not convert them on every call).
bool cpuAutocastBf16();

}  // namespace carilab::nn
