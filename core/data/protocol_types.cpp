#include "data/protocol_types.h"

#include <algorithm>
#include <filesystem>

namespace carilab::data {

std::size_t PairProtocol::pairCount() const
{
    std::size_t n = 0;
    for (const auto& f : folds) n += f.size();
    return n;
}

ImageLookup::ImageLookup(const DatasetIndex& index)
{
    for (size_t i = 0; i < index.images.size(); ++i) {
        const std::string& p = index.images[i].path;
        exact_.emplace(p, static_cast<int>(i));
        folded_.emplace(lowerAscii(p), static_cast<int>(i));
        const std::filesystem::path fp(p);
        const std::string subject = fp.parent_path().filename().string();
        stems_.emplace(lowerAscii(subject + "/" + fp.stem().string()), static_cast<int>(i));
    }
}

int ImageLookup::find(const std::string& relativePath) const
{
    if (auto it = exact_.find(relativePath); it != exact_.end()) return it->second;
    if (auto it = folded_.find(lowerAscii(relativePath)); it != folded_.end()) return it->second;
    return -1;
}

int ImageLookup::findStem(const std::string& subject, const std::string& stem) const
{
    auto it = stems_.find(lowerAscii(subject + "/" + stem));
    return it == stems_.end() ? -1 : it->second;
}

std::vector<int> imagesOf(const PairProtocol& p)
{
    std::vector<int> out;
    for (const auto& f : p.folds)
        for (const auto& x : f) {
            out.push_back(x.caricature);
            out.push_back(x.photo);
        }
    for (const auto& x : p.tuning) {
        out.push_back(x.caricature);
        out.push_back(x.photo);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

std::vector<int> imagesOf(const IdentificationProtocol& p)
{
    std::vector<int> out;
    for (const auto& f : p.folds) {
        out.insert(out.end(), f.gallery.begin(), f.gallery.end());
        out.insert(out.end(), f.probe.begin(), f.probe.end());
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

}  // namespace carilab::data
