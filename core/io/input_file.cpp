#include "io/input_file.h"

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <sys/stat.h>

namespace carilab::io {

std::string regularFileProblem(const std::string& path)
{
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        switch (errno) {
        case ENOENT: return "file not found";
        case ENOTDIR: return "file not found (a part of the path is not a folder)";
        case EACCES: return "cannot be reached (check the permissions of its folders)";
        case ELOOP: return "is a looping symbolic link";
        default: return std::string("cannot be read (") + std::strerror(errno) + ")";
        }
    }
    if (S_ISREG(st.st_mode)) return {};
    if (S_ISDIR(st.st_mode)) return "is a folder, not a file";
    if (S_ISFIFO(st.st_mode)) return "is a pipe (FIFO), not a regular file; reading it could block forever. Save its content to a file first";
    if (S_ISCHR(st.st_mode)) return "is a character device (like /dev/zero), not a regular file";
    if (S_ISBLK(st.st_mode)) return "is a block device, not a regular file";
    if (S_ISSOCK(st.st_mode)) return "is a socket, not a regular file";
    return "is not a regular file";
}

void requireRegularFile(const std::string& path)
{
    if (const std::string p = regularFileProblem(path); !p.empty()) throw std::runtime_error(path + ": " + p);
}

}  // namespace carilab::io
