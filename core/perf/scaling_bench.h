#pragma once
// `carilab-cli bench --nproc-per-node N`: the figures of data-parallel scaling, read back from
// the run folders of two real trainings of the same recipe and global batch, one with 1 rank
// and one with N (the app starts them; this reads and compares them).
//
// Whole-job images/s per step comes from metrics.jsonl's "train" records (every rank's images;
// log_every 1), warm-up steps excluded; the backend from config.json's distributed.backend; the
// threads of each rank from its log ("threads: N" in log.txt, logs/rank<k>.txt).
#include "perf/sample_stats.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace carilab::perf {

struct RankRunFigures {
    int worldSize = 1;
    std::string backend = "none";  // gloo | nccl; "none" for one rank
    std::vector<int> threadsPerRank;  // rank 0 first
    SampleStats imagesPerSecond;  // whole job, per measured step
    double wallSeconds = 0.0;  // the training command's wall time (start-up and final evaluation included)
    std::string command;  // as run, for the record
};

// Reads a finished run folder. Throws std::runtime_error naming what is missing (no records
// after the warm-up, no "threads:" line, a config without distributed for a multi-rank run).
RankRunFigures readRankRun(const std::string& runDir, long long warmupSteps);

// Scaling efficiency of an N-rank job against one rank. Ranks sharing one machine's cores
// (CPU): images/s(N) / images/s(1), 1.0 = no cost for splitting the batch over processes. Ranks
// with a device each (CUDA): images/s(N) / (N x images/s(1)), 1.0 = linear scaling.
double scalingEfficiency(const RankRunFigures& one, const RankRunFigures& many, bool devicePerRank);
std::string efficiencyDefinition(bool devicePerRank);

struct ScalingReport {
    std::string backbone, strategy, precision, device, dataset;
    int globalBatch = 0;
    int warmupSteps = 0;
    int measuredSteps = 0;
    int logicalCores = 0;
    double loadBefore = 0.0, loadAfter = 0.0;  // 1-minute load average around both runs
    RankRunFigures oneRank, nRanks;
    bool devicePerRank() const { return device == "cuda"; }
    double efficiency() const { return scalingEfficiency(oneRank, nRanks, devicePerRank()); }
    nlohmann::json toJson() const;
};

nlohmann::json toJson(const RankRunFigures& r);

}  // namespace carilab::perf
