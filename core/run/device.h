#pragma once
// A device choice to a torch::Device, refusing CUDA with a message that says why.
#include "run/train_config.h"

#include <torch/torch.h>

#include <string>

namespace carilab::run {

torch::Device torchDevice(const DeviceChoice& d);
// "cpu" | "cuda" | "cuda:N" (a command line's override); throws std::runtime_error.
torch::Device parseDevice(const std::string& name);

}  // namespace carilab::run
