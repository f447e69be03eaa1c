#pragma once
// The built-in demo dataset (CariSynth), generated on first use.
#include <string>

namespace carilab::cli {

// Generates the CariSynth demo set in dir unless it is already there (saying so on stdout);
// returns dir.
std::string ensureDemoDataset(const std::string& dir);

}  // namespace carilab::cli
