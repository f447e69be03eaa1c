#include "perf/openmp_wait.h"

#include <cstdlib>

#include <unistd.h>

namespace carilab::perf {

void reexecWithPassiveOpenMpWait(char** argv)
{
    if (std::getenv("OMP_WAIT_POLICY")) return;
    if (setenv("OMP_WAIT_POLICY", "PASSIVE", /*overwrite=*/0) != 0) return;
    execv("/proc/self/exe", argv);
    // execv only returns on failure (no /proc): carry on with the default policy.
}

}  // namespace carilab::perf
