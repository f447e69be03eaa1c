#pragma once
// An embedding map written without a window: what `carilab-cli project --out FILE.png` and the
// Embeddings tab's export share. Figures are drawn by the GUI's own EmbeddingMapPlot.
#include <QString>

namespace carilab::run {
struct EmbeddingMap;
}

namespace carilab::widgets {

// .png/.pdf/.svg drawn offscreen at width x height (dpi stored in PNGs), lines: each caricature
// joined to its identity's photo centroid; .csv: run::embeddingMapCsv. Written atomically
// (CSV) or by Qt's writers; throws std::runtime_error on failure or an unknown suffix.
void exportEmbeddingMap(const run::EmbeddingMap& map, const QString& path, int width, int height, int dpi, bool lines);

}  // namespace carilab::widgets
