#include "data/cavi_protocol.h"

#include <filesystem>
#include <random>
#include <stdexcept>

namespace carilab::data {
namespace fs = std::filesystem;

std::string findCaviPairList(const DatasetIndex& index, const std::string& nameOrPath)
{
    std::error_code ec;
    if (fs::is_regular_file(nameOrPath, ec)) return nameOrPath;
    std::vector<fs::path> dirs;
    if (!index.protocolRoot.empty()) dirs.push_back(index.protocolRoot);
    dirs.push_back(fs::path(index.root) / "train-test-files");
    dirs.push_back(fs::path(index.root).parent_path() / "train-test-files");
    std::string tried;
    for (const auto& d : dirs)
        for (const std::string& n : {nameOrPath, nameOrPath + ".txt"}) {
            const fs::path p = d / n;
            if (fs::is_regular_file(p, ec)) return p.string();
            tried += "\n  " + p.string();
        }
    throw std::runtime_error("CaVI pair list '" + nameOrPath + "' not found; looked for:" + tried);
}

std::vector<VerificationPair> readCaviPairsInFileOrder(const DatasetIndex& index, const std::string& file, std::vector<ProtocolIssue>* issues)
{
    PairProtocol out;
    const ImageLookup lookup(index);
    std::vector<VerificationPair> pairs;
    for (const auto& line : readProtocolLines(file)) {
        auto issue = [&](const std::string& m) { out.issues.push_back({file, line.number, m}); };
        const auto f = splitFields(line.text);
        if (f.size() != 5) {
            issue("expected '<id> Caricature/<Name>\\<file> <id> Real/<Name>\\<file> <0|1>', found " + std::to_string(f.size()) + " fields");
            continue;
        }
        if (f[4] != "0" && f[4] != "1") {
            issue("label '" + f[4] + "' is not 0 or 1");
            continue;
        }
        int img[2] = {-1, -1};
        bool ok = true;
        for (int k = 0; k < 2 && ok; ++k) {
            const std::string& raw = f[1 + 2 * k];
            const auto rel = normaliseProtocolPath(raw);
            if (!rel) {
                issue("path '" + raw + "' is absolute or leaves the dataset folder; refused");
                ok = false;
                break;
            }
            img[k] = lookup.find(*rel);
            if (img[k] < 0) {
                issue("image '" + *rel + "' is not in the dataset (missing or unreadable)");
                ok = false;
                break;
            }
            const auto& rec = index.images[static_cast<size_t>(img[k])];
            const Modality want = k == 0 ? Modality::Caricature : Modality::Photo;
            if (rec.modality != want) {
                issue(std::string("field ") + std::to_string(2 + 2 * k) + " should be a " + modalityName(want) + ", '" + *rel + "' is a " +
                      modalityName(rec.modality));
                ok = false;
                break;
            }
            if (lowerAscii(index.identities[static_cast<size_t>(rec.identity)]) != lowerAscii(f[static_cast<size_t>(2 * k)])) {
                issue("identity '" + f[static_cast<size_t>(2 * k)] + "' is not the identity of '" + *rel + "' (" +
                      index.identities[static_cast<size_t>(rec.identity)] + "): unknown identity");
                ok = false;
            }
        }
        if (!ok) continue;
        const bool same = f[4] == "1";
        if (same != (index.images[static_cast<size_t>(img[0])].identity == index.images[static_cast<size_t>(img[1])].identity)) {
            issue(std::string("label ") + f[4] + " contradicts the identities " + f[0] + " / " + f[2]);
            continue;
        }
        pairs.push_back({img[0], img[1], same});
    }
    if (issues) *issues = std::move(out.issues);
    return pairs;
}

PairProtocol readCaviPairs(const DatasetIndex& index, const std::string& file, int folds, std::uint64_t seed)
{
    PairProtocol out;
    out.name = "cavi " + fs::path(file).filename().string();
    auto pairs = readCaviPairsInFileOrder(index, file, &out.issues);
    std::mt19937_64 rng(seed);
    for (size_t i = pairs.size(); i > 1; --i) std::swap(pairs[i - 1], pairs[rng() % i]);
    folds = std::max(1, std::min<int>(folds, static_cast<int>(pairs.size())));
    for (int k = 0; k < folds; ++k) {
        const size_t lo = pairs.size() * static_cast<size_t>(k) / static_cast<size_t>(folds),
                     hi = pairs.size() * static_cast<size_t>(k + 1) / static_cast<size_t>(folds);
        out.folds.emplace_back(pairs.begin() + static_cast<long>(lo), pairs.begin() + static_cast<long>(hi));
    }
    return out;
}

}  // namespace carilab::data
