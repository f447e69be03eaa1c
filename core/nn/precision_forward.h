#pragma once
// The training forward in a precision: autocast for bf16/fp16, its outputs back in fp32 for
// everything after it (losses, the weighting unit's softmax, the centres), so only the
// network's convolutions and linear layers run in 16 bits. The trainer, the bench and the GPU
// check (tests/device) all train through it.
#include "nn/inference_precision.h"
#include "nn/multitask_net.h"

#include <torch/torch.h>

namespace carilab::nn {

MultiTaskOutput forwardInPrecision(Precision precision, MultiTaskNet& net, const torch::Tensor& images);

}  // namespace carilab::nn
