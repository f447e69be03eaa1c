#pragma once
// Exports: figures (PNG with DPI, PDF, SVG) and the curves' data as one long-format CSV.
#include "run_curves.h"

namespace carilab::widgets {

// run,step,epoch,time_s,series,value -- every point of every series of every run.
// Written atomically; throws std::runtime_error on failure. Returns the number of data rows.
long long writeCurvesCsv(const QVector<const RunCurves*>& runs, const QString& path);

// The Figure 3 composite (runs as columns; weights, losses and accuracies as rows) rendered
// offscreen with the same widget the GUI shows, to .png/.pdf/.svg or .csv by the suffix.
void exportWeightsLossesFigure(const QStringList& runDirs, const QString& path, int width, int height, int dpi, double smoothing = 0.6);

}  // namespace carilab::widgets
