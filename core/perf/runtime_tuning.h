#pragma once
// Two settings of the numeric runtimes under LibTorch that only take effect when a library is
// loaded -- before main() -- so the only way for a program to choose them is to set them and
// re-execute itself.
//
// OMP_WAIT_POLICY=PASSIVE. LibTorch's OpenMP runtime (GNU libgomp) makes idle worker threads
// spin at every barrier by default. On a machine whose cores are also busy with something else
// (another process, the GUI thread, the batch loader) a spinning thread holds a core that the
// thread it waits for needs, and every parallel op then costs a scheduler time slice: measured on
// this project's 2-core machine while compilers ran, a `tiny` training step took 1.98 s instead
// of 0.06 s and 82% of the profile was libgomp spinning (README, Performance). PASSIVE makes
// waiting threads sleep; on an idle machine the difference is within noise.
//
// OPENBLAS_CORETYPE. Debian's OpenBLAS 0.3.21 picks its kernels by CPU model; a CPU newer than it
// knows (this project's machines report family 6 model 207 as "Intel Xeon Processor") gets the
// generic SSE3 "Prescott" kernels: a 2048² fp32 matmul ran at 58 GFLOP/s instead of 242 with the
// AVX-512 "SkylakeX" kernels. When OpenBLAS reports Prescott on a CPU with AVX-512F (or AVX2 +
// FMA), CariLab names the matching kernel family (SkylakeX, or Haswell).

#include <string>
#include <vector>

namespace carilab::perf {

// The variables this process should have had at start and did not, as NAME=VALUE: only unset
// ones (a user's own choice is kept).
std::vector<std::string> missingRuntimeSettings();

// Sets missingRuntimeSettings() and re-executes /proc/self/exe with the same arguments (does not
// return on success). Returns at once when nothing is missing (so the re-executed process
// continues here), or when re-execution failed (the program then runs with the defaults).
void reexecWithTunedRuntime(char** argv);

// The core name the loaded OpenBLAS uses ("SkylakeX", "Prescott", ...); empty when the BLAS in
// use is not OpenBLAS.
std::string openBlasCoreName();

}  // namespace carilab::perf
