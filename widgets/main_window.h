#pragma once
// CariLab's main window, six tabs: Train (a run's form and live plots), Runs (past runs,
// compared), Evaluation (of the run selected in Runs), Datasets (the browser), Match
// (a caricature against a gallery) and Embeddings (a dataset's embeddings as a 2-D map).
#include <QMainWindow>

class QMenu;
class QTabWidget;

namespace carilab::widgets {

class DatasetBrowser;
class EmbeddingMapView;
class EvalView;
class MatchView;
class RunsView;
class TrainView;
class UserGuideWindow;

class MainWindow : public QMainWindow {
    Q_OBJECT

public:
    explicit MainWindow(QWidget* parent = nullptr);
    TrainView* trainView() const { return train_; }
    RunsView* runsView() const { return runs_; }
    EvalView* evalView() const { return eval_; }
    QTabWidget* tabs() const { return tabs_; }
    DatasetBrowser* datasetBrowser() const { return datasets_; }
    MatchView* matchView() const { return match_; }
    EmbeddingMapView* embeddingMapView() const { return map_; }
    // When false, closing during a run stops it without asking (tests, --demo under scripts).
    void setConfirmClose(bool on) { confirmClose_ = on; }
    // The dataset of the Datasets tab at start: the requested one (the command line's, shown at
    // once) when given, else the last one opened (remembered in QSettings), reopened in the
    // background without changing tabs. A remembered folder that is gone leaves a message in
    // the status bar and in the tab, and the tab falls back to the demo. False when nothing
    // is being opened.
    bool openStartDataset(const QString& requested = QString(), const QString& format = QStringLiteral("auto"));
    // Help › User guide: the guide's window (one, kept) showing `page` of the installed docs.
    UserGuideWindow* showUserGuide(const QString& page = QStringLiteral("README.md"));
    static constexpr const char* kLastDatasetKey = "datasets/last";
    static constexpr const char* kLastFormatKey = "datasets/last_format";

private:
    void addShortcuts(QMenu* file);
    void addHelpMenu();
    void keepSizeWhenContentGrows();
    void connectEmbeddingMap();

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    QTabWidget* tabs_;
    TrainView* train_;
    RunsView* runs_;
    EvalView* eval_;
    bool confirmClose_ = true;
    DatasetBrowser* datasets_ = nullptr;
    MatchView* match_ = nullptr;
    EmbeddingMapView* map_ = nullptr;
    UserGuideWindow* guide_ = nullptr;
};

}  // namespace carilab::widgets
