#include "run/run_opening.h"

#include "io/folder_lock.h"
#include "run/folder_guard.h"
#include "run/resume_rules.h"

#include <filesystem>
#include <stdexcept>

namespace carilab::run {

namespace {

// Stored absolute: a relative path would name another folder from another working folder.
std::string canonicalDataset(const std::string& dataset)
{
    std::error_code ec;
    const auto canonical = std::filesystem::weakly_canonical(std::filesystem::absolute(dataset), ec);
    return ec ? dataset : canonical.string();
}

OpenedRun createRun(TrainConfig config, const std::string& runDir, std::unique_ptr<io::FolderLock>& lock)
{
    validate(config);
    checkNewRunFolder(runDir, config.dataset);
    config.dataset = canonicalDataset(config.dataset);
    std::error_code ec;
    std::filesystem::create_directories(runDir, ec);
    if (ec) throw std::runtime_error(runDir + ": cannot create run folder: " + ec.message());
    lock = std::make_unique<io::FolderLock>(runDir, "train");
    return {RunDirectory::create(runDir, toJson(config)), config};
}

OpenedRun reopenRun(const TrainConfig& requested, const std::string& runDir, std::unique_ptr<io::FolderLock>& lock)
{
    RunDirectory::open(runDir);  // a clear message for a folder that holds no run, before locking it
    lock = std::make_unique<io::FolderLock>(runDir, "train");
    RunDirectory dir = RunDirectory::open(runDir);
    const TrainConfig stored = trainConfigFromJson(dir.config(), dir.configPath());
    TrainConfig config = resumedConfig(stored, {requested.steps, requested.epochs});
    if (config.steps != stored.steps || config.epochs != stored.epochs) dir.writeConfig(toJson(config));
    return {std::move(dir), config};
}

}  // namespace

OpenedRun openTrainingRun(const TrainConfig& requested, const std::string& runDir, bool resume, std::unique_ptr<io::FolderLock>& lock)
{
    return resume ? reopenRun(requested, runDir, lock) : createRun(requested, runDir, lock);
}

}  // namespace carilab::run
