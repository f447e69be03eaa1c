#pragma once
// Settings of glibc's allocator and of the numeric runtimes under LibTorch that only take effect
// when a library is loaded -- before main() -- so the way for a program to choose them is to set
// them and re-execute itself: OMP_WAIT_POLICY=PASSIVE (idle OpenMP threads sleep instead of
// spinning on a shared machine), OPENBLAS_THREAD_TIMEOUT=4 (OpenBLAS's idle pool sleeps at once),
// fixed MALLOC_MMAP/TRIM thresholds and one malloc arena (a step's activations stay in the heap
// instead of being mmap()ed and unmapped every step; also applied with mallopt() after start),
// and OPENBLAS_CORETYPE where Debian's OpenBLAS does not know the CPU and would pick its generic
// kernels. A user's own values always win. What each one measured: docs/performance.md, "The
// fixes behind these figures".

#include <string>
#include <vector>

namespace carilab::perf {

inline constexpr long kMallocMmapThreshold = 32L << 20;
inline constexpr long kMallocTrimThreshold = 256L << 20;

// The variables this process should have had at start and did not, as NAME=VALUE: only unset
// ones (a user's own choice is kept).
std::vector<std::string> missingRuntimeSettings();

// Sets missingRuntimeSettings() and re-executes this program with the same arguments (does not
// return on success). Returns when nothing is missing (so the re-executed process continues
// here), or when re-execution failed (the program then runs with the OpenMP/OpenBLAS defaults).
// Either way it then applies the malloc settings in-process too (applyMallocSettings).
void reexecWithTunedRuntime(char** argv);

// mallopt() with the MALLOC_* values in the environment (the user's or CariLab's).
void applyMallocSettings();

// True when this process started with every runtime setting (re-executed with them, or the
// user had set them all); false after a failed re-execution. A bench without them says so.
bool runtimeWasTuned();

// The core name the loaded OpenBLAS uses ("SkylakeX", "Prescott", ...); empty when the BLAS in
// use is not OpenBLAS.
std::string openBlasCoreName();

}  // namespace carilab::perf
