#pragma once
// The first part of a training session: the run folder, locked before anything in it is
// written, and the config the session will train with (a new run's as given; a resumed run's
// own, with the budget the resume rules allow).
#include "run/run_directory.h"
#include "run/train_config.h"

#include <memory>
#include <string>

namespace carilab::io {
class FolderLock;
}

namespace carilab::run {

struct OpenedRun {
    RunDirectory dir;
    TrainConfig config;
};

// resume: `requested` carries only the budget (steps/epochs, 0 = not given). `lock` receives
// the folder's lock before the first write.
OpenedRun openTrainingRun(const TrainConfig& requested, const std::string& runDir, bool resume, std::unique_ptr<io::FolderLock>& lock);

}  // namespace carilab::run
