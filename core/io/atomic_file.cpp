#include "io/atomic_file.h"

#include "io/input_file.h"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace carilab::io {

namespace {

void writeAll(int fd, const char* data, size_t size, const std::string& path)
{
    while (size > 0) {
        const ssize_t n = ::write(fd, data, size);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw std::runtime_error(path + ": write failed: " + std::strerror(errno));
        }
        data += n;
        size -= static_cast<size_t>(n);
    }
}

}  // namespace

void writeFileAtomic(const std::string& path, const std::string& content)
{
    // Unique per call, not just per process: two threads rewriting the same file (status.json
    // from the trainer and the GUI) must not share, truncate and rename each other's temp file.
    static std::atomic<unsigned long> counter{0};
    const std::string tmp = path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw std::runtime_error(path + ": cannot create file: " + std::strerror(errno));
    try {
        writeAll(fd, content.data(), content.size(), path);
        if (::fsync(fd) != 0) throw std::runtime_error(path + ": fsync failed: " + std::strerror(errno));
    } catch (...) {
        ::close(fd);
        ::unlink(tmp.c_str());
        throw;
    }
    if (::close(fd) != 0) {
        ::unlink(tmp.c_str());
        throw std::runtime_error(path + ": close failed: " + std::strerror(errno));
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        throw std::runtime_error(path + ": rename failed: " + std::strerror(err));
    }
}

void appendLine(const std::string& path, const std::string& line)
{
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) throw std::runtime_error(path + ": cannot open for appending: " + std::strerror(errno));
    std::string buf = line;
    buf.push_back('\n');
    struct stat before {};
    const bool sized = ::fstat(fd, &before) == 0;
    try {
        // One write() of the whole line: O_APPEND makes it land contiguously.
        writeAll(fd, buf.data(), buf.size(), path);
    } catch (...) {
        // A full disk accepts part of the line: cut it off again, so the file still ends with
        // a complete record instead of a torn one that every reader has to step around.
        if (sized) (void)::ftruncate(fd, before.st_size);
        ::close(fd);
        throw;
    }
    if (::close(fd) != 0) throw std::runtime_error(path + ": close failed: " + std::strerror(errno));
}

std::string readFile(const std::string& path)
{
    // A pipe or device given as a config would block or never end; a missing file keeps its message.
    if (const std::string p = regularFileProblem(path); !p.empty() && p != "file not found") throw std::runtime_error(path + ": " + p);
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(path + ": cannot open");
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace carilab::io
