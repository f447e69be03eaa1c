#pragma once
// metrics.jsonl: one JSON object per logged step, appended as the run goes.
#include <nlohmann/json.hpp>

#include <array>
#include <map>
#include <string>
#include <vector>

namespace carilab::run {

// Task names exactly as they appear in metrics.jsonl and everywhere else.
constexpr std::array<const char*, 3> kTaskNames = {"verification", "caricature", "visual"};

struct MetricsFile {
    std::vector<nlohmann::json> train;  // records with "loss"/"weight" (type "train")
    std::vector<nlohmann::json> eval;  // records of type "eval"
    std::vector<nlohmann::json> other;  // any other typed event (checkpoint, warning...)
    bool truncatedTail = false;  // the last line was torn (a killed writer) and ignored
    std::vector<std::string> problems;  // "line N: reason" for unparseable lines in the middle
};

// Reads a metrics.jsonl. A missing file reads as empty; a torn last line is tolerated and
// flagged; a corrupt line in the middle is skipped and reported in problems.
MetricsFile readMetricsFile(const std::string& path);

// Keeps the file's records for steps <= lastStep and drops the rest (used by --resume, so
// the records after the last checkpoint are not duplicated when those steps are redone).
// Lines that readMetricsFile would skip are dropped too. Rewrites atomically.
void truncateMetricsAfter(const std::string& path, long long lastStep);

}  // namespace carilab::run
