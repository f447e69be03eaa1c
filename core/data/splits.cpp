#include "data/splits.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>

namespace carilab::data {

namespace {

void checkFraction(double f)
{
    if (!(f >= 0.0 && f < 1.0)) throw std::invalid_argument("test fraction must be in [0, 1), got " + std::to_string(f));
}

// Fisher-Yates with our own index draw: std::shuffle's use of the engine is unspecified,
// and splits must be identical across standard libraries for runs to be repeatable.
template <typename T>
void shuffle(std::vector<T>& v, std::mt19937_64& rng)
{
    for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng() % i]);
}

}  // namespace

Split splitByImage(const DatasetIndex& index, double testFraction, std::uint64_t seed)
{
    checkFraction(testFraction);
    std::mt19937_64 rng(seed ^ 0x5E11'0000'0000'0001ULL);
    std::vector<std::vector<int>> groups(index.identities.size() * 2);
    for (size_t i = 0; i < index.images.size(); ++i)
        groups[static_cast<size_t>(index.images[i].identity) * 2 + static_cast<int>(index.images[i].modality)].push_back(static_cast<int>(i));
    Split s;
    for (auto& g : groups) {
        shuffle(g, rng);
        // A lone image stays in train: the identity must remain learnable.
        int nTest = 0;
        if (testFraction > 0 && g.size() >= 2)
            nTest = std::clamp(static_cast<int>(std::round(testFraction * static_cast<double>(g.size()))), 1, static_cast<int>(g.size()) - 1);
        s.test.insert(s.test.end(), g.begin(), g.begin() + nTest);
        s.train.insert(s.train.end(), g.begin() + nTest, g.end());
    }
    std::sort(s.train.begin(), s.train.end());
    std::sort(s.test.begin(), s.test.end());
    return s;
}

Split splitByIdentity(const DatasetIndex& index, double testFraction, std::uint64_t seed)
{
    checkFraction(testFraction);
    std::mt19937_64 rng(seed ^ 0x1D00'0000'0000'0002ULL);
    std::vector<int> ids(index.identities.size());
    for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int>(i);
    shuffle(ids, rng);
    const int nTest = std::min<int>(static_cast<int>(std::round(testFraction * static_cast<double>(ids.size()))), static_cast<int>(ids.size()) - 1);
    std::vector<char> isTest(ids.size(), 0);
    for (int i = 0; i < nTest; ++i) isTest[static_cast<size_t>(ids[static_cast<size_t>(i)])] = 1;
    Split s;
    for (size_t i = 0; i < index.images.size(); ++i)
        (isTest[static_cast<size_t>(index.images[i].identity)] ? s.test : s.train).push_back(static_cast<int>(i));
    return s;
}

}  // namespace carilab::data
