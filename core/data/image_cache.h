#pragma once
// Decoded uint8 images kept in memory, so each file is decoded once per process.
#include <opencv2/core.hpp>

#include <cstddef>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

namespace carilab::data {

// Thread-safe LRU cache keyed by path, bounded by bytes. Images are stored downscaled so that
// their shorter side is at most maxSide (0 = keep full size): training crops are small, and a
// 12 000-image dataset then fits in a few hundred MB.
class ImageCache {
public:
    explicit ImageCache(std::size_t maxBytes = 1ull << 30, int maxSide = 320);

    // Returns the cached RGB image, decoding (and downscaling) on a miss. Throws ImageError.
    // scale receives the factor applied (landmarks must be multiplied by it).
    cv::Mat get(const std::string& path, double* scale = nullptr);

    std::size_t bytes() const;
    std::size_t size() const;
    std::size_t hits() const;
    std::size_t misses() const;

private:
    struct Entry {
        cv::Mat image;
        double scale;
        std::list<std::string>::iterator lru;
    };
    mutable std::mutex mutex_;
    std::unordered_map<std::string, Entry> map_;
    std::list<std::string> lru_;
    std::size_t maxBytes_;
    int maxSide_;
    std::size_t bytes_ = 0, hits_ = 0, misses_ = 0;
};

}  // namespace carilab::data
