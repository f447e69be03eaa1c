#pragma once
// What every CariLab fuzz target shares: the parsers read files, so each input is written to a
// scratch file first; and a broken contract (not just a crash) must stop the fuzzer too.
#include <cstddef>
#include <cstdint>
#include <string>

namespace carilab::fuzz {

// A private folder under $TMPDIR (or /tmp), made once per process and removed at exit.
const std::string& scratchDir();

// Writes bytes to scratchDir()/relativePath, creating the folders on the way; returns the path.
std::string writeScratchFile(const std::string& relativePath, const std::uint8_t* data, std::size_t size);

// Prints what was violated and aborts, so libFuzzer saves the input as a crash reproducer.
[[noreturn]] void contractBroken(const std::string& what);

}  // namespace carilab::fuzz

#define FUZZ_REQUIRE(cond)                                                                                                                           \
    do {                                                                                                                                             \
        if (!(cond)) ::carilab::fuzz::contractBroken(#cond);                                                                                         \
    } while (0)
