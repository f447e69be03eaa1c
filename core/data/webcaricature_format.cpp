#include "data/webcaricature_format.h"

#include "data/dir_listing.h"
#include "data/image_decode.h"
#include "data/webcari_landmarks.h"

#include <algorithm>
#include <filesystem>
#include <stdexcept>

namespace carilab::data {
namespace fs = std::filesystem;

double WebCaricatureFormat::detect(const std::string& root) const
{
    const fs::path r(root);
    if (!isDirectory(r / "OriginalImages")) return 0.0;
    return isDirectory(r / "FacialPoints") || isDirectory(r / "EvaluationProtocols") ? 1.0 : 0.8;
}

DatasetIndex WebCaricatureFormat::load(const std::string& rootIn) const
{
    std::error_code ec;
    if (!fs::exists(rootIn, ec)) throw std::runtime_error(rootIn + ": dataset folder does not exist");
    const fs::path root = fs::weakly_canonical(fs::absolute(rootIn));
    if (!isDirectory(root / "OriginalImages"))
        throw std::runtime_error(rootIn + ": not a WebCaricature folder; expected OriginalImages/<Name>/{C,P}NNNNN.jpg");
    DatasetIndex index;
    index.root = root.string();
    index.format = name();
    if (isDirectory(root / "EvaluationProtocols")) index.protocolRoot = (root / "EvaluationProtocols").string();
    const bool havePoints = isDirectory(root / "FacialPoints");
    if (!havePoints) index.warnings.push_back("no FacialPoints/ folder: images are cropped whole (no alignment, no box crop)");
    int badLandmarks = 0, missingLandmarks = 0;

    for (const auto& idDir : sortedEntries(root / "OriginalImages")) {
        const std::string rel0 = fs::relative(idDir, root).generic_string();
        if (!isDirectory(idDir)) {
            index.skipped.push_back({rel0, "a file directly under OriginalImages/ (expected one folder per subject)"});
            continue;
        }
        const std::string subject = idDir.filename().string();
        int id = -1;
        std::array<int, 2> counts{0, 0};
        for (const auto& file : sortedEntries(idDir)) {
            const std::string rel = fs::relative(file, root).generic_string();
            const std::string fname = file.filename().string();
            const char kind = fname.empty() ? '?' : fname[0];
            if (kind != 'C' && kind != 'P' && kind != 'c' && kind != 'p') {
                if (isDirectory(file) || !hasImageExtension(fname))
                    acceptImageFile(file, root, "a subject folder", index.skipped);
                else
                    index.skipped.push_back({rel, "name does not start with C (caricature) or P (photo)"});
                continue;
            }
            if (!acceptImageFile(file, root, "a subject folder", index.skipped)) continue;
            if (id < 0) {
                id = static_cast<int>(index.identities.size());
                index.identities.push_back(subject);
            }
            ImageRecord r;
            r.path = rel;
            r.identity = id;
            r.modality = (kind == 'C' || kind == 'c') ? Modality::Caricature : Modality::Photo;
            ++counts[static_cast<int>(r.modality)];
            if (havePoints) {
                const fs::path pts = root / "FacialPoints" / subject / (file.stem().string() + ".txt");
                if (!fs::exists(pts, ec)) {
                    ++missingLandmarks;
                } else {
                    try {
                        const auto p17 = readLandmarks17(pts.string());
                        r.landmarks = landmarks5From17(p17);
                        r.box = officialFaceBox(p17);
                    } catch (const std::exception& e) {
                        if (++badLandmarks <= 20) index.warnings.push_back(std::string(e.what()) + " -- image kept, cropped whole");
                    }
                }
            }
            index.images.push_back(std::move(r));
        }
        if (id >= 0 && (counts[0] == 0 || counts[1] == 0))
            index.warnings.push_back("subject '" + subject + "' has " + (counts[0] ? "photos" : "caricatures") +
                                     " only; it cannot form caricature-photo pairs");
    }
    if (badLandmarks > 20) index.warnings.push_back(std::to_string(badLandmarks) + " landmark files in all could not be used (first 20 listed)");
    if (missingLandmarks > 0)
        index.warnings.push_back(std::to_string(missingLandmarks) + " image(s) have no FacialPoints file; they are cropped whole");
    if (index.identities.empty()) throw std::runtime_error(rootIn + ": no images found under OriginalImages/<Name>/");
    return index;
}

}  // namespace carilab::data
