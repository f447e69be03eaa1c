#include "data/folder_format.h"

#include "data/image_decode.h"

#include <algorithm>
#include <filesystem>
#include <stdexcept>

namespace carilab::data {
namespace fs = std::filesystem;

namespace {

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

bool isDir(const fs::path& p)
{
    std::error_code ec;
    return fs::is_directory(p, ec);
}

}  // namespace

double FolderFormat::detect(const std::string& root) const
{
    int identities = 0, withModality = 0;
    for (const auto& e : sortedEntries(root)) {
        if (!isDir(e)) continue;
        ++identities;
        withModality += isDir(e / "photo") || isDir(e / "caricature");
        if (identities >= 20) break;
    }
    if (identities == 0) return 0.0;
    return (double)withModality / identities;
}

DatasetIndex FolderFormat::load(const std::string& rootIn) const
{
    std::error_code ec;
    if (!fs::exists(rootIn, ec)) throw std::runtime_error(rootIn + ": dataset folder does not exist");
    if (!fs::is_directory(rootIn, ec)) throw std::runtime_error(rootIn + ": is a file, not a dataset folder");
    DatasetIndex index;
    index.root = fs::weakly_canonical(fs::absolute(rootIn)).string();
    index.format = name();
    const fs::path root(index.root);

    std::map<std::string, Landmarks5> landmarks;
    const fs::path lmFile = root / kLandmarksFileName;
    if (fs::exists(lmFile, ec)) {
        try {
            landmarks = readLandmarksCsv(lmFile.string());
        } catch (const std::exception& e) {
            index.warnings.push_back(std::string(e.what()) + " -- landmarks ignored, images are resized whole");
        }
    }

    for (const auto& idDir : sortedEntries(root)) {
        if (!isDir(idDir)) continue;
        const std::string identity = idDir.filename().string();
        bool any = false;
        std::array<int, 2> counts{0, 0};
        for (Modality m : {Modality::Photo, Modality::Caricature}) {
            const fs::path modDir = idDir / modalityName(m);
            if (!isDir(modDir)) continue;
            for (const auto& file : sortedEntries(modDir)) {
                const std::string rel = fs::relative(file, root).generic_string();
                if (isDir(file)) {
                    index.skipped.push_back({rel, "is a folder inside a modality folder (not scanned)"});
                    continue;
                }
                if (!hasImageExtension(file.string())) {
                    index.skipped.push_back({rel, "not an image file (extension " + file.extension().string() + ")"});
                    continue;
                }
                if (auto why = sniffImageFile(file.string()); !why.empty()) {
                    index.skipped.push_back({rel, why});
                    continue;
                }
                if (!any) {
                    index.identities.push_back(identity);
                    any = true;
                }
                ImageRecord r;
                r.path = rel;
                r.identity = (int)index.identities.size() - 1;
                r.modality = m;
                if (auto it = landmarks.find(rel); it != landmarks.end()) r.landmarks = it->second;
                index.images.push_back(std::move(r));
                ++counts[(int)m];
            }
        }
        if (!any) {
            index.warnings.push_back("identity '" + identity + "' has no usable images (expected " + identity +
                                     "/photo/ and/or " + identity + "/caricature/)");
        } else if (counts[0] == 0 || counts[1] == 0) {
            index.warnings.push_back("identity '" + identity + "' has " + (counts[0] ? "photos" : "caricatures") +
                                     " only; it cannot form caricature-photo pairs");
        }
    }
    if (index.identities.empty())
        throw std::runtime_error(rootIn + ": no identities found; expected <root>/<identity>/{photo,caricature}/<image files>");
    return index;
}

}  // namespace carilab::data
