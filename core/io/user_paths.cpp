#include "io/user_paths.h"

#include <cstdlib>
#include <filesystem>

namespace carilab::io {

std::string userDataDir()
{
    namespace fs = std::filesystem;
    if (const char* h = std::getenv("CARILAB_HOME"); h && *h) return h;
    if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x) return (fs::path(x) / "carilab").string();
    const char* home = std::getenv("HOME");
    return (fs::path(home && *home ? home : "/tmp") / ".local" / "share" / "carilab").string();
}

std::string defaultDemoDatasetDir() { return (std::filesystem::path(userDataDir()) / "datasets" / "carisynth-demo").string(); }

std::string defaultRunsDir() { return (std::filesystem::path(userDataDir()) / "runs").string(); }

}  // namespace carilab::io
