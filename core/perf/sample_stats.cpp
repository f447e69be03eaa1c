#include "perf/sample_stats.h"

#include <algorithm>
#include <stdexcept>

namespace carilab::perf {

SampleStats summarize(std::vector<double> samples)
{
    if (samples.empty()) throw std::invalid_argument("benchmark: no samples were measured (steps must be at least 1)");
    std::sort(samples.begin(), samples.end());
    const size_t n = samples.size();
    SampleStats s;
    s.median = n % 2 ? samples[n / 2] : 0.5 * (samples[n / 2 - 1] + samples[n / 2]);
    s.min = samples.front();
    s.max = samples.back();
    s.count = static_cast<int>(n);
    return s;
}

nlohmann::json toJson(const SampleStats& s) { return {{"median", s.median}, {"min", s.min}, {"max", s.max}, {"count", s.count}}; }

}  // namespace carilab::perf
