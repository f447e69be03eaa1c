#include "io/thread_priority.h"

#if defined(__linux__)
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace carilab::io {

void deprioritizeThisThread()
{
#if defined(__linux__)
    // On Linux, PRIO_PROCESS with a thread id sets that thread's nice value alone.
    const auto tid = static_cast<id_t>(::syscall(SYS_gettid));
    const int current = ::getpriority(PRIO_PROCESS, tid);
    if (current < kBackgroundNice) ::setpriority(PRIO_PROCESS, tid, kBackgroundNice);
#endif
}

bool setThisThreadDefersToCompute(bool defer)
{
#if defined(__linux__)
    sched_param p{};
    p.sched_priority = 0;
    if (::pthread_setschedparam(::pthread_self(), defer ? SCHED_BATCH : SCHED_OTHER, &p) != 0) return false;
    return thisThreadDefersToCompute() == defer;
#else
    return !defer;
#endif
}

bool thisThreadDefersToCompute()
{
#if defined(__linux__)
    int policy = 0;
    sched_param p{};
    return ::pthread_getschedparam(::pthread_self(), &policy, &p) == 0 && policy == SCHED_BATCH;
#else
    return false;
#endif
}

}  // namespace carilab::io
