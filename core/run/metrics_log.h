#pragma once
// metrics.jsonl: one JSON object per logged step, appended as the run goes. The records' types
// and their JSON: run/metrics_records.h.
#include "run/metrics_records.h"

#include <string>
#include <vector>

namespace carilab::run {

struct MetricsFile {
    std::vector<StepRecord> train;  // "train" lines, in file order
    std::vector<HeldOutRecord> heldOut;  // "eval" lines, in file order
    std::vector<OtherRecord> other;  // any other typed line (checkpoint, note...)
    bool truncatedTail = false;  // the last line was torn (a killed writer) and ignored
    std::vector<std::string> problems;  // "<file>:<line>: reason, skipped" for unreadable lines in the middle
};

// Reads a metrics.jsonl. A missing file reads as empty; a torn last line is tolerated and
// flagged; a corrupt line in the middle (not JSON, or a known key of the wrong type) is
// skipped and reported in problems.
MetricsFile readMetricsFile(const std::string& path);

// Appends one record as one line (the run's only writer of metrics.jsonl).
void appendMetricsRecord(const std::string& path, const MetricsRecord& record);

// Keeps the file's records for steps <= lastStep and drops the rest (used by --resume, so
// the records after the last checkpoint are not duplicated when those steps are redone).
// Lines that readMetricsFile would skip are dropped too. Rewrites atomically.
void truncateMetricsAfter(const std::string& path, long long lastStep);

}  // namespace carilab::run
