#include "fuzz_support.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace carilab::fuzz {
namespace fs = std::filesystem;

namespace {

struct ScratchDir {
    std::string path;
    ScratchDir()
    {
        const char* tmp = std::getenv("TMPDIR");
        std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/carilab-fuzz-XXXXXX";
        if (!mkdtemp(pattern.data())) throw std::runtime_error("cannot create a scratch folder from " + pattern);
        path = pattern;
    }
    ~ScratchDir()
    {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

}  // namespace

const std::string& scratchDir()
{
    static const ScratchDir dir;
    return dir.path;
}

std::string writeScratchFile(const std::string& relativePath, const std::uint8_t* data, std::size_t size)
{
    const fs::path p = fs::path(scratchDir()) / relativePath;
    fs::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    if (!out) throw std::runtime_error("cannot write fuzz input to " + p.string());
    return p.string();
}

void contractBroken(const std::string& what)
{
    std::fprintf(stderr, "carilab fuzz: contract broken: %s\n", what.c_str());
    std::abort();
}

}  // namespace carilab::fuzz
