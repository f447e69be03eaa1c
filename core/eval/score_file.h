#pragma once
// External verification scores: a CSV of "score,label" rows (label 1/0, true/false, same/diff),
// optional header, optional extra columns after the two. So any method's output can be
// evaluated by CariLab's metric definitions.
#include "data/protocol_files.h"
#include "eval/verification_metrics.h"

#include <string>
#include <vector>

namespace carilab::eval {

struct ScoreFile {
    std::vector<Pair> pairs;
    std::vector<data::ProtocolIssue> issues;  // skipped rows, with file and line
};

// Throws when the file cannot be opened or holds no usable row.
ScoreFile readScoreFile(const std::string& path);

// Writes score,label rows (plus a fold column) atomically.
void writeScoreFile(const std::string& path, const std::vector<Pair>& pairs, const std::vector<int>& folds = {});

}  // namespace carilab::eval
