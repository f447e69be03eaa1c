#pragma once
// One writer per folder: a run folder (train, eval) or a dataset (dataset align). The lock is
// flock(2) on "<folder>/.lock", which holds the writer's PID and what it is doing. The kernel
// drops a flock when its process dies, so a lock left by a killed writer is stale by
// construction: the next writer takes it over and readers see the folder as not being written.
#include <optional>
#include <stdexcept>
#include <string>

namespace carilab::io {

// Thrown when another live process holds the folder's lock; the message names its PID.
class FolderLockedError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class FolderLock {
public:
    struct Holder {
        long pid = 0;
        std::string purpose;  // "train", "eval", "dataset align"; empty when not yet written
    };

    // Takes the lock of an existing folder or throws: FolderLockedError when a live process
    // holds it, std::runtime_error when the lock file cannot be created.
    FolderLock(const std::string& folder, const std::string& purpose);
    ~FolderLock();  // removes the lock file and releases the lock
    FolderLock(const FolderLock&) = delete;
    FolderLock& operator=(const FolderLock&) = delete;

    // The live writer of folder, if any. Probes with a shared lock held for microseconds; a
    // writer starting in that instant retries, so polling readers never refuse a writer.
    static std::optional<Holder> holder(const std::string& folder);
    static std::string lockPath(const std::string& folder);

private:
    std::string path_;
    int fd_ = -1;
};

}  // namespace carilab::io
