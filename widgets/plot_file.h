#pragma once
// One QCustomPlot written to a figure file, by the file's suffix: .png (exactly width x height
// pixels, `dpi` only tags the file), .pdf or .svg (vector, titled). Every exported figure of the
// workbench goes through here: the training plots, the Evaluation tab's curves, the embedding map.
#include <QString>

class QCustomPlot;

namespace carilab::widgets {

// Throws std::runtime_error naming the file: an unknown suffix, or a file that cannot be written.
void writePlotFile(QCustomPlot* plot, const QString& path, int width, int height, int dpi, const QString& title);

}  // namespace carilab::widgets
