#include "data/dataset_registry.h"

#include "data/cavi_format.h"
#include "data/face_boxes.h"
#include "data/folder_format.h"
#include "data/landmarks.h"
#include "data/webcaricature_format.h"

#include <filesystem>
#include <map>
#include <stdexcept>

namespace carilab::data {

namespace fs = std::filesystem;

std::vector<std::unique_ptr<DatasetFormat>> datasetFormats()
{
    std::vector<std::unique_ptr<DatasetFormat>> f;
    f.push_back(std::make_unique<FolderFormat>());
    f.push_back(std::make_unique<CaviFormat>());
    f.push_back(std::make_unique<WebCaricatureFormat>());
    return f;
}

std::vector<std::string> datasetFormatNames()
{
    std::vector<std::string> names;
    for (const auto& f : datasetFormats()) names.push_back(f->name());
    return names;
}

void mergeLandmarksSidecar(DatasetIndex& index)
{
    const fs::path file = fs::path(index.root) / kLandmarksFileName;
    std::error_code ec;
    if (!fs::is_regular_file(file, ec)) return;
    std::map<std::string, Landmarks5> rows;
    try {
        rows = readLandmarksCsv(file.string());
    } catch (const std::exception& e) {
        index.warnings.push_back(std::string(e.what()) + " -- those landmarks are ignored");
        return;
    }
    std::size_t used = 0;
    for (auto& r : index.images) {
        if (r.landmarks) continue;  // the dataset's own annotation wins
        if (auto it = rows.find(r.path); it != rows.end()) {
            r.landmarks = it->second;
            ++used;
        }
    }
    if (used < rows.size())
        index.warnings.push_back(file.string() + ": " + std::to_string(rows.size() - used) +
                                 " rows name no image of the dataset (or one that has landmarks already); ignored");
}

void mergeFaceBoxesSidecar(DatasetIndex& index)
{
    const fs::path file = fs::path(index.root) / kFaceBoxesFileName;
    std::error_code ec;
    if (!fs::is_regular_file(file, ec)) return;
    std::map<std::string, FaceBoxRow> rows;
    try {
        rows = readFaceBoxesCsv(file.string());
    } catch (const std::exception& e) {
        index.warnings.push_back(std::string(e.what()) + " -- those face boxes are ignored (run `carilab-cli dataset align` again)");
        return;
    }
    for (auto& r : index.images)
        if (auto it = rows.find(r.path); it != rows.end() && it->second.found()) r.faceApiBox = it->second.box;
}

std::string detectDatasetFormat(const std::string& root)
{
    std::error_code ec;
    if (!std::filesystem::exists(root, ec)) throw std::runtime_error(root + ": dataset folder does not exist");
    if (!std::filesystem::is_directory(root, ec)) throw std::runtime_error(root + ": is a file, not a dataset folder");
    bool anySubfolder = false;
    for (std::filesystem::directory_iterator it(root, ec), end; !ec && it != end && !anySubfolder; it.increment(ec))
        anySubfolder = it->is_directory(ec);
    if (!anySubfolder)
        throw std::runtime_error(root + ": no identities found (no subfolders); expected <root>/<identity>/{photo,caricature}/<images>");
    std::string best;
    double bestScore = 0.0;
    std::string tried;
    for (const auto& f : datasetFormats()) {
        const double s = f->detect(root);
        tried += (tried.empty() ? "" : ", ") + f->name();
        if (s > bestScore) {
            bestScore = s;
            best = f->name();
        }
    }
    if (bestScore < 0.5)
        throw std::runtime_error(root + ": not a recognised dataset layout (tried " + tried +
                                 "); the generic layout is <root>/<identity>/{photo,caricature}/<images>, CaVI has "
                                 "Caricature/ and Real/, WebCaricature has OriginalImages/");
    return best;
}

DatasetIndex loadDataset(const std::string& root, const std::string& format)
{
    const std::string name = format == "auto" ? detectDatasetFormat(root) : format;
    for (const auto& f : datasetFormats()) {
        if (f->name() != name) continue;
        DatasetIndex index = f->load(root);
        if (name != "folder") mergeLandmarksSidecar(index);  // the folder format reads it itself
        mergeFaceBoxesSidecar(index);
        return index;
    }
    std::string known;
    for (const auto& n : datasetFormatNames()) known += " " + n;
    throw std::runtime_error("unknown dataset format '" + format + "' (known: auto" + known + ")");
}

}  // namespace carilab::data
