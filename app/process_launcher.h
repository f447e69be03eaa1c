#pragma once
// Process policy for carilab and carilab-cli, applied first thing in main(), before any torch
// work. Some settings of the libraries under LibTorch only take effect when they are loaded,
// before main(): OMP_WAIT_POLICY=PASSIVE (idle OpenMP threads sleep instead of spinning on a
// shared machine), OPENBLAS_THREAD_TIMEOUT=4 (OpenBLAS's idle pool sleeps at once), fixed
// MALLOC_MMAP/TRIM thresholds and one malloc arena (a step's activations stay in the heap
// instead of being mmap()ed and unmapped every step), and OPENBLAS_CORETYPE where Debian's
// OpenBLAS does not know the CPU. So the launcher sets the ones the user has not set and
// re-executes the program (same file, so `ps` and `top` show its own name, same arguments),
// then takes the variables it added out of the environment again: programs the process starts
// (a file manager, a browser) get the user's environment, not CariLab's. What each setting
// measured: docs/performance.md. Opt-out: CARILAB_NO_RUNTIME_TUNING=1 (no re-execution).
#include <string>
#include <vector>

namespace carilab::app {

// Does not return when it re-executes; the re-executed process passes through it again and
// continues. Records what the process runs with (perf/runtime_settings.h) either way.
void launchWithTunedRuntime(char** argv);

// The settings this process lacks, as NAME=VALUE (only unset ones: a user's choice is kept).
std::vector<std::string> missingRuntimeSettings();
// The program's own file ("" when /proc is unreadable): executing it by this path keeps the
// process's name (executing /proc/self/exe names every process "exe").
std::string ownExecutable();
// mallopt() with the MALLOC_* values in the environment (they also hold where glibc did not
// read them at start).
void applyMallocSettings();
// Unsets the variables a launch added (named in CARILAB_RUNTIME_ADDED), and that marker.
void forgetAddedSettings();

inline constexpr const char* kAddedMarker = "CARILAB_RUNTIME_ADDED";
inline constexpr const char* kOptOut = "CARILAB_NO_RUNTIME_TUNING";

}  // namespace carilab::app
