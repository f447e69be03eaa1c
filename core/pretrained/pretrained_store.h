#pragma once
// Where CariLab keeps pretrained networks and how it gets them. The only package today is
// @vladmandic/face-api (MIT), pinned by version and by the SHA-256 of its npm tarball. It is
// fetched by the setup (packaging/quickstart.sh) or by `carilab-cli pretrained fetch`, never
// behind the user's back: code that needs a model calls requireModelManifest(), which throws
// PretrainedMissing (saying where it looked and what to run) when the files are not there.
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace carilab::pretrained {

class PretrainedMissing : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct PretrainedPackage {
    std::string id;  // folder name under the cache: "face-api-1.7.15"
    std::string npmSpec;  // what `npm pack` is given
    std::string tarballSha256;  // of the .tgz npm pack writes (the registry's own tarball)
    std::string npmIntegrity;  // the registry's dist.integrity, for the record
    std::string licence;
    std::vector<std::string> models;  // <name>-weights_manifest.json + shards under model/
};

const PretrainedPackage& faceApiPackage();

// $CARILAB_PRETRAINED_DIR if set, else <io::userDataDir()>/pretrained.
std::string pretrainedRoot();
// <root>/<package id>: model/ (the package's model files) and LICENSE.
std::string packageDir(const PretrainedPackage& p);
// The stamp written last by a successful fetch: package, tarball hash, per-file hashes.
std::string stampPath(const PretrainedPackage& p);

// <packageDir>/model/<model>-weights_manifest.json, whether or not it exists.
std::string modelManifestPath(const std::string& model, const PretrainedPackage& p = faceApiPackage());
// The same, after checking the package was fetched and verified; else PretrainedMissing.
std::string requireModelManifest(const std::string& model, const PretrainedPackage& p = faceApiPackage());

struct FetchOptions {
    std::string tarball;  // verify and extract this file instead of running npm pack
    bool force = false;  // fetch again even when a verified copy is present
    std::function<void(const std::string&)> log;  // progress lines (optional)
};

struct FetchResult {
    std::string dir;
    bool alreadyPresent = false;
    std::string tarballSha256;
};

// npm pack -> SHA-256 check -> tar extracts package/model and package/LICENSE -> per-file hashes
// recorded in the stamp -> renamed into place. Throws std::runtime_error saying which step failed
// (npm missing or failing, checksum mismatch with both hashes, tar failing, a model missing from
// the tarball); a failed fetch leaves any previous copy untouched.
FetchResult fetchPackage(const PretrainedPackage& p, const FetchOptions& o = {});

struct InstalledFile {
    std::string relPath;  // model/face_recognition_model.bin
    std::uint64_t size = 0;
    bool ok = false;  // present and (FileCheck::Hashes) hash as recorded at fetch time
};

// Hashes: read every file and compare its SHA-256 (tens of milliseconds: not for a GUI thread).
// Presence: the stamp and every file it lists exist, for a status line.
enum class FileCheck { Hashes, Presence };

struct PackageStatus {
    std::string dir;
    bool fetched = false;  // the stamp exists
    bool verified = false;  // every recorded file passed the check asked for
    std::string problem;  // why not, for people
    std::vector<InstalledFile> files;
};

PackageStatus inspectPackage(const PretrainedPackage& p, FileCheck check = FileCheck::Hashes);

// Runs argv (argv[0] looked up in PATH) with stdout and stderr captured into `output`;
// returns the exit status, 127 when it could not be started.
int runChildProcess(const std::vector<std::string>& argv, std::string& output);

}  // namespace carilab::pretrained
