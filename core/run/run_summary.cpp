#include "run/run_summary.h"

#include "run/checkpoint.h"
#include "run/run_directory.h"

#include <algorithm>
#include <filesystem>

namespace carilab::run {
namespace fs = std::filesystem;

namespace {

// status.json is written by the process training the run, so after a SIGKILL it still says
// "running". The folder's lock tells: a live writer holds it, a dead one cannot.
void addLiveness(nlohmann::json& s, const RunDirectory& rd, const nlohmann::json& status)
{
    const auto ckpts = listCheckpoints(rd.checkpointsDir());
    if (!ckpts.empty()) s["last_checkpoint"] = ckpts.back().first;
    const auto writer = rd.writer();
    s["live"] = writer.has_value();
    if (writer) {
        s["pid"] = writer->pid;
        return;
    }
    const std::string state = s.value("state", std::string());
    if (state != "running" && state != "paused" && state != "stopping") return;
    s["state"] = "interrupted";
    const std::string earlier = s.value("note", std::string());
    s["note"] = (earlier.empty() ? "" : earlier + "; ") + "the process training this run is gone (killed or crashed) while it was " + state +
        " at step " + std::to_string(status.value("step", 0LL)) + "; " +
        (ckpts.empty() ? std::string("it has no checkpoint, so it starts again from step 0")
                       : "its last checkpoint is step " + std::to_string(ckpts.back().first)) +
        ". Continue it with carilab-cli train --run-dir " + rd.path() + " --resume";
}

}  // namespace

nlohmann::json summarizeRun(const std::string& dir)
{
    nlohmann::json s{{"path", dir}, {"name", fs::path(dir).filename().string()}, {"ok", true}};
    try {
        const RunDirectory rd = RunDirectory::open(dir);
        const auto config = rd.config();
        s["dataset"] = config.value("dataset", std::string());
        s["backbone"] = config.value("backbone", std::string());
        const auto& strat = config.contains("strategy") ? config["strategy"] : nlohmann::json();
        s["strategy"] = strat.is_object() ? strat.value("name", std::string()) : strat.is_string() ? strat.get<std::string>() : std::string();
        s["total_steps"] = config.value("steps", 0LL);
        const auto status = rd.status();
        s["state"] = status.value("state", std::string("unknown"));
        const auto metrics = rd.metrics();
        s["step"] = metrics.train.empty() ? 0LL : metrics.train.back().value("step", 0LL);
        if (!metrics.train.empty()) {
            s["last_loss"] = metrics.train.back().value("loss", nlohmann::json::object());
            s["last_weight"] = metrics.train.back().value("weight", nlohmann::json::object());
            s["images_per_s"] = metrics.train.back().value("images_per_s", 0.0);
        }
        nlohmann::json best = nlohmann::json::object();
        for (const auto& e : metrics.eval)
            for (const char* k : {"verification_acc", "caricature_acc", "visual_acc", "verification_auc"})
                if (e.contains(k) && e[k].is_number() && (!best.contains(k) || e[k].get<double>() > best[k].get<double>())) best[k] = e[k];
        s["best"] = best;
        if (metrics.truncatedTail) s["note"] = "metrics.jsonl ends in a torn line (the process was killed); it was ignored";
        addLiveness(s, rd, status);
    } catch (const std::exception& e) {
        s["ok"] = false;
        s["state"] = "broken";
        s["error"] = e.what();
    }
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
