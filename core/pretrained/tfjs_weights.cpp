#include "pretrained/tfjs_weights.h"

#include <c10/util/Half.h>
#include <torch/torch.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace carilab::pretrained {

namespace {

std::string tensorName(const std::string& s) { return "'" + s + "'"; }

std::string shapeText(const std::vector<std::int64_t>& shape)
{
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
    return s + "]";
}

// Bytes per stored value of a (quantisation) dtype; 0 when unknown.
std::int64_t bytesPerValue(const std::string& dtype)
{
    if (dtype == "float32" || dtype == "int32") return 4;
    if (dtype == "uint16" || dtype == "float16") return 2;
    if (dtype == "uint8" || dtype == "bool") return 1;
    return 0;
}

template <typename T>
T readLe(const std::uint8_t* p)
{
    // TF.js writes the host's typed arrays, little-endian on every platform it runs on; so is ours.
    T v;
    std::memcpy(&v, p, sizeof(T));
    return v;
}

torch::Tensor decodeOne(const TfjsTensorSpec& s, const std::uint8_t* p)
{
    const std::int64_t n = s.numel();
    if (!s.quantDtype.empty()) {
        if (s.quantDtype == "float16") {
            auto t = torch::empty({n}, torch::kFloat32);
            float* out = t.data_ptr<float>();
            for (std::int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(c10::Half(readLe<std::uint16_t>(p + 2 * i), c10::Half::from_bits()));
            return t.reshape(s.shape);
        }
        const bool wide = s.quantDtype == "uint16";
        auto q = [&](std::int64_t i) -> double { return wide ? readLe<std::uint16_t>(p + 2 * i) : p[i]; };
        if (s.dtype == "float32") {
            auto t = torch::empty({n}, torch::kFloat32);
            float* out = t.data_ptr<float>();
            // TF.js computes q*scale+min in double and stores it in a Float32Array: same here.
            for (std::int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(q(i) * s.scale + s.min);
            return t.reshape(s.shape);
        }
        auto t = torch::empty({n}, torch::kInt32);  // int32 (checked when parsed)
        std::int32_t* out = t.data_ptr<std::int32_t>();
        for (std::int64_t i = 0; i < n; ++i) out[i] = static_cast<std::int32_t>(std::floor(q(i) * s.scale + s.min + 0.5));  // Math.round
        return t.reshape(s.shape);
    }
    if (s.dtype == "float32") {
        auto t = torch::empty({n}, torch::kFloat32);
        std::memcpy(t.data_ptr<float>(), p, static_cast<size_t>(n) * 4);
        return t.reshape(s.shape);
    }
    if (s.dtype == "int32") {
        auto t = torch::empty({n}, torch::kInt32);
        std::memcpy(t.data_ptr<std::int32_t>(), p, static_cast<size_t>(n) * 4);
        return t.reshape(s.shape);
    }
    auto t = torch::empty({n}, torch::kBool);  // bool
    bool* out = t.data_ptr<bool>();
    for (std::int64_t i = 0; i < n; ++i) out[i] = p[i] != 0;
    return t.reshape(s.shape);
}

}  // namespace

std::int64_t TfjsTensorSpec::numel() const
{
    std::int64_t n = 1;
    for (auto d : shape) n *= d;
    return n;
}

std::int64_t TfjsTensorSpec::byteLength() const { return numel() * bytesPerValue(quantDtype.empty() ? dtype : quantDtype); }

void TfjsWeightMap::insert(const std::string& name, torch::Tensor t)
{
    if (tensors_.count(name)) throw TfjsWeightsError("tensor " + tensorName(name) + " appears twice in the manifest");
    tensors_.emplace(name, std::move(t));
    order_.push_back(name);
}

bool TfjsWeightMap::contains(const std::string& name) const { return tensors_.count(name) != 0; }

const torch::Tensor& TfjsWeightMap::at(const std::string& name) const
{
    const auto it = tensors_.find(name);
    if (it == tensors_.end()) throw TfjsWeightsError("tensor " + tensorName(name) + " is missing from the weights");
    return it->second;
}

const torch::Tensor& TfjsWeightMap::at(const std::string& name, const std::vector<std::int64_t>& shape) const
{
    const auto& t = at(name);
    if (t.sizes().vec() != shape)
        throw TfjsWeightsError("tensor " + tensorName(name) + " has shape " + shapeText(t.sizes().vec()) + ", expected " + shapeText(shape));
    return t;
}

std::int64_t TfjsWeightMap::numel() const
{
    std::int64_t n = 0;
    for (const auto& [name, t] : tensors_) n += t.numel();
    return n;
}

std::vector<TfjsTensorSpec> parseTensorSpecs(const nlohmann::json& weights, const std::string& where)
{
    if (!weights.is_array()) throw TfjsWeightsError(where + ": \"weights\" is not an array");
    std::vector<TfjsTensorSpec> specs;
    for (size_t i = 0; i < weights.size(); ++i) {
        const auto& w = weights[i];
        TfjsTensorSpec s;
        if (!w.is_object() || !w.contains("name") || !w["name"].is_string())
            throw TfjsWeightsError(where + ": weight #" + std::to_string(i) + " has no name");
        s.name = w["name"].get<std::string>();
        const std::string who = where + ": tensor " + tensorName(s.name);
        if (!w.contains("shape") || !w["shape"].is_array()) throw TfjsWeightsError(who + " has no shape");
        for (const auto& d : w["shape"]) {
            if (!d.is_number_integer() || d.get<std::int64_t>() < 0) throw TfjsWeightsError(who + " has a bad shape " + w["shape"].dump());
            s.shape.push_back(d.get<std::int64_t>());
        }
        s.dtype = w.value("dtype", std::string("float32"));
        if (s.dtype != "float32" && s.dtype != "int32" && s.dtype != "bool")
            throw TfjsWeightsError(who + " has unsupported dtype '" + s.dtype + "' (supported: float32, int32, bool)");
        if (w.contains("quantization")) {
            const auto& q = w["quantization"];
            if (!q.is_object() || !q.contains("dtype") || !q["dtype"].is_string())
                throw TfjsWeightsError(who + " has a quantization without a dtype");
            s.quantDtype = q["dtype"].get<std::string>();
            if (s.quantDtype == "uint8" || s.quantDtype == "uint16") {
                if (!q.contains("scale") || !q["scale"].is_number() || !q.contains("min") || !q["min"].is_number())
                    throw TfjsWeightsError(who + " is quantised to " + s.quantDtype + " without numeric scale and min");
                if (s.dtype == "bool") throw TfjsWeightsError(who + ": bool tensors cannot be quantised");
                s.scale = q["scale"].get<double>();
                s.min = q["min"].get<double>();
            } else if (s.quantDtype == "float16") {
                if (s.dtype != "float32") throw TfjsWeightsError(who + ": float16 quantisation needs dtype float32, not " + s.dtype);
            } else {
                throw TfjsWeightsError(who + " has unknown quantization dtype '" + s.quantDtype + "' (supported: uint8, uint16, float16)");
            }
        }
        specs.push_back(std::move(s));
    }
    return specs;
}

void decodeTensors(const std::vector<TfjsTensorSpec>& specs, const std::vector<std::uint8_t>& bytes, TfjsWeightMap& into, const std::string& where)
{
    std::int64_t offset = 0;
    const auto total = static_cast<std::int64_t>(bytes.size());
    for (const auto& s : specs) {
        const std::int64_t len = s.byteLength();
        if (offset + len > total)
            throw TfjsWeightsError(where + ": tensor " + tensorName(s.name) + " " + shapeText(s.shape) + " needs " + std::to_string(len) +
                                   " bytes at offset " + std::to_string(offset) + ", but the shard data ends at " + std::to_string(total));
        into.insert(s.name, decodeOne(s, bytes.data() + offset));
        offset += len;
    }
    if (offset != total) {
        const std::string last = specs.empty() ? std::string("(no tensors)") : "after tensor " + tensorName(specs.back().name);
        throw TfjsWeightsError(where + ": " + std::to_string(total - offset) + " bytes left over " + last +
                               " (the manifest does not describe these shards)");
    }
}

TfjsWeightMap readTfjsWeights(const std::string& manifestPath)
{
    namespace fs = std::filesystem;
    std::ifstream in(manifestPath, std::ios::binary);
    if (!in) throw TfjsWeightsError(manifestPath + ": cannot open the weights manifest");
    nlohmann::json manifest;
    try {
        manifest = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
        throw TfjsWeightsError(manifestPath + ": not valid JSON (" + e.what() + ")");
    }
    if (!manifest.is_array()) throw TfjsWeightsError(manifestPath + ": a weights manifest is a JSON array of groups");
    const fs::path dir = fs::path(manifestPath).parent_path();
    TfjsWeightMap map;
    for (size_t g = 0; g < manifest.size(); ++g) {
        const std::string where = manifestPath + " group " + std::to_string(g);
        const auto& group = manifest[g];
        if (!group.is_object() || !group.contains("paths") || !group["paths"].is_array() || !group.contains("weights"))
            throw TfjsWeightsError(where + ": a group needs \"paths\" and \"weights\"");
        const auto specs = parseTensorSpecs(group["weights"], where);
        std::vector<std::uint8_t> bytes;
        for (const auto& p : group["paths"]) {
            if (!p.is_string()) throw TfjsWeightsError(where + ": a shard path is not a string");
            const fs::path shard = dir / p.get<std::string>();
            std::ifstream s(shard, std::ios::binary);
            if (!s) {
                // Name the first tensor whose bytes do not fit in the shards read so far.
                std::string needs = "no tensor";
                std::int64_t end = 0;
                for (const auto& t : specs)
                    if ((end += t.byteLength()) > static_cast<std::int64_t>(bytes.size())) {
                        needs = "tensor " + tensorName(t.name);
                        break;
                    }
                throw TfjsWeightsError(where + ": shard " + shard.string() + " is missing or unreadable (" + needs + " is stored there)");
            }
            s.seekg(0, std::ios::end);
            const auto size = static_cast<size_t>(s.tellg());
            s.seekg(0);
            const size_t at = bytes.size();
            bytes.resize(at + size);
            if (!s.read(reinterpret_cast<char*>(bytes.data() + at), static_cast<std::streamsize>(size)))
                throw TfjsWeightsError(where + ": shard " + shard.string() + " could not be read");
        }
        decodeTensors(specs, bytes, map, where);
    }
    return map;
}

}  // namespace carilab::pretrained
