#include "cli_threads.h"

#include "run/trainer.h"

#include <iostream>

namespace carilab::cli {

void configureThreads(const Args& a, int fallback)
{
    const int n = a.has("threads") ? a.getInt("threads") : fallback;
    if (n < 0) throw UsageError("--threads must be 0 (all cores) or more, got '" + a.get("threads") + "'");
    const std::string w = run::Trainer::configureThreads(n);
    if (!w.empty()) std::cerr << "warning: " << w << "\n";
}

}  // namespace carilab::cli
