#include "match/dataset_alignment.h"

#include "data/dataset_registry.h"
#include "data/face_boxes.h"
#include "data/image_decode.h"
#include "data/landmarks.h"
#include "io/atomic_file.h"
#include "io/folder_lock.h"

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>

namespace carilab::match {

namespace fs = std::filesystem;

namespace {

constexpr const char* kCopyMarker = ".carilab-align-source";

// The dataset folder copied to `out` (hard links when possible). A marker naming the source
// lets an interrupted copy resume, and a later run update it, instead of being refused as
// "not empty".
void copyDataset(const fs::path& from, const fs::path& out)
{
    std::error_code ec;
    const fs::path marker = out / kCopyMarker;
    if (fs::exists(out, ec) && !fs::is_empty(out, ec)) {
        std::string source;
        try {
            source = io::readFile(marker.string());
        } catch (const std::exception&) {}
        if (source != from.string()) throw std::runtime_error(out.string() + ": exists and is not empty; give a new folder for the aligned copy");
    }
    fs::create_directories(out, ec);
    if (ec) throw std::runtime_error(out.string() + ": cannot create the folder (" + ec.message() + ")");
    io::writeFileAtomic(marker.string(), from.string());
    // File by file: a hard link where the file system allows (no space used), else a copy;
    // what an earlier run copied stays. Links inside the dataset are not followed (the loader
    // refuses them anyway), so nothing outside the dataset is copied.
    for (auto it = fs::recursive_directory_iterator(from, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        const fs::path to = out / it->path().lexically_relative(from);
        if (it->is_symlink(ec)) continue;
        if (it->is_directory(ec)) {
            fs::create_directories(to, ec);
        } else if (it->is_regular_file(ec) && !fs::exists(to)) {
            fs::create_hard_link(it->path(), to, ec);
            if (ec) {
                ec.clear();
                fs::copy_file(it->path(), to, ec);
            }
        }
        if (ec) throw std::runtime_error("copying " + it->path().string() + " to " + to.string() + ": " + ec.message());
    }
    if (ec) throw std::runtime_error("reading " + from.string() + ": " + ec.message());
}

struct Sidecars {
    std::map<std::string, data::Landmarks5> landmarks;
    std::map<std::string, data::FaceBoxRow> boxes;
};

template <typename Row>
std::map<std::string, Row> readSidecar(const std::string& file, std::map<std::string, Row> (*read)(const std::string&))
{
    std::error_code ec;
    if (!fs::is_regular_file(file, ec)) return {};
    try {
        return read(file);
    } catch (const std::exception& e) {
        throw std::runtime_error(std::string(e.what()) + " -- fix or remove it before aligning again");
    }
}

void saveSidecars(const DatasetAlignReport& r, const Sidecars& files)
{
    data::writeLandmarksCsv(r.landmarksFile, files.landmarks);
    data::writeFaceBoxesCsv(r.faceBoxesFile, files.boxes);
}

// Finds the face of one image: its 5 points (when it has none yet) and its face-api box, or a
// "no face" row so that a resumed run does not search it again. True when a row was added.
bool alignImage(const data::DatasetIndex& index, const data::ImageRecord& rec, FaceFinder& finder, Sidecars& files, DatasetAlignReport& r)
{
    try {
        const cv::Mat rgb = data::decodeImageRgb8(index.absolutePath(rec));
        const auto face = finder.find(rgb);
        data::FaceBoxRow row;
        row.detector = finder.detectorTag();
        if (face && face->faceApiBox) {
            row.box = *face->faceApiBox;
            row.score = static_cast<float>(face->score);
            ++r.faceBoxes;
        }
        files.boxes[rec.path] = row;
        if (rec.landmarks) return true;
        if (face && face->landmarks5) {
            files.landmarks[rec.path] = *face->landmarks5;
            ++r.aligned;
        } else if (face) {
            ++r.badLandmarks;
            r.badLandmarkFiles.push_back(rec.path);
        } else {
            ++r.noFace;
            r.noFaceFiles.push_back(rec.path);
        }
        return true;
    } catch (const std::exception& e) {
        ++r.unreadable;
        r.failures.push_back(rec.path + ": " + e.what());
        return false;
    }
}

}  // namespace

DatasetAlignReport alignDataset(const std::string& rootIn, const DatasetAlignOptions& o, FaceFinder& finder, const AlignProgress& progress)
{
    const auto t0 = std::chrono::steady_clock::now();
    std::error_code ec;
    if (!fs::is_directory(rootIn, ec)) throw std::runtime_error(rootIn + ": not a dataset folder");
    std::string root = rootIn;
    // Two aligners (or an aligner and a copy) rewriting landmarks.csv would each drop the other's
    // rows: the folder written is locked, before anything else can fail half-way.
    std::optional<io::FolderLock> lock;
    if (o.out.empty()) lock.emplace(root, "dataset align");
    if (!finder.fallbackReason().empty())
        throw std::runtime_error("aligning a dataset needs face-api's 68 landmarks, and " + finder.fallbackReason());
    if (!o.out.empty()) {
        const fs::path from = fs::weakly_canonical(fs::absolute(rootIn));
        const fs::path out = fs::weakly_canonical(fs::absolute(o.out));
        const auto rel = out.lexically_relative(from);
        if (!rel.empty() && rel.native().rfind("..", 0) != 0) throw std::runtime_error(o.out + ": is inside the dataset; give a folder outside it");
        copyDataset(from, out);
        root = out.string();
        lock.emplace(root, "dataset align");
    }

    const data::DatasetIndex index = data::loadDataset(root, o.format);
    DatasetAlignReport r;
    r.root = index.root;
    r.format = index.format;
    r.detector = finder.detectorTag();
    r.landmarksFile = (fs::path(index.root) / data::kLandmarksFileName).string();
    r.faceBoxesFile = (fs::path(index.root) / data::kFaceBoxesFileName).string();
    r.images = index.images.size();

    // Keep every row an earlier run (or the user) wrote; add ours.
    Sidecars files{readSidecar<data::Landmarks5>(r.landmarksFile, data::readLandmarksCsv),
                   readSidecar<data::FaceBoxRow>(r.faceBoxesFile, data::readFaceBoxesCsv)};
    std::size_t sinceSave = 0, done = 0;
    for (const auto& rec : index.images) {
        ++done;
        if (files.boxes.count(rec.path)) {  // searched by an earlier run (face or not)
            ++r.hadLandmarks;
        } else if (alignImage(index, rec, finder, files, r) && ++sinceSave >= static_cast<std::size_t>(std::max(1, o.saveEvery))) {
            saveSidecars(r, files);
            sinceSave = 0;
        }
        if (progress) progress(done, index.images.size());
    }
    if (sinceSave > 0 || !fs::exists(r.landmarksFile, ec) || !fs::exists(r.faceBoxesFile, ec)) saveSidecars(r, files);
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
}

nlohmann::json toJson(const DatasetAlignReport& r)
{
    return {{"root", r.root},
            {"format", r.format},
            {"landmarks_file", r.landmarksFile},
            {"face_boxes_file", r.faceBoxesFile},
            {"face_boxes", r.faceBoxes},
            {"detector", r.detector},
            {"images", r.images},
            {"had_landmarks", r.hadLandmarks},
            {"aligned", r.aligned},
            {"no_face", r.noFace},
            {"unreadable", r.unreadable},
            {"no_face_files", r.noFaceFiles},
            {"bad_landmarks", r.badLandmarks},
            {"bad_landmark_files", r.badLandmarkFiles},
            {"failures", r.failures},
            {"seconds", r.seconds}};
}

}  // namespace carilab::match
