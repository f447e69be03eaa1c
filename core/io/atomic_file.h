#pragma once
// Crash-safe file writes: a reader sees the old content or the new, never a torn file.
#include <string>

namespace carilab::io {

// Writes to "<path>.tmp-<pid>-<n>" (unique per call), fsyncs, then renames over path (atomic on POSIX).
// Throws std::runtime_error naming the path when the disk is full or unwritable; the old
// file is left untouched in that case.
void writeFileAtomic(const std::string& path, const std::string& content);

// Appends one line (a '\n' is added) and flushes it to the kernel, so a killed process
// loses at most the line being written. When the write fails (disk full) the partial line is
// cut off again and std::runtime_error names the path.
void appendLine(const std::string& path, const std::string& line);

std::string readFile(const std::string& path);

}  // namespace carilab::io
