#pragma once
// Settings of glibc's allocator and of the numeric runtimes under LibTorch that only take effect
// when a library is loaded -- before main() -- so the way for a program to choose them is to set
// them and re-execute itself.
//
// OMP_WAIT_POLICY=PASSIVE. LibTorch's OpenMP runtime (GNU libgomp) makes idle worker threads
// spin at every barrier by default. On a machine whose cores are also busy with something else
// (another process, the GUI thread, the batch loader) a spinning thread holds a core that the
// thread it waits for needs, and every parallel op then costs a scheduler time slice: measured on
// this project's 2-core machine while compilers ran, a `tiny` training step took 1.98 s instead
// of 0.06 s and 82% of the profile was libgomp spinning (README, Performance). PASSIVE makes
// waiting threads sleep; on an idle machine the difference is within noise.
//
// OPENBLAS_THREAD_TIMEOUT=4. OpenBLAS's own pthread pool (separate from OpenMP's) keeps each
// idle worker polling with sched_yield for 2^28 cycles (~0.1 s) after every BLAS call before it
// sleeps. Training calls BLAS for a few small linear layers per step, so the pool never sleeps:
// per-thread /proc schedstat of a Figure 3 demo run showed those workers taking about a third of
// this 2-core machine and each LibTorch thread waiting ~13 s for a core over 310 steps. 4 is
// OpenBLAS's minimum (2^4 cycles): idle workers sleep at once; a large matmul keeps its workers
// busy anyway, so its throughput does not change (bench's matmul peak: 206-256 GFLOP/s either way).
//
// MALLOC_MMAP_THRESHOLD_=32 MiB, MALLOC_TRIM_THRESHOLD_=256 MiB. A training step allocates and
// frees tens of MB of activations. glibc's default threshold moves with what was freed and
// differs per thread arena, so one process served them from its heap and the next from fresh
// mmap()s it then unmapped: the same 400-step Figure 3 demo took 0.95 to 8.7 million page faults
// (2.9 to 18 s of system time) and ran up to a fifth slower, varying from process to process
// (GUI and CLI alike). Fixed thresholds keep the blocks in the heap: ~0.25 million faults,
// ~1.3 s of system time, peak RSS +30 MiB. 32 MiB is the largest threshold glibc accepts on
// 64-bit. MALLOC_ARENA_MAX=1: a thread's own arena deletes a whole heap as soon as it is empty,
// whatever the trim threshold, so the GUI's trainer thread and LibTorch's workers still churned
// (up to 6.9 million faults); one arena for all: ~0.11 million in every process, and GUI/CLI
// throughput 1.000 ± 0.010 (bench/gui_vs_cli.sh). These three are also applied with mallopt()
// after start, so they hold where re-execution fails (CI once showed the same 12 600 faults per
// step tuned and untuned).
//
// OPENBLAS_CORETYPE. Debian's OpenBLAS 0.3.21 picks its kernels by CPU model; a CPU newer than it
// knows (this project's machines report family 6 model 207 as "Intel Xeon Processor") gets the
// generic SSE3 "Prescott" kernels: a 2048² fp32 matmul ran at 58 GFLOP/s instead of 242 with the
// AVX-512 "SkylakeX" kernels. When OpenBLAS reports Prescott on a CPU with AVX-512F (or AVX2 +
// FMA), CariLab names the matching kernel family (SkylakeX, or Haswell).

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
