#pragma once
// This machine's own dense fp32 throughput through LibTorch, at the current thread count: the
// yardstick a training step's utilisation is quoted against.
#include "perf/sample_stats.h"

#include <cstdint>

namespace carilab::perf {

struct PeakOptions {
    std::int64_t matmulSize = 2048;  // square fp32 matmul side
    // 3x3 convolution, stride 1, padding 1: the shape of the network's mid-size convolutions.
    std::int64_t convBatch = 16, convChannels = 128, convSide = 28;
    int repeats = 7;  // timed repeats after one warm-up
};

struct MachinePeak {
    SampleStats matmulGflops;  // per repeat, GFLOP/s
    SampleStats convGflops;
    double matmulFlops = 0.0;  // FLOPs of one repeat
    double convFlops = 0.0;
};

MachinePeak measureMachinePeak(const PeakOptions& options = {});

}  // namespace carilab::perf
