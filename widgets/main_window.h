#pragma once
// CariLab's main window, five tabs: Train (a run's form and live plots), Runs (past runs,
// compared), Evaluation (of the run selected in Runs), Datasets (the browser) and Match
// (a caricature against a gallery).
#include <QMainWindow>

class QMenu;
class QTabWidget;

namespace carilab::widgets {

class DatasetBrowser;
class EvalView;
class MatchView;
class RunsView;
class TrainView;

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
    // When false, closing during a run stops it without asking (tests, --demo under scripts).
    void setConfirmClose(bool on) { confirmClose_ = on; }

private:
    void addShortcuts(QMenu* file);

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
};

}  // namespace carilab::widgets
