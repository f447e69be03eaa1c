#pragma once
// TensorFlow.js weight manifests (`*-weights_manifest.json` + `.bin` shards), read into LibTorch
// tensors. A manifest is a list of groups; each group names its shard files (read in order and
// concatenated) and its tensors (laid out back to back in that byte stream, little-endian):
//   [{"paths": ["m.bin"], "weights": [{"name": "conv/filters", "shape": [3,3,3,32],
//      "dtype": "float32", "quantization": {"dtype": "uint8", "scale": 0.01, "min": -1.2}}, ...]}]
// Supported: dtype float32 / int32 / bool; quantisation uint8 and uint16 (value = q*scale + min,
// computed in double then stored in the tensor's dtype, int32 rounded, as TF.js does) and float16
// (float32 only). Anything else, and every size mismatch, throws TfjsWeightsError naming the tensor.
#include "nn/weight_source.h"

#include <nlohmann/json.hpp>
#include <torch/types.h>

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace carilab::pretrained {

class TfjsWeightsError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// One tensor as the manifest describes it.
struct TfjsTensorSpec {
    std::string name;
    std::vector<std::int64_t> shape;
    std::string dtype;  // float32, int32, bool
    std::string quantDtype;  // "" (not quantised), uint8, uint16, float16
    double scale = 0.0, min = 0.0;  // affine quantisation (uint8/uint16)

    std::int64_t numel() const;
    std::int64_t byteLength() const;  // bytes it takes in the shard stream
};

// The decoded tensors of a manifest, in manifest order, looked up by name.
class TfjsWeightMap final : public nn::WeightSource {
public:
    void insert(const std::string& name, torch::Tensor t);  // throws on a duplicate name
    bool contains(const std::string& name) const;
    // Throws TfjsWeightsError naming the tensor when it is absent.
    const torch::Tensor& at(const std::string& name) const;
    // Same, and the shape must be `shape` exactly (the error gives both).
    const torch::Tensor& at(const std::string& name, const std::vector<std::int64_t>& shape) const override;
    const std::vector<std::string>& names() const { return order_; }
    std::size_t size() const { return order_.size(); }
    // Total number of values over all tensors.
    std::int64_t numel() const;

private:
    std::map<std::string, torch::Tensor> tensors_;
    std::vector<std::string> order_;
};

// Parses one group's "weights" array. `where` prefixes messages (e.g. the manifest file).
std::vector<TfjsTensorSpec> parseTensorSpecs(const nlohmann::json& weights, const std::string& where);

// Decodes `specs` from one group's concatenated shard bytes. The bytes must hold exactly the
// tensors: running short names the tensor that does not fit; bytes left over name the last one.
void decodeTensors(const std::vector<TfjsTensorSpec>& specs, const std::vector<std::uint8_t>& bytes, TfjsWeightMap& into, const std::string& where);

using nn::tfFilterToTorch;  // the pretrained networks' loaders convert their filters with it

// Reads a manifest and its shards (paths relative to the manifest's folder).
TfjsWeightMap readTfjsWeights(const std::string& manifestPath);

}  // namespace carilab::pretrained
