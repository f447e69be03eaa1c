#pragma once
// The in-memory index of a face dataset, whatever its on-disk format.
#include "data/landmarks.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace carilab::data {

enum class Modality { Photo = 0, Caricature = 1 };
const char* modalityName(Modality m);  // "photo" / "caricature"
std::optional<Modality> parseModality(const std::string& s);

// An image file's modality as its folders say it, for an image that is not a dataset record: the
// three nearest parent folders, nearest first, compared case-insensitively (CaVI's Caricature/
// and Real/, CariSynth's and generic folders' caricature/ and photo/). By name only: the folders
// need not exist. Empty when none of them says.
struct ModalityFromFolder {
    Modality modality = Modality::Photo;
    std::string folder;  // the folder name that told
};
std::optional<ModalityFromFolder> modalityFromFolders(const std::string& imagePath);

struct ImageRecord {
    std::string path;  // absolute or root-relative as stored; see DatasetIndex::absolutePath
    int identity = -1;  // index into DatasetIndex::identities
    Modality modality = Modality::Photo;
    std::optional<Landmarks5> landmarks;
    std::optional<FaceBox> box;  // from a dataset's own landmarks (WebCaricature), for box crops
    // face-api's aligned face box (data/face_boxes.h), what face-resnet crops; from the
    // dataset's face_boxes.csv, written by `dataset align`.
    std::optional<FaceBox> faceApiBox;
};

struct SkippedFile {
    std::string path;
    std::string reason;
};

struct DatasetIndex {
    std::string root;  // absolute dataset root
    std::string format;  // "folder", "cavi", ...
    std::vector<std::string> identities;
    std::vector<ImageRecord> images;  // paths relative to root
    std::vector<SkippedFile> skipped;
    std::vector<std::string> warnings;  // e.g. identities with one modality only
    // Where the format's protocol files live (CaVI's train-test-files/, WebCaricature's
    // EvaluationProtocols/); empty when the dataset has none.
    std::string protocolRoot;

    std::string absolutePath(const ImageRecord& r) const;
    int count(Modality m) const;
    // Per-identity image counts: [identity][modality].
    std::vector<std::array<int, 2>> countsPerIdentity() const;
};

// A dataset format's contract: how sure it is that a folder is in its layout, and how to
// index it. load() never throws for single bad files (they go to skipped); it throws
// std::runtime_error with an actionable message when the folder as a whole is unusable.
class DatasetFormat {
public:
    virtual ~DatasetFormat() = default;
    virtual std::string name() const = 0;
    virtual double detect(const std::string& root) const = 0;  // 0 = no, 1 = certain
    virtual DatasetIndex load(const std::string& root) const = 0;
};

}  // namespace carilab::data
