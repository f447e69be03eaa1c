#include "io/folder_lock.h"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace carilab::io {

namespace {

// The holder's "<pid> <purpose>" line; a writer that has just taken the lock may not have
// written it yet, hence the short retries.
FolderLock::Holder readHolder(int fd)
{
    FolderLock::Holder h;
    for (int attempt = 0; attempt < 5; ++attempt) {
        char buf[256] = {};
        const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
        if (n > 0) {
            char* end = nullptr;
            h.pid = std::strtol(buf, &end, 10);
            std::string rest(end ? end : "");
            while (!rest.empty() && (rest.front() == ' ')) rest.erase(rest.begin());
            while (!rest.empty() && (rest.back() == '\n' || rest.back() == ' ')) rest.pop_back();
            h.purpose = rest;
            if (h.pid > 0) return h;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return h;
}

bool sameFile(int fd, const std::string& path)
{
    struct stat a {
    }, b{};
    return ::fstat(fd, &a) == 0 && ::stat(path.c_str(), &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

std::string lockedMessage(const std::string& folder, const FolderLock::Holder& h)
{
    const std::string who = h.pid > 0 ? "process " + std::to_string(h.pid) : "another process";
    const std::string what = h.purpose.empty() ? "" : " (" + h.purpose + ")";
    return folder + ": is being written by " + who + what +
        "; wait for it to finish or stop it. Two writers would interleave their records in the same files";
}

}  // namespace

std::string FolderLock::lockPath(const std::string& folder) { return folder + "/.lock"; }

FolderLock::FolderLock(const std::string& folder, const std::string& purpose) : path_(lockPath(folder))
{
    // A reader's probe holds a shared lock for microseconds; a few retries step over it.
    for (int attempt = 0;; ++attempt) {
        const int fd = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) throw std::runtime_error(path_ + ": cannot create the lock file: " + std::strerror(errno) + " (check write permissions)");
        if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {
            // A releasing writer unlinks the file it held: then this lock guards nothing; retry.
            if (!sameFile(fd, path_)) {
                ::close(fd);
                continue;
            }
            const std::string line = std::to_string(::getpid()) + " " + purpose + "\n";
            if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, line.data(), line.size(), 0) != static_cast<ssize_t>(line.size())) {
                const int err = errno;
                ::close(fd);
                throw std::runtime_error(path_ + ": cannot write the lock file: " + std::strerror(err));
            }
            fd_ = fd;
            return;
        }
        const int err = errno;
        if (err != EWOULDBLOCK) {
            ::close(fd);
            throw std::runtime_error(path_ + ": cannot lock: " + std::strerror(err));
        }
        if (attempt >= 10) {
            const Holder h = readHolder(fd);
            ::close(fd);
            throw FolderLockedError(lockedMessage(folder, h));
        }
        ::close(fd);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

FolderLock::~FolderLock()
{
    // Unlink before unlocking, so no one can take a lock on a file that is about to vanish
    // without noticing (see sameFile).
    ::unlink(path_.c_str());
    ::close(fd_);
}

std::optional<FolderLock::Holder> FolderLock::holder(const std::string& folder)
{
    const int fd = ::open(lockPath(folder).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    std::optional<Holder> out;
    if (::flock(fd, LOCK_SH | LOCK_NB) == 0)
        ::flock(fd, LOCK_UN);
    else if (errno == EWOULDBLOCK)
        out = readHolder(fd);
    ::close(fd);
    return out;
}

}  // namespace carilab::io
