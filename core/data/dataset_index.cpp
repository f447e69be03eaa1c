#include "data/dataset_index.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <filesystem>

namespace carilab::data {

const char* modalityName(Modality m) { return m == Modality::Photo ? "photo" : "caricature"; }

std::optional<Modality> parseModality(const std::string& s)
{
    if (s == "photo" || s == "photos" || s == "visual") return Modality::Photo;
    if (s == "caricature" || s == "caricatures" || s == "cari") return Modality::Caricature;
    return std::nullopt;
}

std::optional<ModalityFromFolder> modalityFromFolders(const std::string& imagePath)
{
    constexpr int kFolderLevels = 3;  // CaVI: Caricature/<identity>/<file>; folders: <identity>/photo/<file>
    std::filesystem::path folder = std::filesystem::path(imagePath).lexically_normal().parent_path();
    for (int level = 0; level < kFolderLevels && !folder.filename().empty(); ++level, folder = folder.parent_path()) {
        const std::string name = folder.filename().string();
        std::string lower = name;
        std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (const auto m = lower == "real" ? std::optional<Modality>(Modality::Photo) : parseModality(lower)) return ModalityFromFolder{*m, name};
    }
    return std::nullopt;
}

std::string DatasetIndex::absolutePath(const ImageRecord& r) const
{
    const std::filesystem::path p(r.path);
    return p.is_absolute() ? r.path : (std::filesystem::path(root) / p).string();
}

int DatasetIndex::count(Modality m) const
{
    int n = 0;
    for (const auto& r : images) n += r.modality == m;
    return n;
}

std::vector<std::array<int, 2>> DatasetIndex::countsPerIdentity() const
{
    std::vector<std::array<int, 2>> c(identities.size(), {0, 0});
    for (const auto& r : images) ++c[static_cast<size_t>(r.identity)][static_cast<int>(r.modality)];
    return c;
}

}  // namespace carilab::data
