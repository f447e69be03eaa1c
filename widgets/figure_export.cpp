#include "figure_export.h"

#include "training_plots.h"

#include "io/atomic_file.h"

#include <QFileInfo>

#include <sstream>

namespace carilab::widgets {

long long writeCurvesCsv(const QVector<const RunCurves*>& runs, const QString& path)
{
    std::ostringstream out;
    out.precision(10);
    out << "run,step,epoch,time_s,series,value\n";
    long long rows = 0;
    for (const RunCurves* r : runs) {
        // Quote the run name: folder names may hold commas.
        std::string name = r->name().toStdString();
        std::string quoted = "\"";
        for (char ch : name) quoted += ch == '"' ? std::string("\"\"") : std::string(1, ch);
        quoted += '"';
        for (auto it = r->series().constBegin(); it != r->series().constEnd(); ++it) {
            const Curve& c = it.value();
            const std::string series = it.key().toStdString();
            for (int i = 0; i < c.size(); ++i) {
                out << quoted << ',' << static_cast<long long>(c.step[i]) << ',' << c.epoch[i] << ',' << c.time[i] << ',' << series << ','
                    << c.value[i] << '\n';
                ++rows;
            }
        }
    }
    io::writeFileAtomic(path.toStdString(), out.str());
    return rows;
}

void exportWeightsLossesFigure(const QStringList& runDirs, const QString& path, int width, int height, int dpi, double smoothing, const FigureView& view)
{
    QVector<RunCurves> curves;
    for (const QString& d : runDirs) curves.push_back(RunCurves::fromRunDir(d));
    QVector<const RunCurves*> ptrs;
    for (const auto& c : curves) ptrs.push_back(&c);
    if (QFileInfo(path).suffix().toLower() == QLatin1String("csv")) {
        writeCurvesCsv(ptrs, path);
        return;
    }
    TrainingPlots plots;
    plots.resize(width, height);
    plots.setSmoothing(smoothing);
    plots.setShowGrad(view.gradientPanel);
    plots.setShowGradNorms(view.gradientNorms);
    using Bands = TrainingPlots::Bands;
    plots.setBands(view.caricatureBands ? (view.photoBands ? Bands::Both : Bands::Caricature) : (view.photoBands ? Bands::Photo : Bands::None));
    plots.setRuns(ptrs);
    plots.fitAll();
    plots.exportImage(path, width, height, dpi);
}

}  // namespace carilab::widgets
