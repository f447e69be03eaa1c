#pragma once
// One line of facts about a run folder, for run lists (GUI runs view, CLI).
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace carilab::run {

// {"path","name","ok":bool,"error"?,"state","dataset","backbone","strategy","step","total_steps",
//  "last_loss":{...},"last_weight":{...},"best":{"verification_acc","caricature_acc","visual_acc"},
//  "live":bool (a process holds the run's lock),"pid"? (that process),"last_checkpoint"? (its step)}
// A run whose status.json says running/paused but that no process writes any more (killed)
// gets state "interrupted" and a note saying so, with its last checkpoint and how to resume.
// Never throws: a broken run gives ok=false and an error message naming what is wrong.
nlohmann::json summarizeRun(const std::string& dir);

// Every run folder directly under root (sorted by name), including broken ones (a folder with a
// config.json that does not parse). Folders without config.json are not runs and are skipped.
std::vector<std::string> findRuns(const std::string& root);

}  // namespace carilab::run
