#include "data/dataset_summary.h"

#include <algorithm>
#include <climits>
#include <sstream>

namespace carilab::data {

nlohmann::json summarizeDataset(const DatasetIndex& index)
{
    const auto counts = index.countsPerIdentity();
    nlohmann::json perIdentity;
    int both = 0;
    for (Modality m : {Modality::Photo, Modality::Caricature}) {
        int lo = INT_MAX, hi = 0;
        long long sum = 0;
        for (const auto& c : counts) {
            lo = std::min(lo, c[static_cast<int>(m)]);
            hi = std::max(hi, c[static_cast<int>(m)]);
            sum += c[static_cast<int>(m)];
        }
        if (counts.empty()) lo = 0;
        perIdentity[modalityName(m)] = {
            {"min", lo}, {"max", hi}, {"mean", counts.empty() ? 0.0 : static_cast<double>(sum) / static_cast<double>(counts.size())}};
    }
    for (const auto& c : counts) both += c[0] > 0 && c[1] > 0;
    nlohmann::json skipped = nlohmann::json::array();
    for (const auto& s : index.skipped) skipped.push_back({{"path", s.path}, {"reason", s.reason}});
    return {{"root", index.root},
            {"format", index.format},
            {"identities", index.identities.size()},
            {"images", index.images.size()},
            {"photos", index.count(Modality::Photo)},
            {"caricatures", index.count(Modality::Caricature)},
            {"with_landmarks", std::count_if(index.images.begin(), index.images.end(), [](const ImageRecord& r) { return r.landmarks.has_value(); })},
            {"with_face_box", std::count_if(index.images.begin(), index.images.end(), [](const ImageRecord& r) { return r.box.has_value(); })},
            {"protocols", index.protocolRoot},
            {"identities_with_both", both},
            {"per_identity", perIdentity},
            {"skipped", skipped},
            {"warnings", index.warnings}};
}

std::string formatDatasetSummary(const nlohmann::json& s, std::size_t maxListed)
{
    std::ostringstream o;
    o << "dataset     " << s["root"].get<std::string>() << "\n"
      << "format      " << s["format"].get<std::string>() << "\n"
      << "identities  " << s["identities"] << " (" << s["identities_with_both"] << " with both modalities)\n"
      << "images      " << s["images"] << ": " << s["photos"] << " photos, " << s["caricatures"] << " caricatures, " << s["with_landmarks"]
      << " with landmarks\n";
    if (!s.value("protocols", std::string()).empty()) o << "protocols   " << s["protocols"].get<std::string>() << "\n";
    for (const char* m : {"photo", "caricature"}) {
        const auto& p = s["per_identity"][m];
        o << "per identity " << m << "s: min " << p["min"] << ", max " << p["max"] << ", mean ";
        o.precision(1);
        o << std::fixed << p["mean"].get<double>() << "\n";
    }
    const auto& skipped = s["skipped"];
    o << "skipped     " << skipped.size() << " file(s)\n";
    for (std::size_t i = 0; i < skipped.size() && i < maxListed; ++i)
        o << "  " << skipped[i]["path"].get<std::string>() << ": " << skipped[i]["reason"].get<std::string>() << "\n";
    if (skipped.size() > maxListed) o << "  ... and " << skipped.size() - maxListed << " more (use --json for all)\n";
    const auto& warnings = s["warnings"];
    for (std::size_t i = 0; i < warnings.size() && i < maxListed; ++i) o << "warning: " << warnings[i].get<std::string>() << "\n";
    if (warnings.size() > maxListed) o << "... and " << warnings.size() - maxListed << " more warnings\n";
    return o.str();
}

}  // namespace carilab::data
