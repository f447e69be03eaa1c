#include "perf/scaling_bench.h"

#include "io/atomic_file.h"
#include "run/metrics_log.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace carilab::perf {

namespace {

namespace fs = std::filesystem;

// The thread count a rank's log recorded at start ("<time>  threads: N"); the last one wins.
int loggedThreads(const fs::path& log)
{
    std::ifstream in(log);
    if (!in) throw std::runtime_error(log.string() + ": missing (the run's log, with its thread count)");
    static const std::string kKey = "  threads: ";
    int threads = 0;
    for (std::string line; std::getline(in, line);) {
        const auto at = line.find(kKey);
        if (at != std::string::npos) threads = std::atoi(line.c_str() + at + kKey.size());
    }
    if (threads <= 0) throw std::runtime_error(log.string() + ": no \"threads: N\" line");
    return threads;
}

SampleStats measuredImagesPerSecond(const fs::path& runDir, long long warmupSteps)
{
    const auto metrics = run::readMetricsFile((runDir / "metrics.jsonl").string());
    std::vector<double> samples;
    for (const auto& r : metrics.train)
        if (r.step > warmupSteps && r.imagesPerS && *r.imagesPerS > 0) samples.push_back(*r.imagesPerS);
    if (samples.empty())
        throw std::runtime_error((runDir / "metrics.jsonl").string() + ": no train record with images_per_s after the " +
                                 std::to_string(warmupSteps) + " warm-up steps");
    return summarize(std::move(samples));
}

void readDistributed(const fs::path& runDir, RankRunFigures& r)
{
    const auto config = nlohmann::json::parse(io::readFile((runDir / "config.json").string()), nullptr, false);
    if (!config.is_object()) throw std::runtime_error((runDir / "config.json").string() + ": not a JSON object");
    if (!config.contains("distributed")) return;
    const auto& d = config["distributed"];
    r.worldSize = d.value("world_size", 1);
    r.backend = d.value("backend", std::string("unknown"));
}

}  // namespace

RankRunFigures readRankRun(const std::string& runDir, long long warmupSteps)
{
    const fs::path dir(runDir);
    RankRunFigures r;
    readDistributed(dir, r);
    r.threadsPerRank.push_back(loggedThreads(dir / "log.txt"));
    for (int k = 1; k < r.worldSize; ++k) r.threadsPerRank.push_back(loggedThreads(dir / "logs" / ("rank" + std::to_string(k) + ".txt")));
    r.imagesPerSecond = measuredImagesPerSecond(dir, warmupSteps);
    return r;
}

double scalingEfficiency(const RankRunFigures& one, const RankRunFigures& many, bool devicePerRank)
{
    const double base = one.imagesPerSecond.median * (devicePerRank ? many.worldSize : 1);
    return base > 0 ? many.imagesPerSecond.median / base : 0.0;
}

std::string efficiencyDefinition(bool devicePerRank)
{
    if (devicePerRank)
        return "images/s(N ranks) / (N x images/s(1 rank)): each rank has its own GPU, so 1.0 is linear scaling";
    return "images/s(N ranks) / images/s(1 rank): the ranks share this machine's cores, so 1.0 means splitting the batch "
           "over N processes costs nothing";
}

nlohmann::json toJson(const RankRunFigures& r)
{
    return {{"world_size", r.worldSize},
            {"backend", r.backend},
            {"threads_per_rank", r.threadsPerRank},
            {"images_per_s", perf::toJson(r.imagesPerSecond)},
            {"wall_s", r.wallSeconds},
            {"command", r.command}};
}

nlohmann::json ScalingReport::toJson() const
{
    return {{"kind", "data_parallel_scaling"},
            {"backbone", backbone},
            {"strategy", strategy},
            {"precision", precision},
            {"device", device},
            {"dataset", dataset},
            {"global_batch", globalBatch},
            {"warmup_steps", warmupSteps},
            {"measured_steps", measuredSteps},
            {"machine", {{"logical_cores", logicalCores}, {"load_before", loadBefore}, {"load_after", loadAfter}}},
            {"one_rank", perf::toJson(oneRank)},
            {"n_ranks", perf::toJson(nRanks)},
            {"world_size", nRanks.worldSize},
            {"backend", nRanks.backend},
            {"efficiency", efficiency()},
            {"efficiency_definition", efficiencyDefinition(devicePerRank())}};
}

}  // namespace carilab::perf
