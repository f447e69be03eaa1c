#include "data/folder_format.h"

#include "data/dir_listing.h"
#include "data/protocol_files.h"

#include <algorithm>
#include <filesystem>
#include <stdexcept>

namespace carilab::data {
namespace fs = std::filesystem;

double FolderFormat::detect(const std::string& root) const
{
    int identities = 0, withModality = 0;
    for (const auto& e : sortedEntries(root)) {
        if (!isDirectory(e)) continue;
        ++identities;
        withModality += isDirectory(e / "photo") || isDirectory(e / "caricature");
        if (identities >= 20) break;
    }
    if (identities == 0) return 0.0;
    return static_cast<double>(withModality) / identities;
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
        if (!isDirectory(idDir)) continue;
        const std::string identity = idDir.filename().string();
        const std::string shown = printableName(identity);
        bool any = false;
        std::array<int, 2> counts{0, 0};
        for (Modality m : {Modality::Photo, Modality::Caricature}) {
            const fs::path modDir = idDir / modalityName(m);
            if (!isDirectory(modDir)) continue;
            for (const auto& file : sortedEntries(modDir)) {
                if (!acceptImageFile(file, root, "a modality folder", index.skipped)) continue;
                const std::string rel = file.lexically_relative(root).generic_string();
                if (!any) {
                    index.identities.push_back(identity);
                    any = true;
                }
                ImageRecord r;
                r.path = rel;
                r.identity = static_cast<int>(index.identities.size()) - 1;
                r.modality = m;
                if (auto it = landmarks.find(rel); it != landmarks.end()) r.landmarks = it->second;
                index.images.push_back(std::move(r));
                ++counts[static_cast<int>(m)];
            }
        }
        if (!any) {
            index.warnings.push_back("identity '" + shown + "' has no usable images (expected " + shown + "/photo/ and/or " + shown +
                                     "/caricature/)");
        } else if (counts[0] == 0 || counts[1] == 0) {
            index.warnings.push_back("identity '" + shown + "' has " + (counts[0] ? "photos" : "caricatures") +
                                     " only; it cannot form caricature-photo pairs");
        }
    }
    if (index.identities.empty())
        throw std::runtime_error(rootIn + ": no identities found; expected <root>/<identity>/{photo,caricature}/<image files>");
    // Protocol files and CaVI match names case-insensitively, so "Alice" and "alice" would be
    // confused there; they stay two identities here, as the folders say.
    std::map<std::string, std::string> folded;
    for (const auto& id : index.identities) {
        auto [it, fresh] = folded.emplace(lowerAscii(id), id);
        if (!fresh)
            index.warnings.push_back("identities '" + it->second + "' and '" + id +
                                     "' differ only in letter case; they are kept as two people -- merge or rename the folders if they are one");
    }
    return index;
}

}  // namespace carilab::data
