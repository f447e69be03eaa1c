#include "run/checkpoint.h"

#include <ATen/core/Generator.h>
#include <ATen/CPUGeneratorImpl.h>

#include <cstdio>
#include <filesystem>
#include <regex>
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

}  // namespace

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
        archive.save_to(tmp);
        // torch writes through a buffered stream; make it durable before the rename publishes it.
        if (FILE* f = std::fopen(tmp.c_str(), "rb")) {
            ::fsync(fileno(f));
            std::fclose(f);
        }
        fs::rename(tmp, path);
    } catch (const std::exception& e) {
        std::error_code ec;
        fs::remove(tmp, ec);
        throw std::runtime_error(path + ": cannot write checkpoint: " + e.what());
    }
    auto all = listCheckpoints(dir);
    for (size_t i = 0; i + (size_t)keep < all.size(); ++i) {
        std::error_code ec;
        fs::remove(all[i].second, ec);
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

long long loadCheckpoint(const std::string& path, const TrainingState& s, const nlohmann::json& expectedMeta)
{
    const nlohmann::json meta = readCheckpointMeta(path);
    checkCompatible(meta, expectedMeta, path);
    try {
        torch::serialize::InputArchive archive;
        archive.load_from(path);
        torch::serialize::InputArchive model, center;
        archive.read("model", model);
        archive.read("center", center);
        s.net->load(model);
        s.center->load(center);
        if (s.optimizer) {
            torch::serialize::InputArchive opt;
            archive.read("optimizer", opt);
            s.optimizer->load(opt);
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
        throw std::runtime_error(path + ": checkpoint does not fit this network or is damaged: " + std::string(e.what()).substr(0, 300));
    }
    return meta.value("step", 0LL);
}

}  // namespace carilab::run
