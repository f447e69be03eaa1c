#include "data/dir_listing.h"

#include "data/image_decode.h"

#include <algorithm>

namespace carilab::data {
namespace fs = std::filesystem;

std::vector<fs::path> sortedEntries(const fs::path& dir)
{
    std::vector<fs::path> out;
    std::error_code ec;
    for (fs::directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end; !ec && it != end;
         it.increment(ec))
        out.push_back(it->path());
    std::sort(out.begin(), out.end());
    return out;
}

bool isDirectory(const fs::path& p)
{
    std::error_code ec;
    return fs::is_directory(p, ec);
}

bool acceptImageFile(const fs::path& file, const fs::path& root, const char* inFolder, std::vector<SkippedFile>& skipped)
{
    const std::string rel = fs::relative(file, root).generic_string();
    if (isDirectory(file)) {
        skipped.push_back({rel, std::string("is a folder inside ") + inFolder + " (not scanned)"});
        return false;
    }
    if (!hasImageExtension(file.string())) {
        skipped.push_back({rel, "not an image file (" + file.filename().string() + ")"});
        return false;
    }
    if (auto why = sniffImageFile(file.string()); !why.empty()) {
        skipped.push_back({rel, why});
        return false;
    }
    return true;
}

}  // namespace carilab::data
