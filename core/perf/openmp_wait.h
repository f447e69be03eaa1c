#pragma once
// LibTorch's OpenMP runtime (GNU libgomp) makes idle worker threads spin at every barrier by
// default. On a machine whose cores are also busy with something else (another process, the
// GUI thread, the batch loader) a spinning thread holds a core that the thread it waits for
// needs, and every parallel op then costs a scheduler time slice: measured on this project's
// 2-core machine while compilers ran, a `tiny` training step took 1.98 s instead of 0.06 s and
// 82% of the profile was libgomp spinning (README, Performance). OMP_WAIT_POLICY=PASSIVE makes
// waiting threads sleep instead; on an idle machine the difference is within noise.
//
// libgomp reads the variable once, when it is loaded -- before main() -- so the only way for a
// program to choose it is to set it and re-execute itself.

namespace carilab::perf {

// When OMP_WAIT_POLICY is unset: sets it to PASSIVE and re-executes /proc/self/exe with the same
// arguments (does not return on success). Returns when the variable was already set (a user's
// own choice is kept, and the re-executed process stops here) or when re-execution failed (the
// program then simply runs with the default policy).
void reexecWithPassiveOpenMpWait(char** argv);

}  // namespace carilab::perf
