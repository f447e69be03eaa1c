#include "run/run_directory.h"

#include "io/atomic_file.h"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iomanip>
#include <random>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace carilab::run {
namespace fs = std::filesystem;

namespace {

nlohmann::json readJsonFile(const std::string& path)
{
    const std::string text = io::readFile(path);
    nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded()) throw std::runtime_error(path + ": not valid JSON");
    return j;
}

std::string isoNow()
{
    const auto now = std::chrono::system_clock::now();
    const std::time_t t = std::chrono::system_clock::to_time_t(now);
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::ostringstream ss;
    ss << std::put_time(&tm, "%Y-%m-%dT%H:%M:%SZ");
    return ss.str();
}

}  // namespace

RunDirectory RunDirectory::create(const std::string& path, const nlohmann::json& config)
{
    if (isRun(path))
        throw std::runtime_error(path + ": already holds a run (config.json exists); use --resume to continue it or choose another --run-dir");
    std::error_code ec;
    fs::create_directories(fs::path(path) / "checkpoints", ec);
    if (ec) throw std::runtime_error(path + ": cannot create run folder: " + ec.message());
    RunDirectory r(fs::absolute(path).lexically_normal().string());
    r.writeConfig(config);
    r.ensureRunId();
    return r;
}

RunDirectory RunDirectory::open(const std::string& path)
{
    std::error_code ec;
    if (!fs::is_directory(path, ec)) throw std::runtime_error(path + ": run folder does not exist");
    if (!fs::exists(fs::path(path) / "config.json", ec)) throw std::runtime_error(path + ": not a run folder (no config.json)");
    RunDirectory r(fs::absolute(path).lexically_normal().string());
    r.config();  // validates that it parses
    return r;
}

bool RunDirectory::isRun(const std::string& path)
{
    std::error_code ec;
    return fs::exists(fs::path(path) / "config.json", ec);
}

std::string RunDirectory::configPath() const { return (fs::path(path_) / "config.json").string(); }
std::string RunDirectory::metricsPath() const { return (fs::path(path_) / "metrics.jsonl").string(); }
std::string RunDirectory::checkpointsDir() const { return (fs::path(path_) / "checkpoints").string(); }
std::string RunDirectory::evalPath() const { return (fs::path(path_) / "eval.json").string(); }
std::string RunDirectory::logPath() const
{
    if (isReplica()) return (fs::path(path_) / "logs" / ("rank" + std::to_string(replicaRank_) + ".txt")).string();
    return (fs::path(path_) / "log.txt").string();
}

RunDirectory RunDirectory::openAsReplica(const std::string& path, int rank)
{
    RunDirectory r = open(path);
    r.replicaRank_ = rank;
    std::error_code ec;
    fs::create_directories(fs::path(r.logPath()).parent_path(), ec);
    if (ec) throw std::runtime_error(r.path_ + ": cannot create logs/ for rank " + std::to_string(rank) + ": " + ec.message());
    return r;
}
std::string RunDirectory::statusPath() const { return (fs::path(path_) / "status.json").string(); }
std::string RunDirectory::runIdPath() const { return (fs::path(path_) / "run_id").string(); }

std::string RunDirectory::runId() const
{
    std::error_code ec;
    if (!fs::exists(runIdPath(), ec)) return {};
    std::string id = io::readFile(runIdPath());
    while (!id.empty() && (id.back() == '\n' || id.back() == '\r' || id.back() == ' ')) id.pop_back();
    return id;
}

std::string RunDirectory::ensureRunId() const
{
    if (std::string id = runId(); !id.empty() || isReplica()) return id;
    std::random_device rd;
    char buf[33];
    std::snprintf(buf, sizeof buf, "%08x%08x%08x%08x", rd(), rd(), rd(), rd());
    io::writeFileAtomic(runIdPath(), std::string(buf) + "\n");
    return buf;
}

nlohmann::json RunDirectory::config() const
{
    nlohmann::json j = readJsonFile(configPath());
    if (!j.is_object()) throw std::runtime_error(configPath() + ": expected a JSON object");
    return j;
}

void RunDirectory::writeConfig(const nlohmann::json& config) const
{
    if (!isReplica()) io::writeFileAtomic(configPath(), config.dump(2) + "\n");
}

void RunDirectory::appendMetrics(const MetricsRecord& record) const
{
    if (!isReplica()) appendMetricsRecord(metricsPath(), record);
}

MetricsFile RunDirectory::metrics() const { return readMetricsFile(metricsPath()); }

void RunDirectory::removeStaleTempFiles() const
{
    if (isReplica()) return;
    static const std::regex kTemp(R"(.+\.tmp-(\d+)-\d+)");
    std::error_code ec;
    std::vector<fs::path> stale;
    for (fs::directory_iterator it(path_, ec), end; !ec && it != end; it.increment(ec)) {
        std::smatch m;
        const std::string name = it->path().filename().string();
        if (!std::regex_match(name, m, kTemp) || m[1].length() > 9) continue;
        const long pid = std::stol(m[1].str());
        if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) stale.push_back(it->path());
    }
    for (const auto& p : stale) fs::remove(p, ec);
}

void RunDirectory::log(const std::string& line) const { io::appendLine(logPath(), isoNow() + "  " + line); }

nlohmann::json RunDirectory::eval() const
{
    std::error_code ec;
    if (!fs::exists(evalPath(), ec)) return nlohmann::json::object();
    return readJsonFile(evalPath());
}

void RunDirectory::mergeEval(const nlohmann::json& results) const
{
    if (isReplica()) return;
    nlohmann::json j = eval();
    if (!j.is_object()) j = nlohmann::json::object();
    j.update(results);
    io::writeFileAtomic(evalPath(), j.dump(2) + "\n");
}

nlohmann::json RunDirectory::status() const
{
    std::error_code ec;
    if (!fs::exists(statusPath(), ec)) return {{"state", "created"}, {"step", 0}};
    try {
        return readJsonFile(statusPath());
    } catch (const std::exception& e) {
        return {{"state", "unknown"}, {"step", 0}, {"message", e.what()}};
    }
}

void RunDirectory::writeStatus(const std::string& state, long long step, const std::string& message) const
{
    if (isReplica()) return;
    nlohmann::json j{{"state", state}, {"step", step}, {"updated", isoNow()}};
    if (!message.empty()) j["message"] = message;
    io::writeFileAtomic(statusPath(), j.dump(2) + "\n");
}

std::optional<io::FolderLock::Holder> RunDirectory::writer() const { return io::FolderLock::holder(path_); }

}  // namespace carilab::run
