// carilab: the workbench GUI.
#include "about_dialog.h"
#include "crash_notice.h"
#include "dataset_browser.h"
#include "main_window.h"
#include "match_view.h"
#include "runs_view.h"
#include "train_view.h"

#include "io/crash_report.h"
#include "io/user_paths.h"
#include "process_launcher.h"
#include "run/trainer.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QFileInfo>
#include <QTabWidget>
#include <QTimer>

#include <cstdio>
#include <cstdlib>

namespace {

QtMessageHandler qtDefaultHandler = nullptr;

// No display to open a window on (no desktop session, an ssh without -X) is the user's setup,
// not a crash: say what to do instead, and end without a crash report.
[[noreturn]] void noDisplay(const QString& message)
{
    const std::string first = message.section(QLatin1Char('\n'), 0, 0).toStdString();
    std::fprintf(stderr,
                 "carilab: cannot open a window: %s\n"
                 "Run it in a desktop session (or ssh -X, or xvfb-run carilab). Without a display, carilab-cli is its headless\n"
                 "twin: 'carilab-cli demo' trains the demo, 'carilab-cli --help' lists the rest.\n",
                 first.c_str());
    std::_Exit(1);
}

// A Qt fatal error aborts; its message goes into the crash report (io/crash_report.h).
void noteQtFatal(QtMsgType type, const QMessageLogContext& context, const QString& message)
{
    if (type == QtFatalMsg && message.contains(QLatin1String("platform plugin"))) noDisplay(message);
    if (type == QtFatalMsg) carilab::io::setCrashNote("Qt fatal error: " + message.toStdString());
    if (qtDefaultHandler) qtDefaultHandler(type, context, message);
}

}  // namespace

int main(int argc, char** argv)
{
    // Spinning OpenMP workers would steal the core the GUI thread needs (and vice versa): the
    // trainer ran ~8% slower with the window open. See the header.
    carilab::app::launchWithTunedRuntime(argv);
    // A crash leaves a report (shown at the next start) instead of a window that just vanishes.
    const std::string crashDir = carilab::io::defaultCrashReportDir();
    carilab::io::installCrashReporter(crashDir, "carilab", CARILAB_VERSION);
    qtDefaultHandler = qInstallMessageHandler(noteQtFatal);
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("CariLab"));
    QApplication::setApplicationName(QStringLiteral("carilab"));
    QApplication::setApplicationVersion(QStringLiteral(CARILAB_VERSION));
    // Every window's icon, and the desktop entry (packaging/carilab.desktop) it belongs to.
    QApplication::setWindowIcon(carilab::widgets::applicationIcon());
    QGuiApplication::setDesktopFileName(QStringLiteral("carilab"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("CariLab: caricature-visual face recognition with dynamic multi-task learning"));
    parser.addHelpOption();
    parser.addVersionOption();
    QCommandLineOption demo(QStringLiteral("demo"), QStringLiteral("start the Figure 3 demo training at once (CariSynth, dynamic weights)"));
    QCommandLineOption runs(QStringLiteral("runs"), QStringLiteral("runs folder"), QStringLiteral("DIR"));
    QCommandLineOption data(QStringLiteral("demo-data"), QStringLiteral("where the CariSynth demo dataset lives"), QStringLiteral("DIR"));
    QCommandLineOption threads(QStringLiteral("threads"), QStringLiteral("LibTorch threads (default: all cores)"), QStringLiteral("N"));
    QCommandLineOption compare(QStringLiteral("compare"), QStringLiteral("open the Runs view comparing these run folders (repeat the option)"),
                               QStringLiteral("RUN"));
    QCommandLineOption overlay(QStringLiteral("overlay"), QStringLiteral("with --compare: overlay the runs instead of side by side"));
    QCommandLineOption tab(QStringLiteral("tab"), QStringLiteral("start on this tab (train, runs, evaluation, datasets, match, embeddings)"),
                           QStringLiteral("NAME"));
    QCommandLineOption dataset(QStringLiteral("dataset"), QStringLiteral("open this dataset in the Datasets tab (and start there)"),
                               QStringLiteral("PATH"));
    QCommandLineOption datasetFormat(QStringLiteral("dataset-format"), QStringLiteral("with --dataset: auto, folder, cavi or webcaricature"),
                                     QStringLiteral("F"), QStringLiteral("auto"));
    QCommandLineOption query(QStringLiteral("query"), QStringLiteral("open the Match tab and match this image with the newest run"),
                             QStringLiteral("IMAGE"));
    QCommandLineOption matchModel(QStringLiteral("match-model"),
                                  QStringLiteral("with --query: match with this run folder, or pretrained:face-resnet (the zero-shot descriptor)"),
                                  QStringLiteral("RUN"));
    QCommandLineOption gallery(QStringLiteral("gallery"), QStringLiteral("with --query: rank against this dataset's images"), QStringLiteral("PATH"));
    QCommandLineOption galleryModality(QStringLiteral("gallery-modality"), QStringLiteral("with --gallery: auto, photo, caricature or both"),
                                       QStringLiteral("M"), QStringLiteral("auto"));
    QCommandLineOption attach(QStringLiteral("attach"),
                              QStringLiteral("follow a run folder another process is training (a carilab-cli or cluster job), read-only, in the Train tab"),
                              QStringLiteral("RUN"));
    parser.addOptions({attach, demo, runs, data, threads, compare, overlay, tab, dataset, datasetFormat, query, matchModel, gallery, galleryModality});
    parser.process(app);

    // LibTorch's thread count is set once, before any torch work, on behalf of the trainer thread.
    carilab::run::Trainer::configureThreads(parser.isSet(threads) ? parser.value(threads).toInt() : 0);

    carilab::widgets::MainWindow window;
    auto* train = window.trainView();
    if (parser.isSet(runs)) {
        train->setRunsDir(parser.value(runs));
        window.matchView()->setRunsDir(parser.value(runs));
        window.runsView()->setRunsDir(parser.value(runs));
    }
    if (parser.isSet(data)) {
        train->setDemoDatasetDir(parser.value(data));
        window.datasetBrowser()->setDefaultDataset(parser.value(data));
    }
    // --dataset wins over the dataset remembered from the last session.
    window.openStartDataset(parser.isSet(dataset) ? parser.value(dataset) : QString(), parser.value(datasetFormat));
    if (parser.isSet(tab)) {
        auto* tabs = window.tabs();
        for (int i = 0; i < tabs->count(); ++i)
            if (tabs->tabText(i).startsWith(parser.value(tab), Qt::CaseInsensitive)) tabs->setCurrentIndex(i);
    }
    if (parser.isSet(query)) {
        window.tabs()->setCurrentWidget(window.matchView());
        if (parser.isSet(gallery)) window.matchView()->setGallery(QFileInfo(parser.value(gallery)).absoluteFilePath(), parser.value(galleryModality));
        if (parser.isSet(matchModel)) {
            const QString m = parser.value(matchModel);
            window.matchView()->setRun(m.startsWith(QLatin1String("pretrained:")) ? m : QFileInfo(m).absoluteFilePath());
        }
        window.matchView()->openQuery(QFileInfo(parser.value(query)).absoluteFilePath());
    }
    window.show();
    carilab::widgets::showCrashNotice(&window, carilab::io::unseenCrashReports(crashDir));
    carilab::io::markCrashReportsSeen(crashDir);
    if (parser.isSet(compare)) {
        auto* runsView = window.runsView();
        QStringList dirs;
        for (const QString& d : parser.values(compare)) {
            const QString abs = QFileInfo(d).absoluteFilePath();
            runsView->addFolder(abs);
            dirs << abs;
        }
        runsView->selectRuns(dirs);
        runsView->setOverlay(parser.isSet(overlay));
        runsView->compareSelected();
        // --tab wins: `--compare RUN --tab evaluation` opens that run's evaluation.
        if (!parser.isSet(tab)) window.tabs()->setCurrentWidget(runsView);
    }
    if (parser.isSet(attach)) {
        window.tabs()->setCurrentWidget(train);
        train->followRun(QFileInfo(parser.value(attach)).absoluteFilePath());
    }
    if (parser.isSet(demo)) {
        train->applyPreset(QStringLiteral("Figure 3 demo"));
        QTimer::singleShot(0, train, &carilab::widgets::TrainView::startTraining);
    }
    return app.exec();
}
