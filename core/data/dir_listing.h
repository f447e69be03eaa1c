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
// otherwise appends {path relative to root, reason} to skipped. Also refused: names that are
// not valid UTF-8, and links that loop or lead outside root. `inFolder` names the folder
// kind for the message about nested folders ("an identity folder").
bool acceptImageFile(const std::filesystem::path& file, const std::filesystem::path& root, const char* inFolder, std::vector<SkippedFile>& skipped);

bool isValidUtf8(const std::string& s);
// s itself when valid UTF-8, else with each byte >= 0x80 written as \xHH (for messages).
std::string printableName(const std::string& s);

}  // namespace carilab::data
