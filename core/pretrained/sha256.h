#pragma once
// SHA-256 (FIPS 180-4), to verify downloaded pretrained packages without a crypto library.
#include <cstddef>
#include <cstdint>
#include <string>

namespace carilab::pretrained {

class Sha256 {
public:
    Sha256();
    void update(const void* data, std::size_t size);
    std::string hexDigest();  // finalises; lower-case hex, 64 characters

private:
    void block(const std::uint8_t* p);
    std::uint32_t h_[8];
    std::uint8_t buf_[64];
    std::size_t used_ = 0;
    std::uint64_t bits_ = 0;
};

std::string sha256Hex(const std::string& bytes);
// Throws std::runtime_error naming the file when it cannot be read.
std::string sha256File(const std::string& path);

}  // namespace carilab::pretrained
