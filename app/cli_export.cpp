#include "cli_args.h"
#include "cli_commands.h"

#include "figure_export.h"
#include "run/folder_guard.h"
#include "run/run_directory.h"
#include "run/train_config.h"
#include "run/weight_dynamics.h"

#include <QApplication>

#include <cstdlib>
#include <iostream>

namespace carilab::cli {

namespace {

// Figure 3's property as numbers beside the picture, so a reader need not judge curves by eye.
void printWeightDynamics(const std::string& dir, long long after)
{
    const auto run = run::RunDirectory::open(dir);
    if (after < 0) after = run::trainConfigFromJson(run.config(), run.configPath()).warmupSteps;
    const auto train = run.metrics().train;
    try {
        std::cout << dir << ": " << run::describe(run::weightDynamics(train, after)) << "\n";
    } catch (const std::invalid_argument& e) {
        std::cout << dir << ": " << e.what() << "\n";
    }
    // The gradient panel and the modality bands as numbers, when the run logged them.
    const std::string diagnostics = run::describe(run::taskDiagnostics(train, after));
    if (!diagnostics.empty()) std::cout << dir << ": " << diagnostics << "\n";
}

}  // namespace

int runExport(const Argv& argv)
{
    Args a("export",
           "Render a run's (or several runs') Figure 3 composite offscreen with the GUI's own plot widget (with the gradient-conflict panel and the "
           "per-sample weight bands), or write its curves as CSV.");
    a.repeated("run", "DIR", "run folder; give several to put them side by side")
        .option("figure", "NAME", "figure to draw: weights-losses", "weights-losses")
        .option("out", "FILE", "output file: .png, .pdf, .svg or .csv")
        .option("width", "PX", "width in pixels", "1600")
        .option("height", "PX", "height in pixels", "1000")
        .option("dpi", "N", "resolution stored in PNG files", "200")
        .option("smoothing", "W", "EMA smoothing weight (0 = raw)", "0.6")
        .option("bands", "WHICH", "per-sample weight bands behind the batch weights: both|caricature|photo|none", "both")
        .flag("grad-norms", "draw each task's gradient norm on the gradient panel's right axis")
        .flag("no-grad", "leave out the gradient-conflict panel (Figure 3's three rows only)")
        .option("after", "STEP", "count the weight dynamics printed for each run from this step (default: the run's warm-up)");
    if (!a.parse(argv)) return 0;
    const auto runs = a.all("run");
    if (runs.empty()) throw UsageError("give at least one --run DIR");
    if (a.get("figure") != "weights-losses") throw UsageError("unknown --figure '" + a.get("figure") + "' (known: weights-losses)");
    run::checkOutputFile(a.get("out"), {".png", ".pdf", ".svg", ".csv"});
    // Offscreen rendering needs no display; respect an explicit choice.
    if (!std::getenv("QT_QPA_PLATFORM")) setenv("QT_QPA_PLATFORM", "offscreen", 1);
    int argc = 1;
    char name[] = "carilab-cli";
    char* args[] = {name, nullptr};
    QApplication app(argc, args);
    QStringList dirs;
    for (const auto& r : runs) dirs << QString::fromStdString(r);
    const QString out = QString::fromStdString(a.get("out"));
    widgets::FigureView view;
    const std::string bands = a.get("bands");
    if (bands != "both" && bands != "caricature" && bands != "photo" && bands != "none")
        throw UsageError("unknown --bands '" + bands + "' (known: both, caricature, photo, none)");
    view.caricatureBands = bands == "both" || bands == "caricature";
    view.photoBands = bands == "both" || bands == "photo";
    view.gradientPanel = !a.flagSet("no-grad");
    view.gradientNorms = a.flagSet("grad-norms");
    widgets::exportWeightsLossesFigure(dirs, out, a.getIntIn("width", 16, 20000), a.getIntIn("height", 16, 20000), a.getIntIn("dpi", 10, 2400),
                                       a.getDoubleIn("smoothing", 0.0, 0.99), view);
    std::cout << "wrote " << out.toStdString() << "\n";
    for (const auto& r : runs) printWeightDynamics(r, a.has("after") ? a.getLong("after") : -1);
    return 0;
}

}  // namespace carilab::cli
