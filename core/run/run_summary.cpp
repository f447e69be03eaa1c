#include "run/run_summary.h"

#include "run/checkpoint.h"
#include "run/run_directory.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

namespace carilab::run {
namespace fs = std::filesystem;

namespace {

// status.json is written by the process training the run, so after a SIGKILL it still says
// "running". The folder's lock tells: a live writer holds it, a dead one cannot.
void addLiveness(RunSummary& s, const RunDirectory& rd, const nlohmann::json& status)
{
    const auto ckpts = listCheckpoints(rd.checkpointsDir());
    if (!ckpts.empty()) s.lastCheckpoint = ckpts.back().first;
    const auto writer = rd.writer();
    s.live = writer.has_value();
    if (writer) {
        s.pid = writer->pid;
        return;
    }
    if (s.state != "running" && s.state != "paused" && s.state != "stopping") return;
    s.note = (s.note.empty() ? "" : s.note + "; ") + "the process training this run is gone (killed or crashed) while it was " + s.state +
        " at step " + std::to_string(status.value("step", 0LL)) + "; " +
        (ckpts.empty() ? std::string("it has no checkpoint, so it starts again from step 0")
                       : "its last checkpoint is step " + std::to_string(ckpts.back().first)) +
        ". Continue it with carilab-cli train --run-dir " + rd.path() + " --resume";
    s.state = "interrupted";
}

void keepBest(std::optional<double>& best, const std::optional<double>& v)
{
    if (v && std::isfinite(*v) && (!best || *v > *best)) best = v;
}

BestHeldOut bestOf(const std::vector<HeldOutRecord>& records)
{
    BestHeldOut b;
    for (const auto& r : records) {
        const auto& f = r.figures;
        if (f.verification) {
            keepBest(b.verificationAcc, f.verification->acc);
            keepBest(b.verificationAuc, f.verification->auc);
        }
        keepBest(b.caricatureAcc, f.caricatureAcc);
        keepBest(b.visualAcc, f.visualAcc);
    }
    return b;
}

void addMetrics(RunSummary& s, const MetricsFile& metrics)
{
    if (!metrics.train.empty()) {
        const StepRecord& last = metrics.train.back();
        s.step = last.step;
        s.lastLoss = last.loss;
        s.lastWeight = last.weight;
        s.imagesPerS = last.imagesPerS;
    }
    s.best = bestOf(metrics.heldOut);
    if (metrics.truncatedTail) s.note = "metrics.jsonl ends in a torn line (the process was killed); it was ignored";
}

}  // namespace

RunSummary summarizeRun(const std::string& dir)
{
    RunSummary s;
    s.path = dir;
    s.name = fs::path(dir).filename().string();
    try {
        const RunDirectory rd = RunDirectory::open(dir);
        // Read leniently, key by key: a run list shows what it can of any config.json, even one
        // an older or newer CariLab wrote (trainConfigFromJson would refuse its unknown keys).
        const auto config = rd.config();
        s.dataset = config.value("dataset", std::string());
        s.backbone = config.value("backbone", std::string());
        const auto& strat = config.contains("strategy") ? config["strategy"] : nlohmann::json();
        s.strategy = strat.is_object() ? strat.value("name", std::string()) : strat.is_string() ? strat.get<std::string>() : std::string();
        s.totalSteps = config.value("steps", 0LL);
        const auto& dist = config.contains("distributed") ? config["distributed"] : nlohmann::json();
        if (dist.is_object() && dist.contains("world_size") && dist["world_size"].is_number_integer())
            s.ranks = std::max(1, dist["world_size"].get<int>());
        const auto status = rd.status();
        s.state = status.value("state", std::string("unknown"));
        addMetrics(s, rd.metrics());
        addLiveness(s, rd, status);
    } catch (const std::exception& e) {
        s.ok = false;
        s.state = "broken";
        s.error = e.what();
    }
    return s;
}

RunStatus currentRunStatus(const std::string& dir)
{
    const RunDirectory rd = RunDirectory::open(dir);
    const auto status = rd.status();
    RunStatus s{status.value("state", std::string("unknown")), status.value("message", std::string())};
    if ((s.state == "running" || s.state == "paused" || s.state == "stopping") && !rd.writer()) s.state = "interrupted";
    return s;
}

std::vector<std::string> findRuns(const std::string& root)
{
    std::vector<std::string> out;
    std::error_code ec;
    for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
        std::error_code e2;
        if (it->is_directory(e2) && fs::exists(it->path() / "config.json", e2)) out.push_back(it->path().string());
    }
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace carilab::run
