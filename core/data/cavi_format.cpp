#include "data/cavi_format.h"

#include "data/dir_listing.h"
#include "data/protocol_files.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <stdexcept>

namespace carilab::data {
namespace fs = std::filesystem;

namespace {

bool hasSides(const fs::path& p) { return isDirectory(p / "Caricature") && isDirectory(p / "Real"); }

// The folder holding Caricature/ and Real/, or empty.
fs::path imagesRoot(const fs::path& root)
{
    if (hasSides(root)) return root;
    if (hasSides(root / "CaVI_Dataset")) return root / "CaVI_Dataset";
    return {};
}

}  // namespace

double CaviFormat::detect(const std::string& root) const
{
    if (!imagesRoot(root).empty()) return 1.0;
    // Only one side present: likely CaVI, but load() will say what is missing.
    const fs::path r(root);
    if (isDirectory(r / "Caricature") || isDirectory(r / "Real") || isDirectory(r / "CaVI_Dataset")) return 0.6;
    return 0.0;
}

DatasetIndex CaviFormat::load(const std::string& rootIn) const
{
    std::error_code ec;
    if (!fs::exists(rootIn, ec)) throw std::runtime_error(rootIn + ": dataset folder does not exist");
    const fs::path given = fs::weakly_canonical(fs::absolute(rootIn));
    const fs::path root = imagesRoot(given);
    if (root.empty()) throw std::runtime_error(rootIn + ": not a CaVI folder; expected Caricature/ and Real/ (or CaVI_Dataset/ holding them)");
    DatasetIndex index;
    index.root = root.string();
    index.format = name();
    for (const fs::path& p : {root.parent_path() / "train-test-files", root / "train-test-files"})
        if (isDirectory(p)) index.protocolRoot = p.string();

    std::map<std::string, int> byKey;  // lower-case name -> identity
    std::map<std::string, std::vector<std::string>> spellings;
    std::vector<std::array<int, 2>> counts;
    for (const auto& [side, modality] : {std::pair{"Caricature", Modality::Caricature}, std::pair{"Real", Modality::Photo}}) {
        for (const auto& idDir : sortedEntries(root / side)) {
            const std::string rel0 = fs::relative(idDir, root).generic_string();
            if (!isDirectory(idDir)) {
                index.skipped.push_back({rel0, "a file directly under " + std::string(side) + "/ (expected one folder per identity)"});
                continue;
            }
            const std::string folder = idDir.filename().string();
            const std::string key = lowerAscii(folder);
            int id = -1;
            for (const auto& file : sortedEntries(idDir)) {
                if (!acceptImageFile(file, root, "an identity folder", index.skipped)) continue;
                const std::string rel = fs::relative(file, root).generic_string();
                if (id < 0) {
                    auto it = byKey.find(key);
                    if (it == byKey.end()) {
                        it = byKey.emplace(key, static_cast<int>(index.identities.size())).first;
                        index.identities.push_back(folder);
                        counts.push_back({0, 0});
                    }
                    id = it->second;
                    auto& sp = spellings[key];
                    if (std::find(sp.begin(), sp.end(), folder) == sp.end()) sp.push_back(folder);
                }
                ImageRecord r;
                r.path = rel;
                r.identity = id;
                r.modality = modality;
                index.images.push_back(std::move(r));
                ++counts[static_cast<size_t>(id)][static_cast<int>(modality)];
            }
        }
    }
    for (size_t i = 0; i < index.identities.size(); ++i) {
        if (counts[i][0] == 0 || counts[i][1] == 0)
            index.warnings.push_back("identity '" + index.identities[i] + "' has " + (counts[i][0] ? "photos (Real/)" : "caricatures") +
                                     " only; it cannot form caricature-photo pairs");
    }
    for (const auto& [key, sp] : spellings) {
        if (sp.size() < 2) continue;
        std::string all;
        for (const auto& x : sp) all += (all.empty() ? "'" : " and '") + x + "'";
        index.warnings.push_back("identity " + all + " matched case-insensitively across Caricature/ and Real/");
    }
    if (index.identities.empty()) throw std::runtime_error(rootIn + ": no images found under Caricature/<Name>/ or Real/<Name>/");
    return index;
}

}  // namespace carilab::data
