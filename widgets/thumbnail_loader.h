#pragma once
// Thumbnails decoded on background threads into a small LRU cache keyed by path.
//
// request() queues a file; a worker of the loader's own thread pool decodes it with core's
// decodeImageRgb8, shrinks it with INTER_AREA so its longer side is size() pixels, converts it
// to a QImage and hands it back by a queued call. The GUI thread only turns that QImage into a
// QPixmap, stores it and emits thumbnailReady(). Files that fail are cached too, with the reason.
// The newest requests are served first and the queue is bounded, so while a view scrolls quickly
// the items now on screen load before those that scrolled past.
#include <QHash>
#include <QImage>
#include <QObject>
#include <QPixmap>
#include <QSet>
#include <QString>
#include <QThreadPool>

#include <deque>
#include <list>
#include <memory>
#include <mutex>

namespace carilab::widgets {

class ThumbnailLoader : public QObject {
    Q_OBJECT

public:
    explicit ThumbnailLoader(int size = 96, int capacity = 2048, QObject* parent = nullptr);
    ~ThumbnailLoader() override;

    int size() const { return size_; }
    int capacity() const { return capacity_; }

    enum class State { Missing, Pending, Ready, Failed };
    // Cache lookup, no decoding. Ready fills pixmap; Failed fills reason. A hit refreshes the
    // entry's place in the LRU order.
    State lookup(const QString& path, QPixmap* pixmap = nullptr, QString* reason = nullptr);
    // Queues path unless it is cached or already queued. Cheap; call it from paint paths.
    void request(const QString& path);
    // Drops the queued (not yet started) requests, e.g. when the view shows other images.
    void cancelPending();
    // Empties the cache (and the queue).
    void clear();

    int cachedCount() const { return static_cast<int>(entries_.size()); }
    int pendingCount() const;
    // Total requests that went to a worker since construction (tests: only visible items ask).
    int requestedCount() const { return requested_; }
    bool waitForIdle(int msecs = 30000);

    // The thumbnail for one file, as a worker makes it (exposed for tests and the benchmark).
    static QImage makeThumbnail(const QString& path, int size, QString* error);

Q_SIGNALS:
    void thumbnailReady(const QString& path, const QImage& image);
    void thumbnailFailed(const QString& path, const QString& reason);

private:
    struct Entry {
        QPixmap pixmap;
        QString reason;  // non-empty: failed
        std::list<QString>::iterator lru;
    };
    void deliver(const QString& path, const QImage& image, const QString& reason);
    void insert(const QString& path, Entry entry);
    void startWorkers();
    void work();

    int size_;
    int capacity_;
    QHash<QString, Entry> entries_;
    std::list<QString> lru_;  // front = most recently used
    QSet<QString> inFlight_;  // queued or decoding, GUI-thread view
    int requested_ = 0;

    // Shared with the workers.
    mutable std::mutex mutex_;
    std::deque<QString> queue_;  // front = newest
    int activeWorkers_ = 0;
    QThreadPool pool_;
};

}  // namespace carilab::widgets
