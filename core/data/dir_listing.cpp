#include "data/dir_listing.h"

#include "data/image_decode.h"

#include <algorithm>

namespace carilab::data {
namespace fs = std::filesystem;

std::vector<fs::path> sortedEntries(const fs::path& dir)
{
    std::vector<fs::path> out;
    std::error_code ec;
    for (fs::directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end; !ec && it != end; it.increment(ec))
        out.push_back(it->path());
    std::sort(out.begin(), out.end());
    return out;
}

bool isDirectory(const fs::path& p)
{
    std::error_code ec;
    return fs::is_directory(p, ec);
}

bool isValidUtf8(const std::string& s)
{
    size_t i = 0;
    while (i < s.size()) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        // 0xC0/0xC1 only start overlong forms, past 0xF4 lies beyond Unicode.
        const int extra = c < 0x80 ? 0 : c < 0xC2 ? -1 : c < 0xE0 ? 1 : c < 0xF0 ? 2 : c < 0xF5 ? 3 : -1;
        if (extra < 0 || i + static_cast<size_t>(extra) >= s.size()) return false;
        for (int k = 1; k <= extra; ++k)
            if ((static_cast<unsigned char>(s[i + static_cast<size_t>(k)]) >> 6) != 0x2) return false;
        i += static_cast<size_t>(extra) + 1;
    }
    return true;
}

std::string printableName(const std::string& s)
{
    if (isValidUtf8(s)) return s;
    std::string out;
    for (unsigned char c : s) {
        if (c < 0x80) {
            out.push_back(static_cast<char>(c));
        } else {
            static const char* kHex = "0123456789ABCDEF";
            out += "\\x";
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 0xF]);
        }
    }
    return out;
}

namespace {

// "" when no link is involved or every link stays inside root; otherwise why the file is refused.
// A dataset must not make CariLab read files outside the folder the user chose.
std::string linkProblem(const fs::path& file, const fs::path& root)
{
    std::error_code ec;
    fs::path p = root;
    bool link = false;
    for (const auto& part : file.lexically_relative(root)) {
        p /= part;
        link |= fs::is_symlink(fs::symlink_status(p, ec));
    }
    if (!link) return "";
    const fs::path real = fs::canonical(file, ec);
    if (ec) return "broken or looping symbolic link (" + ec.message() + ")";
    const fs::path realRoot = fs::canonical(root, ec);
    const fs::path inside = real.lexically_relative(realRoot);
    if (ec || inside.empty() || *inside.begin() == "..")
        return "symbolic link leads outside the dataset folder (to " + printableName(real.string()) + "); copy the file into the dataset instead";
    return "";
}

}  // namespace

bool acceptImageFile(const fs::path& file, const fs::path& root, const char* inFolder, std::vector<SkippedFile>& skipped)
{
    // Lexical: fs::relative resolves links and throws on a link loop.
    const std::string rel = file.lexically_relative(root).generic_string();
    if (!isValidUtf8(rel)) {
        // Names travel into JSON (run config, checkpoints, reports), which must be UTF-8.
        skipped.push_back({printableName(rel), "file or folder name is not valid UTF-8; rename it"});
        return false;
    }
    if (auto why = linkProblem(file, root); !why.empty()) {
        skipped.push_back({rel, why});
        return false;
    }
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
