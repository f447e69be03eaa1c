#pragma once
// --threads for LibTorch, set before any torch work.
#include "cli_args.h"

namespace carilab::cli {

// Sets LibTorch's threads from --threads (or `fallback` when absent; 0 = all cores). A count
// above the machine's cores is clamped, with a warning on stderr: surplus threads only wait on
// one another.
void configureThreads(const Args& a, int fallback = 0);

}  // namespace carilab::cli
