#include "perf/machine_peak.h"

#include <torch/torch.h>

#include <chrono>

namespace carilab::perf {

namespace {

template <typename F>
SampleStats gflopsOf(F&& run, double flops, int repeats)
{
    run();  // warm-up: first-touch allocation, BLAS/oneDNN kernel selection
    std::vector<double> rates;
    for (int i = 0; i < repeats; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        run();
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        rates.push_back(flops / std::max(s, 1e-9) / 1e9);
    }
    return summarize(rates);
}

}  // namespace

MachinePeak measureMachinePeak(const PeakOptions& o)
{
    torch::NoGradGuard ng;
    MachinePeak p;
    const std::int64_t n = o.matmulSize;
    const auto a = torch::randn({n, n}), b = torch::randn({n, n});
    auto c = torch::empty({n, n});
    p.matmulFlops = 2.0 * static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(n);
    p.matmulGflops = gflopsOf([&] { torch::mm_out(c, a, b); }, p.matmulFlops, o.repeats);

    const auto x = torch::randn({o.convBatch, o.convChannels, o.convSide, o.convSide});
    const auto w = torch::randn({o.convChannels, o.convChannels, 3, 3});
    p.convFlops = 2.0 * static_cast<double>(o.convBatch * o.convChannels * o.convSide * o.convSide) * static_cast<double>(o.convChannels * 9);
    torch::Tensor y;
    p.convGflops = gflopsOf([&] { y = torch::conv2d(x, w, {}, /*stride=*/1, /*padding=*/1); }, p.convFlops, o.repeats);
    return p;
}

}  // namespace carilab::perf
