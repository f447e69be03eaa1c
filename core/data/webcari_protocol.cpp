#include "data/webcari_protocol.h"

#include <filesystem>
#include <map>
#include <stdexcept>

namespace carilab::data {
namespace fs = std::filesystem;

namespace {

bool isCount(const std::string& s, int& n)
{
    if (s.empty() || s.size() > 9 || s.find_first_not_of("0123456789") != std::string::npos) return false;
    n = std::stoi(s);
    return true;
}

// A subject name as written in a list: '_' and ' ' are interchangeable (tools that rename the
// folders swap them), so matching is by the name with both folded to ' ', case-insensitive.
std::string subjectKey(std::string s)
{
    for (char& c : s)
        if (c == '_') c = ' ';
    return lowerAscii(s);
}

class SubjectTable {
public:
    explicit SubjectTable(const DatasetIndex& index) : index_(index)
    {
        for (size_t i = 0; i < index.identities.size(); ++i) byKey_[subjectKey(index.identities[i])] = static_cast<int>(i);
    }
    int find(const std::string& name) const
    {
        auto it = byKey_.find(subjectKey(name));
        return it == byKey_.end() ? -1 : it->second;
    }
    // The image of subject/stem, or -1 with a reason.
    int image(const ImageLookup& lookup, const std::string& subject, const std::string& stem, std::string& why) const
    {
        const int id = find(subject);
        if (id < 0) {
            why = "unknown identity '" + subject + "'";
            return -1;
        }
        if (stem.find('/') != std::string::npos || stem.find('\\') != std::string::npos || stem.find("..") != std::string::npos) {
            why = "image name '" + stem + "' contains a path; refused";
            return -1;
        }
        const int img = lookup.findStem(index_.identities[static_cast<size_t>(id)], fs::path(stem).stem().string());
        if (img < 0) why = "image '" + subject + "/" + stem + "' is not in the dataset (missing or unreadable)";
        return img;
    }

private:
    const DatasetIndex& index_;
    std::map<std::string, int> byKey_;
};

std::string requireFile(const fs::path& p)
{
    std::error_code ec;
    if (!fs::is_regular_file(p, ec)) throw std::runtime_error(p.string() + ": protocol file not found");
    return p.string();
}

// One restricted block: lines[pos] is N, then 2N pair lines. Advances pos.
void readRestrictedBlock(const DatasetIndex& index, const SubjectTable& subjects, const ImageLookup& lookup, const std::string& file,
                         const std::vector<TextLine>& lines, size_t& pos, std::vector<VerificationPair>& pairs, std::vector<ProtocolIssue>& issues)
{
    int n = 0;
    if (!isCount(splitFields(lines[pos].text).front(), n))
        throw std::runtime_error(file + ":" + std::to_string(lines[pos].number) + ": expected the pair count N, found '" + lines[pos].text + "'");
    ++pos;
    for (int k = 0; k < 2 * n; ++k, ++pos) {
        if (pos >= lines.size()) {
            issues.push_back({file, lines.empty() ? 0 : lines.back().number, "file ends " + std::to_string(2 * n - k) + " pair line(s) early"});
            return;
        }
        const auto& line = lines[pos];
        const auto f = splitFields(line.text, "\t");
        const bool matched = k < n;
        std::string why;
        int c = -1, p = -1;
        if (matched && f.size() == 3) {
            c = subjects.image(lookup, f[0], f[1], why);
            if (c >= 0) p = subjects.image(lookup, f[0], f[2], why);
        } else if (!matched && f.size() == 4) {
            c = subjects.image(lookup, f[0], f[1], why);
            if (c >= 0) p = subjects.image(lookup, f[2], f[3], why);
        } else {
            why = matched ? "expected a matched pair 'Name<TAB>Cxxxxx<TAB>Pxxxxx'"
                          : "expected a mismatched pair 'NameA<TAB>Cxxxxx<TAB>NameB<TAB>Pxxxxx'";
            why += ", found " + std::to_string(f.size()) + " tab-separated fields";
        }
        if (c >= 0 && p >= 0) {
            if (index.images[static_cast<size_t>(c)].modality != Modality::Caricature ||
                index.images[static_cast<size_t>(p)].modality != Modality::Photo)
                why = "expected a caricature then a photo";
            else if (matched != (index.images[static_cast<size_t>(c)].identity == index.images[static_cast<size_t>(p)].identity))
                why = matched ? "a matched pair of two different subjects" : "a mismatched pair of one subject";
            else {
                pairs.push_back({c, p, matched});
                continue;
            }
        }
        issues.push_back({file, line.number, why});
    }
}

// One subject block: lines[pos] is N, then N "Name<TAB>#c<TAB>#p" lines. Advances pos.
std::vector<int> readSubjectBlock(const SubjectTable& subjects, const std::string& file, const std::vector<TextLine>& lines, size_t& pos,
                                  std::vector<ProtocolIssue>& issues)
{
    int n = 0;
    if (pos >= lines.size() || !isCount(splitFields(lines[pos].text).front(), n))
        throw std::runtime_error(file + ":" + std::to_string(pos < lines.size() ? lines[pos].number : 0) + ": expected the subject count N");
    ++pos;
    std::vector<int> ids;
    for (int k = 0; k < n; ++k, ++pos) {
        if (pos >= lines.size()) {
            issues.push_back({file, lines.back().number, "file ends " + std::to_string(n - k) + " subject line(s) early"});
            break;
        }
        const auto f = splitFields(lines[pos].text, "\t");
        const int id = f.empty() ? -1 : subjects.find(f[0]);
        if (id < 0)
            issues.push_back({file, lines[pos].number, f.empty() ? "empty subject line" : "unknown identity '" + f[0] + "'"});
        else
            ids.push_back(id);
    }
    return ids;
}

std::vector<VerificationPair> allPairsOf(const DatasetIndex& index, const std::vector<int>& subjectIds)
{
    std::vector<char> in(index.identities.size(), 0);
    for (int id : subjectIds) in[static_cast<size_t>(id)] = 1;
    std::vector<int> cari, photo;
    for (size_t i = 0; i < index.images.size(); ++i) {
        const auto& r = index.images[i];
        if (!in[static_cast<size_t>(r.identity)]) continue;
        (r.modality == Modality::Caricature ? cari : photo).push_back(static_cast<int>(i));
    }
    std::vector<VerificationPair> pairs;
    pairs.reserve(cari.size() * photo.size());
    for (int c : cari)
        for (int p : photo) pairs.push_back({c, p, index.images[static_cast<size_t>(c)].identity == index.images[static_cast<size_t>(p)].identity});
    return pairs;
}

std::vector<int> readImageList(const SubjectTable& subjects, const ImageLookup& lookup, const std::string& file, std::vector<ProtocolIssue>& issues)
{
    const auto lines = readProtocolLines(file);
    std::vector<int> out;
    for (size_t i = 0; i < lines.size(); ++i) {
        const auto f = splitFields(lines[i].text, "\t");
        int n = 0;
        if (i == 0 && f.size() == 1 && isCount(f[0], n)) continue;  // header
        if (f.size() < 2) {
            issues.push_back({file, lines[i].number, "expected 'Name<TAB>image', found '" + lines[i].text + "'"});
            continue;
        }
        std::string why;
        const int img = subjects.image(lookup, f.front(), f.back(), why);
        if (img < 0)
            issues.push_back({file, lines[i].number, why});
        else
            out.push_back(img);
    }
    return out;
}

}  // namespace

std::string webcariProtocolRoot(const DatasetIndex& index)
{
    if (index.protocolRoot.empty()) throw std::runtime_error(index.root + ": no EvaluationProtocols/ folder; WebCaricature protocols need it");
    return index.protocolRoot;
}

PairProtocol readWebcariVerification(const DatasetIndex& index, WebcariVerification kind, int view)
{
    if (view != 1 && view != 2) throw std::invalid_argument("view must be 1 or 2");
    const bool restricted = kind == WebcariVerification::Restricted;
    const fs::path dir = fs::path(webcariProtocolRoot(index)) / "FaceVerification" / (restricted ? "Restricted" : "UnRestricted");
    const std::string stem = restricted ? "RestrictedView" : "UnRestrictedView";
    PairProtocol out;
    out.name = std::string("webcari ") + (restricted ? "restricted" : "unrestricted") + " view " + std::to_string(view);
    const SubjectTable subjects(index);
    const ImageLookup lookup(index);

    auto readBlocks = [&](const std::string& file, int expectedBlocks) {
        const auto lines = readProtocolLines(file);
        std::vector<std::vector<VerificationPair>> blocks;
        size_t pos = 0;
        while (pos < lines.size() && static_cast<int>(blocks.size()) < expectedBlocks) {
            std::vector<VerificationPair> pairs;
            if (restricted) {
                readRestrictedBlock(index, subjects, lookup, file, lines, pos, pairs, out.issues);
            } else {
                pairs = allPairsOf(index, readSubjectBlock(subjects, file, lines, pos, out.issues));
            }
            blocks.push_back(std::move(pairs));
        }
        if (static_cast<int>(blocks.size()) < expectedBlocks)
            out.issues.push_back({file, 0, "expected " + std::to_string(expectedBlocks) + " fold(s), found " + std::to_string(blocks.size())});
        if (pos < lines.size())
            out.issues.push_back({file, lines[pos].number, std::to_string(lines.size() - pos) + " line(s) after the last fold ignored"});
        return blocks;
    };
    if (view == 1) {
        auto train = readBlocks(requireFile(dir / (stem + "1_DevTrain.txt")), 1);
        auto test = readBlocks(requireFile(dir / (stem + "1_DevTest.txt")), 1);
        if (!train.empty()) out.tuning = std::move(train.front());
        out.folds = std::move(test);
    } else {
        out.folds = readBlocks(requireFile(dir / (stem + "2.txt")), 10);
    }
    return out;
}

IdentificationProtocol readWebcariIdentification(const DatasetIndex& index, WebcariDirection dir, int view)
{
    if (view != 1 && view != 2) throw std::invalid_argument("view must be 1 or 2");
    const std::string d = dir == WebcariDirection::C2P ? "C2P" : "P2C";
    const fs::path base = fs::path(webcariProtocolRoot(index)) / "FaceIdentification" / d;
    IdentificationProtocol out;
    out.name = "webcari " + d + " view " + std::to_string(view);
    const SubjectTable subjects(index);
    const ImageLookup lookup(index);
    std::vector<std::string> folds;
    if (view == 1)
        folds = {"_dev"};
    else
        for (int k = 1; k <= 10; ++k) folds.push_back(std::to_string(k));
    for (const auto& f : folds) {
        IdentificationFold fold;
        fold.name = f == "_dev" ? "dev" : f;
        fold.gallery = readImageList(subjects, lookup, requireFile(base / ("FR_Gallery_" + d + f + ".txt")), out.issues);
        fold.probe = readImageList(subjects, lookup, requireFile(base / ("FR_Probe_" + d + f + ".txt")), out.issues);
        const Modality want = dir == WebcariDirection::C2P ? Modality::Caricature : Modality::Photo;
        for (int p : fold.probe)
            if (index.images[static_cast<size_t>(p)].modality != want) {
                out.issues.push_back({(base / ("FR_Probe_" + d + f + ".txt")).string(), 0,
                                      "probe '" + index.images[static_cast<size_t>(p)].path + "' is a " +
                                          modalityName(index.images[static_cast<size_t>(p)].modality) + " in a " + d + " list"});
                break;
            }
        out.folds.push_back(std::move(fold));
    }
    return out;
}

std::vector<std::string> readWebcariTrainSubjects(const DatasetIndex& index, const std::string& fold, std::vector<ProtocolIssue>* issues)
{
    const std::string file = requireFile(fs::path(webcariProtocolRoot(index)) / "FaceIdentification" / ("FR_Train" + fold + ".txt"));
    const SubjectTable subjects(index);
    std::vector<ProtocolIssue> local;
    const auto lines = readProtocolLines(file);
    size_t pos = 0;
    std::vector<std::string> out;
    for (int id : readSubjectBlock(subjects, file, lines, pos, issues ? *issues : local)) out.push_back(index.identities[static_cast<size_t>(id)]);
    return out;
}

}  // namespace carilab::data
