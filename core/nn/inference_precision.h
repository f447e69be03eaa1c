#pragma once
// Arithmetic of inference and training: fp32, or a 16-bit type through LibTorch's autocast
// (convolutions and linear layers in 16 bits with fp32 accumulation, everything numerically
// delicate left in fp32). bf16 runs on CPUs with AMX or AVX-512 BF16, where oneDNN runs bf16
// convolutions several times faster than fp32 (embeddings then agree with fp32 to about 1e-3,
// test_network checks it), and on CUDA; fp16 on CUDA only (training with a loss scaler,
// nn/loss_scaler.h). Training keeps fp32 master weights, losses and optimiser states.
#include <torch/types.h>

#include <string>

namespace carilab::nn {

enum class Precision { Fp32, Bf16, Fp16 };

// "fp32" | "bf16" | "fp16"; throws std::invalid_argument naming the choices.
Precision parsePrecision(const std::string& name);
const char* precisionName(Precision p);

// Whether this CPU computes bf16 natively (AMX tiles or AVX-512 BF16). Without it oneDNN
// emulates bf16, slower than fp32, or LibTorch has no bf16 kernel at all (AVX2-only CPUs).
bool cpuHasNativeBf16();

// Throws std::invalid_argument with what to do instead when `p` cannot run on `device`.
void checkPrecisionSupported(Precision p, const torch::Device& device);

// Autocast to bf16/fp16 on `device` for this thread while alive (nothing for fp32). Nests.
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
