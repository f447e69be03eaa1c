#include "thumbnail_loader.h"

#include "data/image_decode.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QThread>

#include <opencv2/imgproc.hpp>

#include <algorithm>

namespace carilab::widgets {

namespace {
constexpr std::size_t kMaxQueued = 1024;  // older requests beyond this are dropped (re-requested on paint)
}

ThumbnailLoader::ThumbnailLoader(int size, int capacity, QObject* parent)
    : QObject(parent), size_(std::max(8, size)), capacity_(std::max(16, capacity))
{
    // Leave a core to the GUI thread; a few decoders keep up with scrolling.
    pool_.setMaxThreadCount(std::clamp(QThread::idealThreadCount() - 1, 1, 4));
}

ThumbnailLoader::~ThumbnailLoader()
{
    {
        std::lock_guard<std::mutex> lock(mutex_);
        queue_.clear();
    }
    // Workers finish the file in hand; their queued deliveries die with this object.
    pool_.waitForDone();
}

ThumbnailLoader::State ThumbnailLoader::lookup(const QString& path, QPixmap* pixmap, QString* reason)
{
    auto it = entries_.find(path);
    if (it == entries_.end()) return inFlight_.contains(path) ? State::Pending : State::Missing;
    lru_.splice(lru_.begin(), lru_, it->lru);
    if (!it->reason.isEmpty()) {
        if (reason) *reason = it->reason;
        return State::Failed;
    }
    if (pixmap) *pixmap = it->pixmap;
    return State::Ready;
}

void ThumbnailLoader::request(const QString& path)
{
    if (path.isEmpty() || entries_.contains(path) || inFlight_.contains(path)) return;
    inFlight_.insert(path);
    ++requested_;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        queue_.push_front(path);
        while (queue_.size() > kMaxQueued) {
            inFlight_.remove(queue_.back());
            queue_.pop_back();
        }
    }
    startWorkers();
}

void ThumbnailLoader::cancelPending()
{
    std::lock_guard<std::mutex> lock(mutex_);
    for (const QString& p : queue_) inFlight_.remove(p);
    queue_.clear();
}

void ThumbnailLoader::clear()
{
    cancelPending();
    entries_.clear();
    lru_.clear();
}

int ThumbnailLoader::pendingCount() const { return static_cast<int>(inFlight_.size()); }

bool ThumbnailLoader::waitForIdle(int msecs)
{
    QElapsedTimer t;
    t.start();
    while (!inFlight_.isEmpty()) {
        if (t.elapsed() > msecs) return false;
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
        if (!inFlight_.isEmpty()) QThread::msleep(1);
    }
    return true;
}

void ThumbnailLoader::startWorkers()
{
    std::lock_guard<std::mutex> lock(mutex_);
    while (activeWorkers_ < pool_.maxThreadCount() && static_cast<std::size_t>(activeWorkers_) < queue_.size()) {
        ++activeWorkers_;
        pool_.start([this] { work(); });
    }
}

void ThumbnailLoader::work()
{
    for (;;) {
        QString path;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (queue_.empty()) {
                --activeWorkers_;
                return;
            }
            path = queue_.front();
            queue_.pop_front();
        }
        QString error;
        QImage image = makeThumbnail(path, size_, &error);
        QMetaObject::invokeMethod(
            this, [this, path, image, error] { deliver(path, image, error); }, Qt::QueuedConnection);
    }
}

void ThumbnailLoader::deliver(const QString& path, const QImage& image, const QString& reason)
{
    inFlight_.remove(path);
    Entry e;
    e.reason = image.isNull() ? (reason.isEmpty() ? QStringLiteral("could not be decoded") : reason) : QString();
    if (e.reason.isEmpty()) e.pixmap = QPixmap::fromImage(image);
    const QString why = e.reason;
    insert(path, std::move(e));
    if (why.isEmpty())
        Q_EMIT thumbnailReady(path, image);
    else
        Q_EMIT thumbnailFailed(path, why);
}

void ThumbnailLoader::insert(const QString& path, Entry entry)
{
    auto old = entries_.find(path);
    if (old != entries_.end()) {
        lru_.erase(old->lru);
        entries_.erase(old);
    }
    lru_.push_front(path);
    entry.lru = lru_.begin();
    entries_.insert(path, std::move(entry));
    while (static_cast<int>(entries_.size()) > capacity_) {
        entries_.remove(lru_.back());
        lru_.pop_back();
    }
}

QImage ThumbnailLoader::makeThumbnail(const QString& path, int size, QString* error)
{
    try {
        const std::string p = path.toStdString();
        const cv::Mat rgb = data::decodeImageRgb8(p);
        const double s = static_cast<double>(size) / std::max(rgb.cols, rgb.rows);
        cv::Mat small;
        const cv::Size to(std::max(1, static_cast<int>(std::lround(rgb.cols * s))), std::max(1, static_cast<int>(std::lround(rgb.rows * s))));
        cv::resize(rgb, small, to, 0, 0, s < 1.0 ? cv::INTER_AREA : cv::INTER_LINEAR);
        return QImage(small.data, small.cols, small.rows, static_cast<qsizetype>(small.step), QImage::Format_RGB888).copy();
    } catch (const std::exception& e) {
        if (error) {
            // ImageError says "<path>: <why>"; the tooltip names the file already.
            QString what = QString::fromStdString(e.what());
            const QString prefix = path + QStringLiteral(": ");
            if (what.startsWith(prefix)) what = what.mid(prefix.size());
            *error = what;
        }
        return {};
    }
}

}  // namespace carilab::widgets
