#include "data/dataset_index.h"

#include <array>
#include <filesystem>

namespace carilab::data {

const char* modalityName(Modality m) { return m == Modality::Photo ? "photo" : "caricature"; }

std::optional<Modality> parseModality(const std::string& s)
{
    if (s == "photo" || s == "photos" || s == "visual") return Modality::Photo;
    if (s == "caricature" || s == "caricatures" || s == "cari") return Modality::Caricature;
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
    for (const auto& r : images) ++c[(size_t)r.identity][(int)r.modality];
    return c;
}

}  // namespace carilab::data
