#pragma once
// Exports: figures (PNG with DPI, PDF, SVG) and the curves' data as one long-format CSV.
#include "run_curves.h"

namespace carilab::widgets {

// run,step,epoch,time_s,series,value -- every point of every series of every run.
// Written atomically; throws std::runtime_error on failure. Returns the number of data rows.
long long writeCurvesCsv(const QVector<const RunCurves*>& runs, const QString& path);

// What the figure draws beyond Figure 3's rows (TrainingPlots' Show menu).
struct FigureView {
    bool gradientPanel = true;
    bool gradientNorms = false;
    bool caricatureBands = true, photoBands = true;
};

// The Figure 3 composite (runs as columns; weights, losses, accuracies and gradient cosines as
// rows) rendered offscreen with the same widget the GUI shows, to .png/.pdf/.svg or .csv by
// the suffix (the CSV holds every series, whatever the view).
void exportWeightsLossesFigure(const QStringList& runDirs, const QString& path, int width, int height, int dpi, double smoothing = 0.6,
                               const FigureView& view = {});

}  // namespace carilab::widgets
