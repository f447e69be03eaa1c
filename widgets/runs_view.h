#pragma once
// The Runs view: every run folder with its status and figures; resume, rename, delete, open;
// compare two or more runs overlaid or side by side (Figure 3 a vs b) and export them.
#include "run_curves.h"

#include <QWidget>

class QTableWidget;
class QComboBox;
class QLabel;

namespace carilab::widgets {

class TrainingPlots;

class RunsView : public QWidget {
    Q_OBJECT

public:
    explicit RunsView(const QString& runsDir, QWidget* parent = nullptr);

    void setRunsDir(const QString& dir);
    QString runsDir() const { return runsDir_; }
    void addFolder(const QString& dir);  // a run folder, or a folder of runs, from elsewhere
    QStringList runPaths() const;
    QStringList selectedRuns() const;
    void selectRuns(const QStringList& paths);
    void setOverlay(bool on);
    QString currentRun() const;  // the selected run when exactly one is selected
    QTableWidget* table() const { return table_; }
    TrainingPlots* plots() const { return plots_; }

    bool renameRun(const QString& path, const QString& newName, QString* error = nullptr);
    bool deleteRun(const QString& path, QString* error = nullptr);  // no confirmation; the GUI asks first

public Q_SLOTS:
    void refresh();
    void compareSelected();

Q_SIGNALS:
    void resumeRequested(const QString& runDir);
    // The single selected run, or empty when none or several are; also after every refresh,
    // so views of that run reload what changed on disk.
    void currentRunChanged(const QString& runDir);
    void evaluationRequested(const QString& runDir);
    // A run folder renamed (to: its new path) or deleted (to: empty), for views that hold it.
    void runMoved(const QString& from, const QString& to);

private:
    void exportFigure();
    void exportCsv();
    void announceCurrentRun(bool always);

    QString runsDir_;
    QStringList extraFolders_;
    QTableWidget* table_;
    TrainingPlots* plots_;
    QComboBox* layout_;
    QLabel* note_;
    QVector<RunCurves> compared_;
    QString announcedRun_;
    bool refreshing_ = false;
};

}  // namespace carilab::widgets
