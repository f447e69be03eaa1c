// Preloaded (LD_PRELOAD) into carilab-cli by test_bench so that it cannot re-execute itself, as
// in a sandbox without /proc or exec: the calls it re-executes with fail the way they fail there.
#include <cerrno>

extern "C" int execv(const char*, char* const[])
{
    errno = EACCES;
    return -1;
}

extern "C" int execvp(const char*, char* const[])
{
    errno = EACCES;
    return -1;
}
