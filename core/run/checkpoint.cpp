#include "run/checkpoint.h"

#include "io/atomic_file.h"
#include "pretrained/sha256.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/Generator.h>
#include <torch/optim.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <regex>
#include <set>
#include <unistd.h>

namespace carilab::run {
namespace fs = std::filesystem;

namespace {

std::string stepName(long long step)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "step-%08lld.pt", step);
    return buf;
}

void checkCompatible(const nlohmann::json& have, const nlohmann::json& want, const std::string& path)
{
    for (const char* key : {"backbone", "num_classes", "input_size"}) {
        if (!want.contains(key)) continue;
        if (!have.contains(key) || have[key] != want[key])
            throw std::runtime_error(path + ": checkpoint has " + key + " = " + (have.contains(key) ? have[key].dump() : "none") +
                                     " but this run needs " + want[key].dump() + "; it belongs to another run or backbone");
    }
}

// A checkpoint copied in from another run (or renamed) would be used, and reported, as this run's.
// Checkpoints from before run ids carry none and are judged by their tensors alone.
void checkSameRun(const nlohmann::json& have, const nlohmann::json& want, const std::string& path)
{
    const std::string mine = want.value("run_id", std::string()), theirs = have.value("run_id", std::string());
    if (!mine.empty() && !theirs.empty() && mine != theirs)
        throw std::runtime_error(path + ": belongs to another run (run id " + theirs + ", this run's is " + mine +
                                 "); it was copied in from elsewhere and is not used");
    static const std::regex kName(R"(step-(\d+)\.pt)");
    std::smatch m;
    const std::string name = fs::path(path).filename().string();
    if (std::regex_match(name, m, kName) && have.contains("step") && have["step"].is_number_integer() &&
        std::stoll(m[1].str()) != have["step"].get<long long>())
        throw std::runtime_error(path + ": is named for step " + std::to_string(std::stoll(m[1].str())) + " but holds step " +
                                 std::to_string(have["step"].get<long long>()) + "; it was renamed or copied in and is not used");
}

std::string shapeText(at::IntArrayRef sizes)
{
    std::string out = "[";
    for (size_t i = 0; i < sizes.size(); ++i) out += (i ? ", " : "") + std::to_string(sizes[i]);
    return out + "]";
}

struct PendingCopy {
    torch::Tensor target;
    torch::Tensor source;
};

// Walks a module exactly as Module::save wrote it (own parameters, own buffers, then one
// sub-archive per child) and checks every tensor's name, shape and dtype before anything is
// copied: torch's own Module::load replaces a parameter whose shape differs without a word and
// stops half-way on a missing one, leaving a half-loaded network.
void collectModule(torch::serialize::InputArchive& archive, const torch::nn::Module& module, const std::string& prefix, std::vector<PendingCopy>& out)
{
    std::set<std::string> expected;
    auto take = [&](const std::string& name, const torch::Tensor& target, bool isBuffer) {
        expected.insert(name);
        torch::Tensor source;
        bool found = false;
        try {
            found = archive.try_read(name, source, isBuffer);
        } catch (const std::exception&) {
            throw std::runtime_error("tensor '" + prefix + name + "' is stored as a " + (isBuffer ? "parameter" : "buffer") +
                                     " but this network has a " + (isBuffer ? "buffer" : "parameter"));
        }
        if (!found) throw std::runtime_error("tensor '" + prefix + name + "' is missing");
        if (!source.sizes().equals(target.sizes()))
            throw std::runtime_error("tensor '" + prefix + name + "' has shape " + shapeText(source.sizes()) + " but this network needs " +
                                     shapeText(target.sizes()));
        if (source.scalar_type() != target.scalar_type())
            throw std::runtime_error("tensor '" + prefix + name + "' has dtype " + std::string(c10::toString(source.scalar_type())) +
                                     " but this network needs " + c10::toString(target.scalar_type()));
        out.push_back({target, source});
    };
    for (const auto& p : module.named_parameters(/*recurse=*/false)) take(p.key(), p.value(), false);
    for (const auto& b : module.named_buffers(/*recurse=*/false)) take(b.key(), b.value(), true);
    for (const auto& child : module.named_children()) {
        if (!child.value()->is_serializable()) continue;
        expected.insert(child.key());
        torch::serialize::InputArchive sub;
        if (!archive.try_read(child.key(), sub)) throw std::runtime_error("module '" + prefix + child.key() + "' is missing");
        collectModule(sub, *child.value(), prefix + child.key() + ".", out);
    }
    for (const auto& key : archive.keys())
        if (!expected.count(key)) throw std::runtime_error("tensor '" + prefix + key + "' is not part of this network");
}

// Optimiser state tensors must match their parameter's shape, or the first step fails deep
// inside torch (or silently broadcasts).
void checkOptimizerState(torch::optim::Optimizer& opt)
{
    for (const auto& group : opt.param_groups()) {
        for (const auto& p : group.params()) {
            // torch keys optimiser state by the parameter's TensorImpl address, as text.
            auto it = opt.state().find(c10::guts::to_string(p.unsafeGetTensorImpl()));
            if (it == opt.state().end()) continue;
            std::vector<torch::Tensor> ts;
            if (const auto* r = dynamic_cast<const torch::optim::RMSpropParamState*>(it->second.get())) {
                ts.push_back(r->square_avg());
                ts.push_back(r->momentum_buffer());
                ts.push_back(r->grad_avg());
            } else if (const auto* a = dynamic_cast<const torch::optim::AdamParamState*>(it->second.get())) {
                ts.push_back(a->exp_avg());
                ts.push_back(a->exp_avg_sq());
                ts.push_back(a->max_exp_avg_sq());
            } else if (const auto* g = dynamic_cast<const torch::optim::SGDParamState*>(it->second.get())) {
                ts.push_back(g->momentum_buffer());
            }
            for (const auto& t : ts)
                if (t.defined() && !t.sizes().equals(p.sizes()))
                    throw std::runtime_error("optimiser state of shape " + shapeText(t.sizes()) + " for a parameter of shape " +
                                             shapeText(p.sizes()));
        }
    }
}

// Streams the archive into `file` through a plain descriptor and fsyncs it; returns the bytes'
// SHA-256. torch's own file writer throws from its destructor when the disk fills, which
// terminates the process; here a failed write is remembered, the rest of the archive is
// discarded, and the error thrown after.
std::string writeArchive(torch::serialize::OutputArchive& archive, const std::string& file)
{
    pretrained::Sha256 sha;
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw std::runtime_error(std::string("cannot create the file: ") + std::strerror(errno));
    int err = 0;
    try {
        archive.save_to([&](const void* data, size_t n) -> size_t {
            const char* p = static_cast<const char*>(data);
            sha.update(data, n);
            size_t left = n;
            while (err == 0 && left > 0) {
                const ssize_t w = ::write(fd, p, left);
                if (w < 0) {
                    if (errno != EINTR) err = errno;
                    continue;
                }
                p += w;
                left -= static_cast<size_t>(w);
            }
            return n;
        });
    } catch (...) {
        ::close(fd);
        throw;
    }
    if (err == 0 && ::fsync(fd) != 0) err = errno;
    if (::close(fd) != 0 && err == 0) err = errno;
    if (err != 0) throw std::runtime_error(std::string("write failed: ") + std::strerror(err));
    return sha.hexDigest();
}

// torch reads flipped bytes inside a tensor without complaint (the run then goes NaN on every
// retry); the digest written beside the file catches them. A checkpoint without a sidecar
// predates them and is trusted as before.
void verifyChecksum(const std::string& path)
{
    const std::string sidecar = checksumPath(path);
    std::error_code ec;
    if (!fs::exists(sidecar, ec)) return;
    const std::string text = io::readFile(sidecar);
    const std::string want = text.substr(0, std::min<size_t>(64, text.size()));
    if (want.size() != 64 || want.find_first_not_of("0123456789abcdef") != std::string::npos)
        throw std::runtime_error(path + ": its checksum file " + sidecar + " is damaged; the checkpoint cannot be trusted and is skipped");
    if (pretrained::sha256File(path) != want)
        throw std::runtime_error(path + ": checksum mismatch: the file changed after it was written (disk or copy damage); skipped");
}

}  // namespace

void removeStaleCheckpointTemps(const std::string& dir)
{
    std::error_code ec;
    static const std::regex kTemp(R"(step-\d+\.pt(?:\.sha256)?\.tmp-(\d+)(?:-\d+)?)");
    static const std::regex kSidecar(R"(step-\d+\.pt\.sha256)");
    std::vector<fs::path> stale;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        std::smatch m;
        const std::string name = it->path().filename().string();
        // A sidecar whose checkpoint is gone (killed between the two renames) guards nothing.
        if (std::regex_match(name, kSidecar) && !fs::exists(it->path().parent_path() / it->path().stem(), ec)) {
            stale.push_back(it->path());
            continue;
        }
        if (!std::regex_match(name, m, kTemp) || m[1].length() > 9) continue;
        const long pid = std::stol(m[1].str());
        // A live writer (another process saving into this run) keeps its file.
        if (pid == static_cast<long>(::getpid()) || (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH)) stale.push_back(it->path());
    }
    for (const auto& p : stale) fs::remove(p, ec);
}

std::string saveCheckpoint(const std::string& dir, long long step, const TrainingState& s, const nlohmann::json& meta, int keep)
{
    fs::create_directories(dir);
    torch::serialize::OutputArchive archive;
    nlohmann::json m = meta;
    m["step"] = step;
    archive.write("meta", c10::IValue(m.dump()));
    torch::serialize::OutputArchive model, center;
    s.net->save(model);
    s.center->save(center);
    archive.write("model", model);
    archive.write("center", center);
    if (s.optimizer) {
        torch::serialize::OutputArchive opt;
        s.optimizer->save(opt);
        archive.write("optimizer", opt);
    }
    if (s.strategy) {
        torch::serialize::OutputArchive strat;
        s.strategy->save(strat);
        archive.write("strategy", strat);
    }
    archive.write("rng", at::detail::getDefaultCPUGenerator().get_state());

    const std::string path = (fs::path(dir) / stepName(step)).string();
    const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
    try {
        // The sidecar goes first: a kill between the two renames leaves an orphan sidecar (removed
        // on resume), never a published checkpoint without its checksum.
        const std::string digest = writeArchive(archive, tmp);
        io::writeFileAtomic(checksumPath(path), digest + "  " + stepName(step) + "\n");
        fs::rename(tmp, path);
    } catch (const std::exception& e) {
        std::error_code ec;
        fs::remove(tmp, ec);
        throw std::runtime_error(path + ": cannot write checkpoint: " + e.what());
    }
    auto all = listCheckpoints(dir);
    for (size_t i = 0; i + static_cast<size_t>(keep) < all.size(); ++i) {
        std::error_code ec;
        fs::remove(all[i].second, ec);
        fs::remove(checksumPath(all[i].second), ec);
    }
    return path;
}

std::vector<std::pair<long long, std::string>> listCheckpoints(const std::string& dir)
{
    std::vector<std::pair<long long, std::string>> out;
    std::error_code ec;
    static const std::regex kName(R"(step-(\d+)\.pt)");
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        std::smatch m;
        const std::string name = it->path().filename().string();
        if (std::regex_match(name, m, kName)) out.emplace_back(std::stoll(m[1].str()), it->path().string());
    }
    std::sort(out.begin(), out.end());
    return out;
}

nlohmann::json readCheckpointMeta(const std::string& path)
{
    torch::serialize::InputArchive archive;
    try {
        archive.load_from(path);
        c10::IValue v;
        archive.read("meta", v);
        return nlohmann::json::parse(v.toStringRef());
    } catch (const std::exception& e) {
        throw std::runtime_error(path + ": not a readable CariLab checkpoint (corrupt or truncated?)");
    }
}

std::string checksumPath(const std::string& checkpoint) { return checkpoint + ".sha256"; }

long long loadCheckpoint(const std::string& path, const TrainingState& s, const nlohmann::json& expectedMeta)
{
    const nlohmann::json meta = readCheckpointMeta(path);  // a truncated file is named as such here
    verifyChecksum(path);
    checkSameRun(meta, expectedMeta, path);
    checkCompatible(meta, expectedMeta, path);
    torch::serialize::InputArchive archive;
    std::vector<PendingCopy> copies;
    try {
        archive.load_from(path);
        torch::serialize::InputArchive model, center;
        if (!archive.try_read("model", model)) throw std::runtime_error("it holds no model");
        if (!archive.try_read("center", center)) throw std::runtime_error("it holds no centre-loss state");
        collectModule(model, *s.net, "model.", copies);
        collectModule(center, *s.center, "center.", copies);
    } catch (const std::exception& e) {
        throw std::runtime_error(path + ": checkpoint does not fit this network: " + std::string(e.what()).substr(0, 300) + "; nothing was loaded");
    }
    try {
        // Optimiser and strategy state come next; the network is only touched once all of it read.
        if (s.optimizer) {
            torch::serialize::InputArchive opt;
            archive.read("optimizer", opt);
            s.optimizer->load(opt);
            checkOptimizerState(*s.optimizer);
        }
        if (s.strategy) {
            torch::serialize::InputArchive strat;
            archive.read("strategy", strat);
            s.strategy->load(strat);
        }
        torch::Tensor rng;
        archive.read("rng", rng);
        auto generator = at::detail::getDefaultCPUGenerator();
        generator.set_state(rng);
    } catch (const std::exception& e) {
        throw std::runtime_error(path +
                                 ": checkpoint's optimiser or strategy state is damaged or does not fit: " + std::string(e.what()).substr(0, 300));
    }
    torch::NoGradGuard noGrad;
    for (auto& c : copies) c.target.copy_(c.source);
    return meta.value("step", 0LL);
}

}  // namespace carilab::run
