#pragma once
// Seeds derived from (seed, key...) so that every random choice of a batch is a pure function
// of the run's seed and the step: resumed runs draw exactly what they would have drawn.
#include <cstdint>

namespace carilab::data {

// splitmix64 of a combined key: well-spread seeds from small consecutive integers.
inline std::uint64_t seedMix(std::uint64_t a, std::uint64_t b)
{
    std::uint64_t z = a * 0x9E3779B97F4A7C15ULL + b + 0x632BE59BD9B4E019ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

}  // namespace carilab::data
