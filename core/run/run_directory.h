#pragma once
// A run is a folder: config.json, metrics.jsonl, checkpoints/, eval.json, log.txt, status.json.
// The GUI, the CLI and the tests read and write runs only through this class.
#include "io/folder_lock.h"
#include "run/metrics_log.h"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace carilab::run {

class RunDirectory {
public:
    // Creates the folder (and parents) and writes config.json. Refuses a folder that already
    // holds a run, so a finished run is never overwritten by accident.
    static RunDirectory create(const std::string& path, const nlohmann::json& config);
    // Opens an existing run; throws with a clear message when path holds no readable run.
    static RunDirectory open(const std::string& path);
    static bool isRun(const std::string& path);
    // Another rank's view of a data-parallel run (docs/distributed.md): it reads the run as
    // rank 0 writes it; log() goes to logs/rank<k>.txt, and every other write is rank 0's, so
    // here it does nothing (the trainer's code stays one path for every rank).
    static RunDirectory openAsReplica(const std::string& path, int rank);
    bool isReplica() const { return replicaRank_ > 0; }

    const std::string& path() const { return path_; }
    std::string configPath() const;
    std::string metricsPath() const;
    std::string checkpointsDir() const;
    std::string evalPath() const;
    std::string logPath() const;
    std::string statusPath() const;
    std::string runIdPath() const;

    // A random id written when the run is created, carried by each of its checkpoints so that
    // one copied in from another run is refused. "" for runs made before ids existed;
    // ensureRunId() gives such a run one (its older checkpoints stay accepted).
    std::string runId() const;
    std::string ensureRunId() const;

    nlohmann::json config() const;
    void writeConfig(const nlohmann::json& config) const;

    void appendMetrics(const MetricsRecord& record) const;
    MetricsFile metrics() const;

    // Deletes "<file>.tmp-<pid>-<n>" files of the run folder whose writer process is gone (a
    // killed run leaves them); a live writer's files are kept.
    void removeStaleTempFiles() const;

    // Timestamped line in log.txt.
    void log(const std::string& line) const;

    nlohmann::json eval() const;  // {} when absent
    void mergeEval(const nlohmann::json& results) const;  // merges keys, atomically

    // {"state": "running"|"paused"|"stopped"|"finished"|"failed", "step": N, "message": "..."}
    nlohmann::json status() const;
    void writeStatus(const std::string& state, long long step, const std::string& message = {}) const;

    // The live process writing this run (train or eval holds the folder's lock), if any. A
    // status.json saying "running" with no writer was left by a killed process.
    std::optional<io::FolderLock::Holder> writer() const;

private:
    explicit RunDirectory(std::string path) : path_(std::move(path)) {}
    std::string path_;
    int replicaRank_ = 0;
};

}  // namespace carilab::run
