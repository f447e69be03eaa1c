#pragma once
// Background threads that prepare the next batch (the training loader, evaluation's decode
// thread) share 2 cores with LibTorch's threads. At equal priority the scheduler gives them
// their share in the middle of a parallel op, where it preempts one of LibTorch's threads and
// the other then waits for it at the next barrier; at a lower priority they run mostly in the
// gaps LibTorch leaves (serial ops, threads sleeping at barriers), and the batch is still ready
// in time because preparing it takes a fraction of a step.

namespace carilab::io {

// Lowers the calling thread's scheduling priority (Linux nice +kBackgroundNice for this thread
// only). Best effort: a no-op where not supported. Cannot be undone without privileges, so call
// it only on threads that do nothing but background work.
void deprioritizeThisThread();

constexpr int kBackgroundNice = 10;

// For a thread that must stay responsive but should not interrupt LibTorch's threads while a
// run trains (the GUI thread): on, the thread runs SCHED_BATCH, so when it wakes (a timer, a
// repaint) it waits for a free core or the next scheduler tick (a few ms) instead of preempting
// a LibTorch thread mid-op, which would stall its partner at the next barrier. Off restores
// SCHED_OTHER. Unlike a nice value this needs no privileges either way. Returns whether the
// policy is now the one asked for (false where unsupported).
bool setThisThreadDefersToCompute(bool defer);
// Whether the calling thread currently runs SCHED_BATCH.
bool thisThreadDefersToCompute();

}  // namespace carilab::io
