#pragma once
// The Embeddings tab's engine: lives in its own QThread and runs run::computeEmbeddingMap (what
// `carilab-cli project` runs), so torch, the dataset's indexing and t-SNE never run on the GUI
// thread. Call compute() through QMetaObject::invokeMethod (queued); cancel() is thread-safe and
// stops the map after the current batch or t-SNE iteration (cancelled() follows).
#include <QMetaType>
#include <QObject>
#include <QString>

#include <atomic>
#include <memory>

namespace carilab::run {
struct EmbeddingMap;
struct EmbeddingMapRequest;
}  // namespace carilab::run

namespace carilab::widgets {

using EmbeddingMapPtr = std::shared_ptr<const run::EmbeddingMap>;

class EmbeddingMapWorker : public QObject {
    Q_OBJECT

public:
    EmbeddingMapWorker();
    void cancel() { cancel_ = true; }
    void clearCancel() { cancel_ = false; }
    void compute(quint64 id, const run::EmbeddingMapRequest& request);

Q_SIGNALS:
    // stage: "loading", "embedding" or "projecting" (run::MapProgress).
    void progress(quint64 id, const QString& stage, int done, int total);
    void warning(quint64 id, const QString& message);
    void finished(quint64 id, const carilab::widgets::EmbeddingMapPtr& map);
    void cancelled(quint64 id);
    void failed(quint64 id, const QString& message);

private:
    std::atomic<bool> cancel_{false};
};

}  // namespace carilab::widgets

Q_DECLARE_METATYPE(carilab::widgets::EmbeddingMapPtr)
