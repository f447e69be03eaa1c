#pragma once
// Where CariLab may write. A run folder or an output file placed on top of something else
// (a dataset, another run, the home folder) mixes CariLab's files with the user's, and a later
// tool that replaces that folder (synth --out, a dataset copy) deletes the run with it.
#include <string>
#include <vector>

namespace carilab::run {

// Refuses, with std::runtime_error saying why and what to do, a new run's folder that is the
// file system root or the home folder, a non-empty folder that holds no run, or a folder inside
// `dataset` or holding it. A folder that already holds a run passes (RunDirectory::create
// refuses it with its own advice).
void checkNewRunFolder(const std::string& runDir, const std::string& dataset);

// Refuses an output file path that is a folder, lacks one of `extensions` (".csv", lower case;
// matched case-insensitively), lies inside a run folder, is named like a dataset's own files
// (landmarks.csv, face_boxes.csv, carisynth.json), or lies inside `dataset` when one is given.
void checkOutputFile(const std::string& path, const std::vector<std::string>& extensions, const std::string& dataset = {});

}  // namespace carilab::run
