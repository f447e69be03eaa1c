#include "embedding_map_export.h"

#include "embedding_map_plot.h"

#include "io/atomic_file.h"
#include "run/embedding_map.h"

#include <QFileInfo>

namespace carilab::widgets {

void exportEmbeddingMap(const run::EmbeddingMap& map, const QString& path, int width, int height, int dpi, bool lines)
{
    if (QFileInfo(path).suffix().toLower() == QLatin1String("csv")) {
        io::writeFileAtomic(path.toStdString(), run::embeddingMapCsv(map));
        return;
    }
    EmbeddingMapPlot plot;
    plot.resize(width, height);
    // The plot keeps a shared pointer; this copy lives as long as the widget.
    plot.setMap(std::make_shared<const run::EmbeddingMap>(map));
    plot.setCentroidLines(lines);
    plot.exportImage(path, width, height, dpi);
}

}  // namespace carilab::widgets
