#pragma once
// "cpu" | "cuda" | "cuda:N" to a torch::Device, refusing CUDA with a message that says why.
#include <torch/torch.h>

#include <string>

namespace carilab::run {

torch::Device parseDevice(const std::string& name);

}  // namespace carilab::run
