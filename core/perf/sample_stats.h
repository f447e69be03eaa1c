#pragma once
// Median and spread of repeated timings: benchmarks report these, never a single sample.
#include <nlohmann/json.hpp>

#include <vector>

namespace carilab::perf {

struct SampleStats {
    double median = 0.0;
    double min = 0.0;
    double max = 0.0;
    int count = 0;
};

// Throws std::invalid_argument on an empty sample (a benchmark that measured nothing).
SampleStats summarize(std::vector<double> samples);
nlohmann::json toJson(const SampleStats& s);

}  // namespace carilab::perf
