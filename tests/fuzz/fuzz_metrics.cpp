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
    for (const auto& r : m.other) FUZZ_REQUIRE(r.json.is_object());
    // Every record the one reader returns, written by the one writer, reads back as the same
    // line. Lines, not JSON values: a figure not measured is NaN, written as null, and NaN never
    // equals itself.
    const auto line = [](const auto& r) { return toJson(r).dump(); };
    const auto reread = [](const std::string& l) { return metricsRecordFromJson(nlohmann::json::parse(l)); };
    for (const auto& r : m.train) FUZZ_REQUIRE(line(std::get<StepRecord>(reread(line(r)))) == line(r));
    for (const auto& r : m.heldOut) FUZZ_REQUIRE(line(std::get<HeldOutRecord>(reread(line(r)))) == line(r));

    truncateMetricsAfter(file, lastStep);
    const MetricsFile kept = readMetricsFile(file);
    FUZZ_REQUIRE(kept.problems.empty());
    FUZZ_REQUIRE(!kept.truncatedTail);
    FUZZ_REQUIRE(kept.train.size() + kept.heldOut.size() + kept.other.size() <= m.train.size() + m.heldOut.size() + m.other.size());
    for (const auto& r : kept.train) FUZZ_REQUIRE(r.step <= lastStep);
    for (const auto& r : kept.heldOut) FUZZ_REQUIRE(r.step <= lastStep);
    for (const auto& r : kept.other) FUZZ_REQUIRE(!r.step || *r.step <= lastStep);
    return 0;
}
