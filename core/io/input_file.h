#pragma once
// Inputs are regular files. A FIFO blocks forever on open and /dev/zero never ends, so neither
// is ever opened; the message says what the path really is.
#include <string>

namespace carilab::io {

// Why path cannot be read as an input file, e.g. "is a pipe (FIFO), not a regular file ...";
// "" for a regular file (whether it is readable is left to the open that follows).
std::string regularFileProblem(const std::string& path);

// Throws std::runtime_error "<path>: <problem>" unless path is a regular file.
void requireRegularFile(const std::string& path);

}  // namespace carilab::io
