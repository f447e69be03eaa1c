#pragma once
// Named pretrained tensors, as a network's layers load them. nn only knows this interface; the
// files that provide the tensors (TensorFlow.js manifests, the fetched package) live above it in
// pretrained/, so nn stays LibTorch only.
#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace carilab::nn {

class WeightSource {
public:
    virtual ~WeightSource() = default;
    // The tensor called `name`, in the source's own layout, which must have exactly `shape`;
    // throws (naming the tensor) when it is absent or shaped otherwise.
    virtual const torch::Tensor& at(const std::string& name, const std::vector<std::int64_t>& shape) const = 0;
};

// A TensorFlow(.js) conv filter [kh, kw, in, out] as a torch conv weight [out, in, kh, kw]: the
// layout every face-api network's files use.
inline torch::Tensor tfFilterToTorch(const torch::Tensor& f) { return f.permute({3, 2, 0, 1}).contiguous(); }

}  // namespace carilab::nn
