#pragma once
// What a training step does differently as one rank of a data-parallel job (docs/distributed.md):
// agree on stopping and on the global batch's make-up, turn this rank's losses into its share
// of the global batch's means, keep the ranks' models identical, and log global figures.
#include "data/batch_loader.h"
#include "nn/replicas.h"
#include "nn/task_losses.h"
#include "run/training_model.h"

#include <cstdint>
#include <string>

namespace carilab::run {

struct StepOutcome;

// The global batch of a step, as every rank agrees on it before the forward pass.
struct GlobalBatch {
    bool stop = false;  // some rank was asked to stop: all stop before this step
    std::int64_t caricatures = 0, photos = 0;
};

// One small all-reduce: whether any rank stops, and the global batch's modality counts.
GlobalBatch exchangeStepStart(nn::Replicas& replicas, bool stopRequested, const data::Batch& shard);

// Rescales each task's loss (a mean over this shard's rows) to this rank's share of the global
// mean, so the mean over ranks of every loss -- and of its gradient -- is the global batch's,
// whatever the shards' photo/caricature mix.
void toGlobalShares(nn::TaskLosses& losses, const GlobalBatch& global, int ranks, const nn::TaskLossOptions& options);

// The logged figures of a step made global (means over ranks; counts of the global batch).
void averageForLog(nn::Replicas& replicas, StepOutcome& o, const GlobalBatch& global);

// Rank 0's parameters, buffers, centres and strategy parameters into every rank (once, after
// the model is built or restored).
void broadcastModel(nn::Replicas& replicas, TrainingModel& model);
// Rank 0's batch-norm statistics into every rank (each step without sync-BN, as PyTorch DDP).
void broadcastBuffers(nn::Replicas& replicas, nn::MultiTaskNet& net);

// A bit-exact fingerprint of what must be identical on every rank: the network's parameters
// and buffers, the centres, the strategy's parameters and both optimisers' moments (FNV-1a).
std::uint64_t replicaFingerprint(TrainingModel& model);
std::string fingerprintText(std::uint64_t fingerprint);  // 16 hex digits
// Throws, naming the step and the first rank that differs, unless every rank's fingerprint
// equals rank 0's.
void checkReplicasAgree(nn::Replicas& replicas, std::uint64_t fingerprint, long long step);

}  // namespace carilab::run
