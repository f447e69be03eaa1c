#include "run/folder_guard.h"

#include "run/run_directory.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace carilab::run {
namespace fs = std::filesystem;

namespace {

// Symlinks resolved where the path exists, so "a/../b" and a link to b compare equal.
fs::path canonicalish(const std::string& p)
{
    std::error_code ec;
    fs::path c = fs::weakly_canonical(fs::absolute(p), ec);
    if (ec) c = fs::absolute(p).lexically_normal();
    if (!c.has_filename() && c != c.root_path()) c = c.parent_path();
    return c;
}

bool isWithin(const fs::path& inner, const fs::path& outer)
{
    const fs::path rel = inner.lexically_relative(outer);
    return !rel.empty() && rel.native().rfind("..", 0) != 0;
}

// The nearest folder at or above p that holds a run, if any.
std::string enclosingRun(fs::path p)
{
    for (; !p.empty(); p = p.parent_path()) {
        if (RunDirectory::isRun(p.string())) return p.string();
        if (p == p.root_path()) break;
    }
    return {};
}

bool holdsOnlyTheLock(const fs::path& dir)
{
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
        if (it->path().filename() != ".lock") return false;
    return true;
}

}  // namespace

void checkNewRunFolder(const std::string& runDir, const std::string& dataset)
{
    if (runDir.empty()) throw std::runtime_error("no run folder given (--run-dir DIR)");
    const fs::path run = canonicalish(runDir);
    if (run == run.root_path())
        throw std::runtime_error(runDir + ": the file system root cannot be a run folder; name a new folder, e.g. runs/my-run");
    if (const char* home = std::getenv("HOME"); home && *home && run == canonicalish(home))
        throw std::runtime_error(runDir + ": your home folder cannot be a run folder; name a new folder inside it, e.g. runs/my-run");
    if (!dataset.empty()) {
        const fs::path data = canonicalish(dataset);
        if (run == data || isWithin(run, data))
            throw std::runtime_error(runDir + ": is inside the dataset " + dataset +
                                     "; a run folder there mixes run files with the dataset's (and replacing the dataset deletes the run). "
                                     "Put runs outside it, e.g. runs/my-run");
        if (isWithin(data, run))
            throw std::runtime_error(runDir + ": holds the dataset " + dataset + "; put the run in a folder of its own, e.g. runs/my-run");
    }
    std::error_code ec;
    if (RunDirectory::isRun(runDir) || !fs::exists(run, ec)) return;
    if (!fs::is_directory(run, ec)) throw std::runtime_error(runDir + ": exists and is not a folder; choose another --run-dir");
    if (!holdsOnlyTheLock(run))
        throw std::runtime_error(runDir + ": is not empty and holds no run; a run needs a new or empty folder of its own, e.g. runs/my-run");
}

void checkOutputFile(const std::string& path, const std::vector<std::string>& extensions, const std::string& dataset)
{
    if (path.empty()) throw std::runtime_error("no output file given");
    const fs::path p = canonicalish(path);
    std::error_code ec;
    if (fs::is_directory(p, ec))
        throw std::runtime_error(path + ": is a folder; give a file name, e.g. " + (p / ("out" + extensions.front())).string());
    std::string ext = p.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (std::find(extensions.begin(), extensions.end(), ext) == extensions.end()) {
        std::string list;
        for (const auto& e : extensions) list += (list.empty() ? "" : ", ") + e;
        throw std::runtime_error(path + ": the output file must end in " + list + (ext.empty() ? "" : " (not " + ext + ")"));
    }
    const std::string name = p.filename().string();
    if (name == "landmarks.csv" || name == "face_boxes.csv" || name == "carisynth.json")
        throw std::runtime_error(path + ": is the name of a dataset's own file; choose another name");
    if (const std::string run = enclosingRun(p.parent_path()); !run.empty())
        throw std::runtime_error(path + ": is inside the run folder " + run + ", whose files only train and eval write; write it elsewhere");
    if (!dataset.empty() && isWithin(p, canonicalish(dataset)))
        throw std::runtime_error(path + ": is inside the dataset " + dataset + "; write it outside the dataset folder");
}

}  // namespace carilab::run
