#include "data/carisynth.h"

#include "data/carisynth_render.h"
#include "data/face_boxes.h"
#include "data/landmarks.h"

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#ifdef _WIN32
#include <process.h>
#else
#include <unistd.h>
#endif

namespace carilab::data {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr const char* kManifestName = "carisynth.json";
constexpr const char* kGeneratorName = "carisynth";
constexpr int kFormatVersion = 1;
constexpr int kMinSize = 32;
constexpr int kMaxSize = 1024;

// Random stream numbers: the identity's traits, then one stream per image of each modality.
constexpr std::uint64_t kIdentityStream = 0;
constexpr std::uint64_t kPhotoStream = 1;
constexpr std::uint64_t kCaricatureStream = 2;

struct ModalitySpec {
    const char* folder;
    const char* tag;
    std::uint64_t stream;
    int count;
    std::function<carisynth::RenderedImage(const carisynth::Identity&, int, carisynth::Rng&)> render;
};

using Row = std::pair<std::string, Landmarks5>;

long processId()
{
#ifdef _WIN32
    return static_cast<long>(_getpid());
#else
    return static_cast<long>(getpid());
#endif
}

void validate(const CariSynthOptions& o)
{
    if (o.identities < 2)
        throw std::invalid_argument("CariSynth: identities must be at least 2 (identification needs more than one "
                                    "person), got " +
                                    std::to_string(o.identities));
    if (o.photosPerIdentity < 1)
        throw std::invalid_argument("CariSynth: photos per identity must be at least 1, got " + std::to_string(o.photosPerIdentity));
    if (o.caricaturesPerIdentity < 1)
        throw std::invalid_argument("CariSynth: caricatures per identity must be at least 1, got " + std::to_string(o.caricaturesPerIdentity));
    if (o.size < kMinSize || o.size > kMaxSize)
        throw std::invalid_argument("CariSynth: image size must be between " + std::to_string(kMinSize) + " and " + std::to_string(kMaxSize) +
                                    " pixels, got " + std::to_string(o.size));
}

std::string padded(int value, int width)
{
    std::string digits = std::to_string(value);
    if (static_cast<int>(digits.size()) < width) digits.insert(0, static_cast<std::size_t>(width) - digits.size(), '0');
    return digits;
}

int digitCount(int value) { return static_cast<int>(std::to_string(value).size()); }

// Numbers are padded to the largest one in the set so that names sort in numeric order.
std::string identityName(int index, int identities) { return "id_" + padded(index + 1, std::max(4, digitCount(identities))); }

std::string imageName(const std::string& identity, const ModalitySpec& m, int index)
{
    return identity + "_" + m.tag + "_" + padded(index + 1, std::max(2, digitCount(m.count))) + ".jpg";
}

std::vector<ModalitySpec> modalities(const CariSynthOptions& o)
{
    return {{"photo", "p", kPhotoStream, o.photosPerIdentity, carisynth::renderPhoto},
            {"caricature", "c", kCaricatureStream, o.caricaturesPerIdentity, carisynth::renderCaricature}};
}

void writeJpeg(const fs::path& file, const cv::Mat& image, int quality)
{
    // Encoded in memory and written here rather than with cv::imwrite: identities render on
    // several threads, and ThreadSanitizer saw imwrite's file-name handling inside OpenCV read
    // one thread's path string from another. imencode's extension lookup drew the same report
    // now and then (2026-12-03), so encoding is serialised: it is a small part of rendering.
    static std::mutex encodeMutex;
    std::vector<unsigned char> bytes;
    try {
        const std::lock_guard<std::mutex> lock(encodeMutex);
        if (!cv::imencode(".jpg", image, bytes, {cv::IMWRITE_JPEG_QUALITY, quality}))
            throw std::runtime_error("CariSynth: cannot encode " + file.string());
    } catch (const cv::Exception& e) {
        throw std::runtime_error("CariSynth: cannot encode " + file.string() + ": " + e.what());
    }
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) throw std::runtime_error("CariSynth: cannot write " + file.string() + " (disk full or not writable?)");
}

void renderIdentity(const fs::path& root, const CariSynthOptions& o, int index, std::vector<Row>& rows)
{
    const std::string name = identityName(index, o.identities);
    carisynth::Rng traits(carisynth::streamSeed(o.seed, static_cast<std::uint64_t>(index), kIdentityStream));
    const carisynth::Identity identity = carisynth::sampleIdentity(traits);
    for (const ModalitySpec& m : modalities(o)) {
        const fs::path folder = root / name / m.folder;
        fs::create_directories(folder);
        for (int k = 0; k < m.count; ++k) {
            carisynth::Rng rng(carisynth::streamSeed(o.seed, static_cast<std::uint64_t>(index), (m.stream << 32) | static_cast<std::uint64_t>(k)));
            const carisynth::RenderedImage image = m.render(identity, o.size, rng);
            const std::string file = imageName(name, m, k);
            writeJpeg(folder / file, image.bgr, image.jpegQuality);
            rows.emplace_back(name + "/" + m.folder + "/" + file, image.landmarks);
        }
    }
}

// Identities are handed out one at a time from a shared counter; each result lands in its own
// slot, so the merged output is the same whatever the thread interleaving.
std::map<std::string, Landmarks5> renderAll(const fs::path& root, const CariSynthOptions& o)
{
    std::vector<std::vector<Row>> perIdentity(static_cast<std::size_t>(o.identities));
    std::atomic<int> next{0};
    std::atomic<bool> failed{false};
    std::exception_ptr failure;
    std::mutex failureMutex;
    const auto worker = [&] {
        while (!failed) {
            const int i = next++;
            if (i >= o.identities) return;
            try {
                renderIdentity(root, o, i, perIdentity[static_cast<std::size_t>(i)]);
            } catch (...) {
                const std::lock_guard<std::mutex> lock(failureMutex);
                if (!failure) failure = std::current_exception();
                failed = true;
            }
        }
    };
    const unsigned hardware = std::max(1u, std::thread::hardware_concurrency());
    const unsigned count = std::min(hardware, static_cast<unsigned>(o.identities));
    std::vector<std::thread> threads;
    try {
        for (unsigned t = 1; t < count; ++t) threads.emplace_back(worker);
    } catch (...) {
        failed = true;  // could not start a thread: let the started ones stop, then report
        for (std::thread& t : threads) t.join();
        throw;
    }
    worker();
    for (std::thread& t : threads) t.join();
    if (failure) std::rethrow_exception(failure);

    std::map<std::string, Landmarks5> rows;
    for (auto& identityRows : perIdentity)
        for (auto& row : identityRows) rows.insert(std::move(row));
    return rows;
}

json manifest(const CariSynthOptions& o, double seconds)
{
    return {{"generator", kGeneratorName},
            {"version", kFormatVersion},
            {"identities", o.identities},
            {"photos_per_identity", o.photosPerIdentity},
            {"caricatures_per_identity", o.caricaturesPerIdentity},
            {"size", o.size},
            {"seed", o.seed},
            {"seconds", seconds}};
}

void writeManifest(const fs::path& file, const json& j)
{
    std::ofstream out(file, std::ios::binary);
    out << j.dump(2) << '\n';
    out.flush();
    if (!out) throw std::runtime_error("CariSynth: cannot write " + file.string());
}

std::optional<json> readManifest(const fs::path& dir)
{
    std::ifstream in(dir / kManifestName, std::ios::binary);
    if (!in) return std::nullopt;
    json j = json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) return std::nullopt;
    return j;
}

bool isCariSynthManifest(const std::optional<json>& j) { return j && j->value("generator", std::string()) == kGeneratorName; }

// "a/b/" names the folder b, not an entry inside it; the temporary sibling is derived from it.
fs::path targetPath(const std::string& outDir)
{
    if (outDir.empty()) throw std::invalid_argument("CariSynth: no output folder given");
    fs::path p = fs::absolute(fs::path(outDir)).lexically_normal();
    if (p.filename().empty()) p = p.parent_path();
    if (p == p.root_path() || p.filename() == "..")
        throw std::invalid_argument("CariSynth: " + outDir + " cannot be an output folder; name a dedicated folder");
    return p;
}

enum class Target { Absent, Empty, CariSynthSet };

// What the generator writes: the manifest, landmarks.csv, id_* folders holding photo/ and
// caricature/ folders of .jpg files; and face_boxes.csv, which `dataset align` derives from
// the set's own images. Anything else in a set was put there by someone else.
bool isOwnEntry(const fs::directory_entry& e, int depth)
{
    std::error_code ec;
    const std::string name = e.path().filename().string();
    if (e.is_symlink(ec)) return false;
    if (depth == 0 && (name == kManifestName || name == kLandmarksFileName || name == kFaceBoxesFileName)) return e.is_regular_file(ec);
    if (depth == 0) return name.rfind("id_", 0) == 0 && e.is_directory(ec);
    if (depth == 1) return (name == "photo" || name == "caricature") && e.is_directory(ec);
    return e.path().extension() == ".jpg" && e.is_regular_file(ec);
}

// The first entry of an existing set that the generator did not write (a run trained into
// the set's folder, a file copied in): replacing the set must not delete it.
std::optional<fs::path> foreignEntry(const fs::path& dir, int depth = 0)
{
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        if (!isOwnEntry(*it, depth)) return it->path();
        if (depth < 2 && it->is_directory(ec))
            if (auto f = foreignEntry(it->path(), depth + 1)) return f;
    }
    return std::nullopt;
}

// Refuses anything that is not ours to replace: the generator only ever deletes a folder that
// is empty or carries its own manifest.
Target inspectTarget(const fs::path& dir)
{
    std::error_code ec;
    const fs::file_status st = fs::status(dir, ec);
    if (!fs::exists(st)) return Target::Absent;
    if (!fs::is_directory(st)) throw std::runtime_error("CariSynth: " + dir.string() + " exists and is not a folder; choose another output path");
    if (fs::is_empty(dir)) return Target::Empty;
    if (isCariSynthManifest(readManifest(dir))) {
        if (const auto foreign = foreignEntry(dir))
            throw std::runtime_error("CariSynth: refusing to replace the set in " + dir.string() + ": it holds " + foreign->string() +
                                     ", which the generator did not write (a run folder, a file copied in?). Move it out first, "
                                     "or choose another output folder.");
        return Target::CariSynthSet;
    }
    throw std::runtime_error("CariSynth: refusing to write into " + dir.string() +
                             ": it is not empty and holds no CariSynth set (no carisynth.json written by this "
                             "generator). Choose a new or empty folder, or remove this one first.");
}

void moveIntoPlace(const fs::path& temp, const fs::path& target)
{
    // Inspected again: the folder may have changed during the generation.
    if (inspectTarget(target) != Target::Absent) fs::remove_all(target);
    fs::rename(temp, target);
}

int countJpegs(const fs::path& dir)
{
    int n = 0;
    for (const auto& entry : fs::directory_iterator(dir))
        if (entry.is_regular_file() && entry.path().extension() == ".jpg") ++n;
    return n;
}

}  // namespace

CariSynthReport generateCariSynth(const std::string& outDir, const CariSynthOptions& options)
{
    validate(options);
    const auto start = std::chrono::steady_clock::now();
    const fs::path target = targetPath(outDir);
    inspectTarget(target);  // refuse before spending any time

    fs::create_directories(target.parent_path());
    const fs::path temp = target.parent_path() / (target.filename().string() + ".tmp-" + std::to_string(processId()));
    fs::remove_all(temp);  // left by a killed run whose pid was recycled
    fs::create_directory(temp);

    CariSynthReport report;
    try {
        const auto rows = renderAll(temp, options);
        writeLandmarksCsv((temp / kLandmarksFileName).string(), rows);
        report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        writeManifest(temp / kManifestName, manifest(options, report.seconds));
        moveIntoPlace(temp, target);
    } catch (...) {
        std::error_code ec;
        fs::remove_all(temp, ec);
        throw;
    }
    report.root = target.string();
    report.identities = options.identities;
    report.photos = options.identities * options.photosPerIdentity;
    report.caricatures = options.identities * options.caricaturesPerIdentity;
    return report;
}

bool isCariSynthSet(const std::string& dir, const CariSynthOptions& options)
{
    try {
        validate(options);
        const fs::path root(dir);
        const auto j = readManifest(root);
        if (!isCariSynthManifest(j)) return false;
        const json expected = manifest(options, 0.0);
        for (const char* key : {"version", "identities", "photos_per_identity", "caricatures_per_identity", "size", "seed"})
            if (!j->contains(key) || (*j)[key] != expected[key]) return false;
        if (!fs::is_regular_file(root / kLandmarksFileName)) return false;
        for (int i = 0; i < options.identities; ++i) {
            const fs::path identity = root / identityName(i, options.identities);
            for (const ModalitySpec& m : modalities(options)) {
                const fs::path folder = identity / m.folder;
                if (!fs::is_directory(folder) || countJpegs(folder) != m.count) return false;
            }
        }
        return true;
    } catch (const std::exception&) {
        return false;  // unreadable or malformed: not a usable set
    }
}

}  // namespace carilab::data
