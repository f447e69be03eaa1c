#include "nn/weight_bands.h"

#include <stdexcept>
#include <string>

namespace carilab::nn {

namespace {

constexpr std::array<double, 3> kQuantiles = {0.1, 0.5, 0.9};

std::optional<WeightBand> band(const torch::Tensor& rows)
{
    if (rows.size(0) == 0) return std::nullopt;
    const torch::Tensor q = torch::tensor(std::vector<double>(kQuantiles.begin(), kQuantiles.end()), rows.options());
    // One host copy of [4, 3]: the mean, then the three quantiles.
    const torch::Tensor all = torch::cat({rows.mean(0, /*keepdim=*/true), torch::quantile(rows, q, /*dim=*/0)}).to(torch::kCPU).contiguous();
    const auto a = all.accessor<double, 2>();
    WeightBand b;
    b.samples = rows.size(0);
    for (size_t t = 0; t < static_cast<size_t>(kNumTasks); ++t) {
        const auto i = static_cast<std::int64_t>(t);
        b.mean[t] = a[0][i];
        b.q10[t] = a[1][i];
        b.q50[t] = a[2][i];
        b.q90[t] = a[3][i];
    }
    return b;
}

}  // namespace

WeightBands weightBandsByModality(const torch::Tensor& sampleWeights, const torch::Tensor& isCaricature)
{
    if (!sampleWeights.defined() || sampleWeights.dim() != 2 || sampleWeights.size(1) != kNumTasks)
        throw std::invalid_argument("weight bands: per-sample weights must be [N, 3]");
    if (!isCaricature.defined() || isCaricature.numel() != sampleWeights.size(0))
        throw std::invalid_argument("weight bands: " + std::to_string(sampleWeights.size(0)) + " samples but " +
                                    std::to_string(isCaricature.defined() ? isCaricature.numel() : 0) + " modality flags");
    const torch::Tensor w = sampleWeights.detach().to(torch::kDouble);
    const torch::Tensor cari = isCaricature.reshape({-1}).to(w.device(), torch::kBool);
    WeightBands out;
    out.caricature = band(w.index({cari}));
    out.photo = band(w.index({cari.logical_not()}));
    return out;
}

}  // namespace carilab::nn
