#include "main_window.h"

#include "about_dialog.h"
#include "dataset_browser.h"
#include "embedding_map_links.h"
#include "embedding_map_view.h"
#include "eval_view.h"
#include "export_dialog.h"
#include "match_view.h"
#include "runs_view.h"
#include "train_view.h"
#include "training_controller.h"
#include "training_plots.h"
#include "user_guide.h"

#include "io/user_paths.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QGuiApplication>
#include <QMenuBar>
#include <QMessageBox>
#include <QScreen>
#include <QSettings>
#include <QStatusBar>
#include <QTabBar>
#include <QTabWidget>

namespace carilab::widgets {

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent)
{
    setWindowTitle(QStringLiteral("CariLab — dynamic multi-task caricature-visual recognition"));
    setWindowIcon(applicationIcon());
    tabs_ = new QTabWidget;
    train_ = new TrainView;
    runs_ = new RunsView(train_->runsDir());
    // A tab of its own rather than a pane under the runs list: the table and three figures
    // need the room. It follows the Runs view's selection.
    eval_ = new EvalView;
    tabs_->addTab(train_, QStringLiteral("Train"));
    tabs_->addTab(runs_, QStringLiteral("Runs"));
    tabs_->addTab(eval_, QStringLiteral("Evaluation"));
    // The CariSynth demo set when it exists, indexed the first time the tab is shown.
    datasets_ = new DatasetBrowser;
    datasets_->setDefaultDataset(QString::fromStdString(io::defaultDemoDatasetDir()));
    tabs_->addTab(datasets_, QStringLiteral("Datasets"));
    // Drop an image, rank a gallery with a trained run. A drag from the Datasets tab switches
    // tabs when it hovers over the tab bar.
    match_ = new MatchView;
    match_->setRunsDir(train_->runsDir());
    tabs_->addTab(match_, QStringLiteral("Match"));
    // Last, so the other tabs keep their Ctrl+number; it follows the Runs view's selection.
    map_ = new EmbeddingMapView;
    tabs_->addTab(map_, QStringLiteral("Embeddings"));
    tabs_->tabBar()->setChangeCurrentOnDrag(true);
    tabs_->tabBar()->setAcceptDrops(true);  // changeCurrentOnDrag needs it
    setCentralWidget(tabs_);
    keepSizeWhenContentGrows();
    // The preferred size, but never more than the screen offers (a 1024x700 laptop included).
    QSize size(1400, 860);
    if (const QScreen* screen = QGuiApplication::primaryScreen()) size = size.boundedTo(screen->availableGeometry().size());
    resize(size);

    auto* file = menuBar()->addMenu(QStringLiteral("&File"));
    file->addAction(QStringLiteral("Open run folder…"), this, [this] {
        const QString d = QFileDialog::getExistingDirectory(this, QStringLiteral("Run folder or folder of runs"));
        if (d.isEmpty()) return;
        runs_->addFolder(d);
        tabs_->setCurrentWidget(runs_);
    });
    file->addAction(QStringLiteral("Export live figure…"), this, [this] {
        FigureExportDialog dialog(FigureExportDialog::Kind::Figure, QStringLiteral("Export figure"), QStringLiteral("training.png"),
                                  QSize(1600, 1000), 200, this);
        if (dialog.exec() != QDialog::Accepted) return;
        try {
            train_->plots()->exportImage(dialog.path(), dialog.pixelSize().width(), dialog.pixelSize().height(), dialog.dpi());
            announceExport(this, dialog);
        } catch (const std::exception& e) {
            QMessageBox::warning(this, QStringLiteral("Export"), QString::fromStdString(e.what()));
        }
    });
    file->addSeparator();
    file->addAction(QStringLiteral("Quit"), QKeySequence::Quit, this, &QWidget::close);
    addShortcuts(file);
    addHelpMenu();

    connect(train_, &TrainView::runStarted, runs_, &RunsView::refresh);
    connect(train_, &TrainView::runEnded, match_, [this] { match_->refreshRuns(); });
    connect(runs_, &RunsView::runMoved, match_, &MatchView::runMoved);
    connect(datasets_, &DatasetBrowser::datasetLoaded, match_, &MatchView::offerGallery);
    connect(datasets_, &DatasetBrowser::datasetLoaded, this, [this](const QString& root) {
        QSettings s;
        s.setValue(QLatin1String(kLastDatasetKey), root);
        s.setValue(QLatin1String(kLastFormatKey), datasets_->format());
    });
    connect(train_, &TrainView::runEnded, runs_, [this](const QString&, const QString& state) {
        runs_->refresh();
        statusBar()->showMessage(QStringLiteral("run ") + state, 5000);
    });
    connect(runs_, &RunsView::currentRunChanged, this, [this](const QString& dir) {
        eval_->setRun(dir);
        tabs_->setTabText(tabs_->indexOf(eval_),
                          dir.isEmpty() ? QStringLiteral("Evaluation") : QStringLiteral("Evaluation — ") + QDir(dir).dirName());
    });
    connect(runs_, &RunsView::evaluationRequested, this, [this](const QString& dir) {
        if (eval_->runDir() != dir) eval_->setRun(dir);
        tabs_->setCurrentWidget(eval_);
    });
    connect(runs_, &RunsView::resumeRequested, this, [this](const QString& dir) {
        tabs_->setCurrentWidget(train_);
        train_->resumeRun(dir);
    });
    connectEmbeddingMap();
}

// The map follows the Runs view's selection and offers the Datasets tab's dataset to the
// pretrained model; a clicked point opens in the Datasets inspector or as the Match query.
void MainWindow::connectEmbeddingMap()
{
    connect(runs_, &RunsView::currentRunChanged, map_, &EmbeddingMapView::setRun);
    connect(datasets_, &DatasetBrowser::datasetLoaded, map_, [this](const QString& root) { map_->offerDataset(root, datasets_->format()); });
    connect(map_, &EmbeddingMapView::inspectRequested, this,
            [this](const QString& root, const QString& format, const QString& path, const QString& identity) {
                tabs_->setCurrentWidget(datasets_);
                showImageInBrowser(datasets_, root, format, path, identity);
            });
    connect(map_, &EmbeddingMapView::matchQueryRequested, this, [this](const QString& path, const QString& identity, const QString& modality) {
        tabs_->setCurrentWidget(match_);
        match_->openQuery(path, identity, modality);
    });
    // A failure gallery's crop, double-clicked in the Evaluation tab, the same way.
    connect(eval_, &EvalView::matchQueryRequested, this, [this](const QString& path, const QString& identity, const QString& modality) {
        tabs_->setCurrentWidget(match_);
        match_->openQuery(path, identity, modality);
    });
}

// A top-level window grows to its layout's minimum size whenever that rises above its size:
// one long label or an opened dataset's statistics made the whole window wider and taller than
// the screen (1157x788 on a 1024x700 one). The central widget's minimum is fixed here, at what
// the tabs need when built but no more than a 1024x700 screen holds, so content that needs more
// later has to elide, wrap or scroll within the window instead (the tests check that it does).
void MainWindow::keepSizeWhenContentGrows() { tabs_->setMinimumSize(tabs_->minimumSizeHint().boundedTo(QSize(1000, 600))); }

bool MainWindow::openStartDataset(const QString& requested, const QString& format)
{
    if (!requested.isEmpty()) {
        datasets_->openDataset(requested, format);
        tabs_->setCurrentWidget(datasets_);
        return true;
    }
    const QSettings s;
    const QString last = s.value(QLatin1String(kLastDatasetKey)).toString();
    if (last.isEmpty()) return false;
    if (!QFileInfo(last).isDir()) {
        const QString why = QStringLiteral("The last dataset opened, %1, is no longer there (moved, renamed or unmounted?). "
                                           "Open it again with File › Open dataset….")
                                .arg(QDir::toNativeSeparators(last));
        statusBar()->showMessage(why);
        datasets_->setNotice(why);
        return false;
    }
    datasets_->openDataset(last, s.value(QLatin1String(kLastFormatKey), QStringLiteral("auto")).toString());
    return true;
}

// Keyboard: the training controls, exporting, opening a dataset, and one key per tab.
void MainWindow::addShortcuts(QMenu* file)
{
    for (QAction* a : file->actions()) {
        if (a->text().startsWith(QLatin1String("Open run folder"))) a->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O));
        if (a->text().startsWith(QLatin1String("Export live figure"))) a->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    }
    auto* openDataset = new QAction(QStringLiteral("Open dataset…"), this);
    openDataset->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_O));
    connect(openDataset, &QAction::triggered, this, [this] {
        const QString d = QFileDialog::getExistingDirectory(this, QStringLiteral("Dataset folder"));
        if (d.isEmpty()) return;
        tabs_->setCurrentWidget(datasets_);
        datasets_->openDataset(d);
    });
    file->insertAction(file->actions().value(0), openDataset);

    auto* training = menuBar()->addMenu(QStringLiteral("&Training"));
    training->addAction(QStringLiteral("Start"), QKeySequence(Qt::CTRL | Qt::Key_Return), this, [this] {
        if (!train_->controller()->isActive()) train_->startTraining();
    });
    training->addAction(QStringLiteral("Pause / resume"), QKeySequence(Qt::CTRL | Qt::Key_P), this, [this] {
        if (train_->controller()->isActive()) train_->pauseOrResume();
    });
    training->addAction(QStringLiteral("Stop"), QKeySequence(Qt::CTRL | Qt::Key_Period), this, [this] {
        if (train_->controller()->isActive()) train_->stopTraining();
    });

    auto* view = menuBar()->addMenu(QStringLiteral("&View"));
    for (int i = 0; i < tabs_->count(); ++i) {
        const QString name = tabs_->tabText(i);
        view->addAction(name, QKeySequence(Qt::CTRL | (Qt::Key_1 + i)), this, [this, i] { tabs_->setCurrentIndex(i); });
        tabs_->setTabToolTip(i, QStringLiteral("%1 (Ctrl+%2)").arg(name).arg(i + 1));
    }
}

// Help: the user guide (the installed docs, F1), its command-line page, and the About boxes.
void MainWindow::addHelpMenu()
{
    auto* help = menuBar()->addMenu(QStringLiteral("&Help"));
    help->addAction(QStringLiteral("User guide"), QKeySequence::HelpContents, this, [this] { showUserGuide(); });
    help->addAction(QStringLiteral("Command-line reference"), this, [this] { showUserGuide(QStringLiteral("docs/command-line.md")); });
    help->addSeparator();
    help->addAction(QStringLiteral("About CariLab"), this, [this] {
        AboutDialog about(this);
        about.exec();
    });
    help->addAction(QStringLiteral("About Qt"), this, [this] { QMessageBox::aboutQt(this); });
}

UserGuideWindow* MainWindow::showUserGuide(const QString& page)
{
    if (!guide_) guide_ = new UserGuideWindow(this);
    guide_->showPage(page);
    guide_->show();
    guide_->raise();
    guide_->activateWindow();
    return guide_;
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    auto* c = train_->controller();
    if (c->isActive()) {
        if (confirmClose_ &&
            QMessageBox::question(this, QStringLiteral("CariLab"),
                                  QStringLiteral("A training run is active. Stop it (a final checkpoint is written) and quit?")) !=
                QMessageBox::Yes) {
            event->ignore();
            return;
        }
        c->stop();
        c->waitForEnd(120000);
    }
    train_->saveSettings();
    event->accept();
}

}  // namespace carilab::widgets
