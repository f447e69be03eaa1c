#include "embedding_map_worker.h"

#include "run/embedding_map.h"
#include "run/user_message.h"

namespace carilab::widgets {

EmbeddingMapWorker::EmbeddingMapWorker() { qRegisterMetaType<EmbeddingMapPtr>(); }

void EmbeddingMapWorker::compute(quint64 id, const run::EmbeddingMapRequest& request)
{
    try {
        auto map = run::computeEmbeddingMap(
            request,
            [this, id](const std::string& stage, std::size_t done, std::size_t total) {
                Q_EMIT progress(id, QString::fromStdString(stage), static_cast<int>(done), static_cast<int>(total));
            },
            [this] { return cancel_.load(); }, [this, id](const std::string& w) { Q_EMIT warning(id, QString::fromStdString(w)); });
        Q_EMIT finished(id, std::make_shared<const run::EmbeddingMap>(std::move(map)));
    } catch (const run::EvaluationCancelled&) {
        Q_EMIT cancelled(id);
    } catch (const std::exception& e) {
        Q_EMIT failed(id, QString::fromStdString(run::userMessage(e, request.batch)));
    }
}

}  // namespace carilab::widgets
