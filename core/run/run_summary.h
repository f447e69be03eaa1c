#pragma once
// One line of facts about a run folder, for run lists (GUI runs view, CLI).
#include "run/metrics_records.h"

#include <optional>
#include <string>
#include <vector>

namespace carilab::run {

// The best of each held-out figure over a run's evaluations (each maybe from another step).
struct BestHeldOut {
    std::optional<double> verificationAcc, verificationAuc, caricatureAcc, visualAcc;
};

struct RunSummary {
    std::string path, name;
    bool ok = true;
    std::string error;  // why the run cannot be read (ok false; state is then "broken")
    // status.json's state, "interrupted" (no process writes the run any more), or "unknown"
    std::string state;
    std::string note;  // for a user: why the state is what it is, and what to do
    std::string dataset, backbone, strategy;  // as config.json names them
    long long step = 0;  // of the last training record
    long long totalSteps = 0;  // config.json's "steps" (0: counted in epochs)
    int ranks = 1;  // data-parallel processes that train it (config.json's distributed.world_size)
    std::optional<TaskValues> lastLoss, lastWeight;
    std::optional<double> imagesPerS;
    BestHeldOut best;
    bool live = false;  // a process holds the run's lock
    std::optional<long> pid;  // that process
    std::optional<long long> lastCheckpoint;  // its step
};

// A run whose status.json says running/paused but that no process writes any more (killed)
// gets state "interrupted" and a note saying so, with its last checkpoint and how to resume.
// Never throws: a broken run gives ok=false and an error message naming what is wrong.
RunSummary summarizeRun(const std::string& dir);

// What a follower of a live run polls: status.json's state and message, with summarizeRun's
// liveness check (running, paused or stopping with no process holding the lock: "interrupted"),
// without reading metrics.jsonl. Throws when dir is not a run.
struct RunStatus {
    std::string state, message;
};
RunStatus currentRunStatus(const std::string& dir);

// Every run folder directly under root (sorted by name), including broken ones (a folder with a
// config.json that does not parse). Folders without config.json are not runs and are skipped.
std::vector<std::string> findRuns(const std::string& root);

}  // namespace carilab::run
