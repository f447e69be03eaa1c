#pragma once
// What Figure 3 shows, as numbers: does the top task weight follow the hardest task (the paper's
// dynamic weighting) or starve it (naive dynamic weighting)? Computed from a run's train records.
#include "run/metrics_records.h"

#include <array>
#include <cstddef>
#include <string>
#include <vector>

namespace carilab::run {

struct WeightDynamics {
    long long fromStep = 0;  // first step counted (after the warm-up)
    std::size_t records = 0;  // train records counted
    std::size_t window = 10;  // records in the loss mean compared with the weights
    int hardestTask = -1;  // index into kTaskNames: highest mean loss over the counted records
    double follow = 0.0;  // share of records where the task with the highest windowed mean
        // loss holds the top weight
    double hardestStarved = 0.0;  // share where the hardest task holds the lowest weight
    std::array<double, 3> topShare{};  // per task: share of records where it holds the top weight
    std::array<double, 3> meanWeight{};  // per task, over the counted records
    std::array<double, 3> meanLoss{};  // per task, over the counted records
};

// Counts the records with step >= fromStep. A record's loss is compared as the mean over the
// last `window` records (mini-batch losses are noisy; this is how one reads Figure 3's curves).
// Throws std::invalid_argument when no record with weights and losses remains.
WeightDynamics weightDynamics(const std::vector<StepRecord>& train, long long fromStep, std::size_t window = 10);

// One line a user can read: "hardest task caricature (mean loss 1.23); the highest-loss task
// holds the top weight on 91 % of 550 steps after step 150; the hardest holds the lowest on 0 %".
std::string describe(const WeightDynamics& d);

// Issue #23 as numbers, over the records with step >= fromStep: do the tasks' gradients on the
// shared layers agree (cosines of the "grad" records), and does the weighting unit weigh
// caricatures and photos apart (means of "weight_by_modality")?
struct TaskDiagnostics {
    long long fromStep = 0;
    std::size_t inspections = 0;  // records with a finite "grad"
    std::array<double, 3> meanCos{};  // per task pair (kTaskPairNames)
    std::array<double, 3> negativeShare{};  // per pair: share of inspections with a negative cosine
    std::array<double, 3> meanNorm{};  // per task
    std::size_t bandRecords = 0;  // records with both modalities' per-sample weights
    std::array<double, 3> caricatureWeight{}, photoWeight{};  // mean per-sample weight, per task
    // Mean over those records of half the L1 distance between the two modalities' mean weights
    // (total variation: 0 = the unit weighs them alike, 1 = disjoint).
    double modalitySeparation = 0.0;
};

TaskDiagnostics taskDiagnostics(const std::vector<StepRecord>& train, long long fromStep);
// "" when the records hold neither inspections nor per-sample weights.
std::string describe(const TaskDiagnostics& d);

}  // namespace carilab::run
