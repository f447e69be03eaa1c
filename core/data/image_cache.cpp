#include "data/image_cache.h"

#include "data/image_decode.h"

#include <opencv2/imgproc.hpp>

namespace carilab::data {

ImageCache::ImageCache(std::size_t maxBytes, int maxSide) : maxBytes_(maxBytes), maxSide_(maxSide) {}

cv::Mat ImageCache::get(const std::string& path, double* scale)
{
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (auto it = map_.find(path); it != map_.end()) {
            lru_.splice(lru_.begin(), lru_, it->second.lru);
            ++hits_;
            if (scale) *scale = it->second.scale;
            return it->second.image;
        }
        ++misses_;
    }
    // Decode outside the lock: two threads may decode the same file at once, which is cheaper
    // than serialising every decode behind one mutex.
    cv::Mat img = decodeImageRgb8(path);
    double s = 1.0;
    const int shorter = std::min(img.cols, img.rows);
    if (maxSide_ > 0 && shorter > maxSide_) {
        s = static_cast<double>(maxSide_) / shorter;
        cv::Mat small;
        cv::resize(img, small, cv::Size(), s, s, cv::INTER_AREA);
        img = small;
    }
    if (scale) *scale = s;
    const std::size_t sz = img.total() * img.elemSize();
    std::lock_guard<std::mutex> lock(mutex_);
    if (map_.count(path)) return img;
    if (sz > maxBytes_) return img;
    while (bytes_ + sz > maxBytes_ && !lru_.empty()) {
        auto victim = map_.find(lru_.back());
        bytes_ -= victim->second.image.total() * victim->second.image.elemSize();
        map_.erase(victim);
        lru_.pop_back();
    }
    lru_.push_front(path);
    map_.emplace(path, Entry{img, s, lru_.begin()});
    bytes_ += sz;
    return img;
}

std::size_t ImageCache::bytes() const
{
    std::lock_guard<std::mutex> l(mutex_);
    return bytes_;
}
std::size_t ImageCache::size() const
{
    std::lock_guard<std::mutex> l(mutex_);
    return map_.size();
}
std::size_t ImageCache::hits() const
{
    std::lock_guard<std::mutex> l(mutex_);
    return hits_;
}
std::size_t ImageCache::misses() const
{
    std::lock_guard<std::mutex> l(mutex_);
    return misses_;
}

}  // namespace carilab::data
