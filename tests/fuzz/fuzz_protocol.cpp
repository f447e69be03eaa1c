// libFuzzer target: CaVI pair lists and WebCaricature's protocol files, read by the real
// parsers against a small in-memory dataset. The first byte picks the file kind, the rest is
// the file (seeds start with a digit: '0' CaVI ... '6' FR_Train). Contract: a bad line is an
// issue, a bad file a std::runtime_error, and every pair or image that comes back refers to a
// real image of the right modality.
#include "fuzz_support.h"

#include "data/cavi_protocol.h"
#include "data/webcari_protocol.h"

#include <stdexcept>

using namespace carilab::data;
using carilab::fuzz::scratchDir;
using carilab::fuzz::writeScratchFile;

namespace {

constexpr const char* kSubjects[] = {"Alice", "Bob_Smith", "Carol"};

// CaVI keeps caricatures and photos in parallel trees named after the identity.
DatasetIndex caviIndex()
{
    DatasetIndex index;
    index.root = scratchDir() + "/cavi";
    index.format = "cavi";
    for (int id = 0; id < 3; ++id) {
        index.identities.push_back(kSubjects[id]);
        for (int k = 1; k <= 2; ++k) {
            const std::string file = "/" + std::string(kSubjects[id]) + "/" + std::to_string(k) + ".jpg";
            index.images.push_back({"Caricature" + file, id, Modality::Caricature, {}, {}});
            index.images.push_back({"Real" + file, id, Modality::Photo, {}, {}});
        }
    }
    return index;
}

// WebCaricature names images by subject folder and stem: C00001 caricatures, P00001 photos.
DatasetIndex webcariIndex()
{
    DatasetIndex index;
    index.root = scratchDir() + "/webcari";
    index.format = "webcaricature";
    index.protocolRoot = index.root + "/EvaluationProtocols";
    for (int id = 0; id < 3; ++id) {
        index.identities.push_back(kSubjects[id]);
        for (int k = 1; k <= 2; ++k) {
            const std::string dir = "OriginalImages/" + std::string(kSubjects[id]) + "/";
            index.images.push_back({dir + "C0000" + std::to_string(k) + ".jpg", id, Modality::Caricature, {}, {}});
            index.images.push_back({dir + "P0000" + std::to_string(k) + ".jpg", id, Modality::Photo, {}, {}});
        }
    }
    return index;
}

void checkPair(const DatasetIndex& index, const VerificationPair& p)
{
    FUZZ_REQUIRE(p.caricature >= 0 && (size_t)p.caricature < index.images.size());
    FUZZ_REQUIRE(p.photo >= 0 && (size_t)p.photo < index.images.size());
    FUZZ_REQUIRE(index.images[(size_t)p.caricature].modality == Modality::Caricature);
    FUZZ_REQUIRE(index.images[(size_t)p.photo].modality == Modality::Photo);
    FUZZ_REQUIRE(p.same == (index.images[(size_t)p.caricature].identity == index.images[(size_t)p.photo].identity));
}

void checkPairs(const DatasetIndex& index, const PairProtocol& p, size_t maxFolds)
{
    FUZZ_REQUIRE(p.folds.size() <= maxFolds);
    for (const auto& fold : p.folds)
        for (const auto& pair : fold) checkPair(index, pair);
    for (const auto& pair : p.tuning) checkPair(index, pair);
    for (const auto& issue : p.issues) FUZZ_REQUIRE(issue.line >= 0 && !issue.message.empty());
}

void checkImages(const DatasetIndex& index, const std::vector<int>& images)
{
    for (int i : images) FUZZ_REQUIRE(i >= 0 && (size_t)i < index.images.size());
}

void fuzzCavi(const std::uint8_t* data, size_t size)
{
    static const DatasetIndex index = caviIndex();
    const std::string file = writeScratchFile("cavi/train-test-files/testing_1.txt", data, size);
    // A readable list never throws: every bad line becomes an issue.
    const PairProtocol p = readCaviPairs(index, file, /*folds=*/10, /*seed=*/1);
    checkPairs(index, p, 10);
    size_t n = 0;
    for (const auto& fold : p.folds) n += fold.size();
    FUZZ_REQUIRE(n == p.pairCount());
    if (n > 0) FUZZ_REQUIRE(!p.folds.empty());
}

void fuzzWebcariVerification(const std::uint8_t* data, size_t size, WebcariVerification kind, int view)
{
    static const DatasetIndex index = webcariIndex();
    const bool restricted = kind == WebcariVerification::Restricted;
    const std::string dir = std::string("webcari/EvaluationProtocols/FaceVerification/") + (restricted ? "Restricted/" : "UnRestricted/");
    const std::string stem = restricted ? "RestrictedView" : "UnRestrictedView";
    if (view == 1) {
        writeScratchFile(dir + stem + "1_DevTrain.txt", data, size);
        writeScratchFile(dir + stem + "1_DevTest.txt", data, size);
    } else {
        writeScratchFile(dir + stem + "2.txt", data, size);
    }
    try {
        checkPairs(index, readWebcariVerification(index, kind, view), view == 1 ? 1 : 10);
    } catch (const std::runtime_error&) {
        // A count line that is not a count: the file as a whole is unusable, and says where.
    }
}

void fuzzWebcariIdentification(const std::uint8_t* data, size_t size)
{
    static const DatasetIndex index = webcariIndex();
    const std::string dir = "webcari/EvaluationProtocols/FaceIdentification/C2P/";
    writeScratchFile(dir + "FR_Gallery_C2P_dev.txt", data, size);
    writeScratchFile(dir + "FR_Probe_C2P_dev.txt", data, size);
    const IdentificationProtocol p = readWebcariIdentification(index, WebcariDirection::C2P, 1);
    FUZZ_REQUIRE(p.folds.size() == 1);
    checkImages(index, p.folds[0].gallery);
    checkImages(index, p.folds[0].probe);
}

void fuzzWebcariTrainSubjects(const std::uint8_t* data, size_t size)
{
    static const DatasetIndex index = webcariIndex();
    writeScratchFile("webcari/EvaluationProtocols/FaceIdentification/FR_Train_dev.txt", data, size);
    std::vector<ProtocolIssue> issues;
    try {
        for (const auto& name : readWebcariTrainSubjects(index, "_dev", &issues)) {
            bool known = false;
            for (const auto& id : index.identities) known = known || id == name;
            FUZZ_REQUIRE(known);
        }
    } catch (const std::runtime_error&) {
        // No subject count on the first line.
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size)
{
    if (size == 0) return 0;
    const std::uint8_t* file = data + 1;
    const size_t fileSize = size - 1;
    switch (static_cast<std::uint8_t>(data[0] - '0') % 7) {
    case 0: fuzzCavi(file, fileSize); break;
    case 1: fuzzWebcariVerification(file, fileSize, WebcariVerification::Restricted, 1); break;
    case 2: fuzzWebcariVerification(file, fileSize, WebcariVerification::Restricted, 2); break;
    case 3: fuzzWebcariVerification(file, fileSize, WebcariVerification::Unrestricted, 1); break;
    case 4: fuzzWebcariVerification(file, fileSize, WebcariVerification::Unrestricted, 2); break;
    case 5: fuzzWebcariIdentification(file, fileSize); break;
    default: fuzzWebcariTrainSubjects(file, fileSize); break;
    }
    return 0;
}
