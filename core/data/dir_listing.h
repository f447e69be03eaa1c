#pragma once
// Walking dataset folders the same way in every format: sorted entries, and one rule for what
// counts as an image file (the rest is reported as skipped, with the reason).
#include "data/dataset_index.h"

#include <filesystem>
#include <vector>

namespace carilab::data {

// Entries of dir sorted by name (deterministic indices); unreadable folders give nothing.
std::vector<std::filesystem::path> sortedEntries(const std::filesystem::path& dir);
bool isDirectory(const std::filesystem::path& p);

// True when file looks like a usable image (extension, then a cheap header/trailer sniff);
// otherwise appends {path relative to root, reason} to skipped. `inFolder` names the folder
// kind for the message about nested folders ("an identity folder").
bool acceptImageFile(const std::filesystem::path& file, const std::filesystem::path& root, const char* inFolder,
                     std::vector<SkippedFile>& skipped);

}  // namespace carilab::data
