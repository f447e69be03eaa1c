// libFuzzer target: metrics.jsonl as a killed, edited or corrupted run may leave it.
// Contract (run/metrics_log.h): reading never throws for a readable file (a bad line is a
// problem, a torn last line a flag), and truncating for --resume leaves a clean file that holds
// no record past the kept step.
#include "fuzz_support.h"

#include "run/metrics_log.h"

#include <cstring>

using namespace carilab::run;
using carilab::fuzz::writeScratchFile;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size)
{
    // The first 8 bytes (when there are that many) are the step --resume truncates after.
    long long lastStep = 5;
    if (size >= sizeof lastStep) {
        std::memcpy(&lastStep, data, sizeof lastStep);
        data += sizeof lastStep;
        size -= sizeof lastStep;
    }
    const std::string file = writeScratchFile("run/metrics.jsonl", data, size);
    const MetricsFile m = readMetricsFile(file);
    for (const auto* records : {&m.train, &m.eval, &m.other})
        for (const auto& r : *records) FUZZ_REQUIRE(r.is_object());

    truncateMetricsAfter(file, lastStep);
    const MetricsFile kept = readMetricsFile(file);
    FUZZ_REQUIRE(kept.problems.empty());
    FUZZ_REQUIRE(!kept.truncatedTail);
    FUZZ_REQUIRE(kept.train.size() + kept.eval.size() + kept.other.size() <= m.train.size() + m.eval.size() + m.other.size());
    for (const auto* records : {&kept.train, &kept.eval, &kept.other})
        for (const auto& r : *records)
            if (r.contains("step") && r["step"].is_number_integer()) FUZZ_REQUIRE(r["step"].get<long long>() <= lastStep);
    return 0;
}
