#pragma once
// Checkpoints: everything needed to continue a run exactly where it stopped.
#include "nn/center_loss.h"
#include "nn/multitask_net.h"
#include "nn/weighting_strategy.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace carilab::run {

struct TrainingState {
    nn::MultiTaskNet& net;
    nn::CenterLoss& center;
    torch::optim::Optimizer* optimizer = nullptr;  // null when only evaluating
    nn::WeightingStrategy* strategy = nullptr;  // null when only evaluating
};

// Writes <dir>/step-<NNNNNNNN>.pt atomically (temp file + rename), and beside it its SHA-256 in
// step-<NNNNNNNN>.pt.sha256 (sha256sum's format, written atomically before the rename): model, centres, both
// optimisers (network and strategy), strategy state, the RNG state, the step and `meta`
// (backbone, classes, input size, identities). Then deletes all but the newest `keep`.
// Returns the path written.
std::string saveCheckpoint(const std::string& dir, long long step, const TrainingState& state, const nlohmann::json& meta, int keep);

// (step, path) newest last; ignores temp files and anything not named step-*.pt.
std::vector<std::pair<long long, std::string>> listCheckpoints(const std::string& dir);

// Deletes step-*.pt.tmp-<pid> files left by writers that were killed (their process is gone),
// and checksum sidecars whose checkpoint is gone.
void removeStaleCheckpointTemps(const std::string& dir);

// Reads only the metadata (to check compatibility before building a network).
nlohmann::json readCheckpointMeta(const std::string& path);

// The checksum sidecar of a checkpoint file.
std::string checksumPath(const std::string& checkpoint);

// Loads into the given state after verifying the file against its checksum sidecar (when it
// has one: a mismatch throws, naming the file, so callers skip it like a truncated one) and checking that `expectedMeta`'s backbone, classes and input
// size match the checkpoint's, and that every model and centre tensor's name, shape and dtype
// match the network's (no missing, no extra); throws std::runtime_error naming the file and the
// first mismatching tensor, or saying the file is corrupt/truncated, and then the network is
// untouched. The network is written only after the optimiser and strategy state loaded (their
// failure may leave those two half-loaded; callers then load another checkpoint or stop).
// Restores the RNG state. Returns the step.
long long loadCheckpoint(const std::string& path, const TrainingState& state, const nlohmann::json& expectedMeta);

}  // namespace carilab::run
