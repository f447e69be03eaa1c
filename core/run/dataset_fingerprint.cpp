#include "run/dataset_fingerprint.h"

#include "io/atomic_file.h"
#include "pretrained/sha256.h"

#include <algorithm>
#include <filesystem>
#include <set>
#include <stdexcept>

namespace carilab::run {
namespace fs = std::filesystem;

namespace {

std::string fingerprintPath(const RunDirectory& rd) { return (fs::path(rd.path()) / "dataset.json").string(); }

std::string listed(const std::vector<std::string>& names)
{
    std::string out;
    for (size_t i = 0; i < names.size() && i < 5; ++i) out += (i ? ", " : "") + names[i];
    if (names.size() > 5) out += " and " + std::to_string(names.size() - 5) + " more";
    return out;
}

}  // namespace

nlohmann::json datasetFingerprint(const data::DatasetIndex& index)
{
    std::vector<std::string> paths;
    for (const auto& im : index.images) paths.push_back(im.path);
    std::sort(paths.begin(), paths.end());
    pretrained::Sha256 sha;
    for (const auto& p : paths) {
        sha.update(p.data(), p.size());
        sha.update("\n", 1);
    }
    return {{"root", index.root}, {"identities", index.identities}, {"images", index.images.size()}, {"files_sha256", sha.hexDigest()}};
}

std::string describeDatasetChange(const nlohmann::json& was, const nlohmann::json& now)
{
    std::vector<std::string> changes;
    const auto a = was.value("identities", std::vector<std::string>{}), b = now.value("identities", std::vector<std::string>{});
    const std::set<std::string> sa(a.begin(), a.end()), sb(b.begin(), b.end());
    std::vector<std::string> removed, added;
    std::set_difference(sa.begin(), sa.end(), sb.begin(), sb.end(), std::back_inserter(removed));
    std::set_difference(sb.begin(), sb.end(), sa.begin(), sa.end(), std::back_inserter(added));
    if (!removed.empty() || !added.empty())
        changes.push_back("identities " + std::to_string(a.size()) + " -> " + std::to_string(b.size()) +
                          (removed.empty() ? "" : " (removed: " + listed(removed) + ")") + (added.empty() ? "" : " (added: " + listed(added) + ")"));
    const long long ia = was.value("images", 0LL), ib = now.value("images", 0LL);
    if (ia != ib) changes.push_back("images " + std::to_string(ia) + " -> " + std::to_string(ib));
    if (changes.empty() && was.value("files_sha256", std::string()) != now.value("files_sha256", std::string()))
        changes.push_back("the same number of images, but other files");
    std::string out;
    for (const auto& c : changes) out += (out.empty() ? "" : "; ") + c;
    return out;
}

void checkRunDataset(const RunDirectory& rd, const data::DatasetIndex& index)
{
    std::error_code ec;
    if (!fs::exists(fingerprintPath(rd), ec)) return;
    const nlohmann::json was = nlohmann::json::parse(io::readFile(fingerprintPath(rd)), nullptr, false);
    if (was.is_discarded() || !was.is_object()) throw std::runtime_error(fingerprintPath(rd) + ": not valid JSON");
    const std::string change = describeDatasetChange(was, datasetFingerprint(index));
    if (!change.empty())
        throw std::runtime_error(index.root + ": is not the dataset this run was trained on (" + change + "; it was " +
                                 was.value("root", std::string("?")) + "). Use the dataset as it was, or start a new run on this one");
}

void recordOrCheckRunDataset(const RunDirectory& rd, const data::DatasetIndex& index)
{
    std::error_code ec;
    if (fs::exists(fingerprintPath(rd), ec)) return checkRunDataset(rd, index);
    if (rd.isReplica()) return;  // rank 0 records it
    io::writeFileAtomic(fingerprintPath(rd), datasetFingerprint(index).dump(2) + "\n");
}

}  // namespace carilab::run
