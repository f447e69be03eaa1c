#include "runs_view.h"

#include "export_dialog.h"
#include "figure_export.h"
#include "training_plots.h"

#include "run/run_summary.h"

#include <QComboBox>
#include <QDesktopServices>
#include <QDir>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QMenu>
#include <QMessageBox>
#include <QPushButton>
#include <QSplitter>
#include <QTableWidget>
#include <QUrl>
#include <QVBoxLayout>
#include <algorithm>

namespace carilab::widgets {

namespace {

enum RunColumn { kName, kState, kDataset, kBackbone, kStrategy, kSteps, kLosses, kVerif, kCari, kVisual, kColumns };

QString pct(const std::optional<double>& v) { return v ? QString::number(100 * *v, 'f', 1) + QLatin1Char('%') : QStringLiteral("—"); }

}  // namespace

RunsView::RunsView(const QString& runsDir, QWidget* parent) : QWidget(parent), runsDir_(runsDir)
{
    table_ = new QTableWidget(0, kColumns);
    table_->setHorizontalHeaderLabels({QStringLiteral("Run"), QStringLiteral("Status"), QStringLiteral("Dataset"), QStringLiteral("Backbone"),
                                       QStringLiteral("Strategy"), QStringLiteral("Steps"), QStringLiteral("Last loss v / c / p"),
                                       QStringLiteral("Best verif."), QStringLiteral("Best cari. id"), QStringLiteral("Best visual id")});
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::ExtendedSelection);
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    table_->horizontalHeader()->setStretchLastSection(true);
    table_->setSortingEnabled(true);
    table_->sortByColumn(kName, Qt::AscendingOrder);

    auto* buttons = new QHBoxLayout;
    auto button = [&](const QString& text, auto slot) {
        auto* b = new QPushButton(text);
        connect(b, &QPushButton::clicked, this, slot);
        buttons->addWidget(b);
        return b;
    };
    button(QStringLiteral("Refresh"), &RunsView::refresh);
    button(QStringLiteral("Open folder…"), [this] {
        const QString d = QFileDialog::getExistingDirectory(this, QStringLiteral("Run folder or folder of runs"));
        if (!d.isEmpty()) addFolder(d);
    });
    button(QStringLiteral("Compare"), &RunsView::compareSelected);
    layout_ = new QComboBox;
    layout_->addItems({QStringLiteral("side by side"), QStringLiteral("overlay")});
    buttons->addWidget(layout_);
    button(QStringLiteral("Evaluation"), [this] {
        if (!currentRun().isEmpty()) Q_EMIT evaluationRequested(currentRun());
    })->setToolTip(QStringLiteral("The selected run's protocol results (carilab-cli eval): table, ROC, CMC, score histograms"));
    button(QStringLiteral("Resume"), [this] {
        const auto sel = selectedRuns();
        if (sel.size() == 1) Q_EMIT resumeRequested(sel.front());
    });
    // Folder operations and exports in two menus, so the row fits a 1024-pixel screen.
    auto menuButton = [&](const QString& text) {
        auto* b = new QPushButton(text);
        auto* m = new QMenu(b);
        b->setMenu(m);
        buttons->addWidget(b);
        return m;
    };
    auto* runMenu = menuButton(QStringLiteral("Run"));
    runMenu->addAction(QStringLiteral("Rename…"), this, [this] {
        const auto sel = selectedRuns();
        if (sel.size() != 1) return;
        bool ok = false;
        const QString name = QInputDialog::getText(this, QStringLiteral("Rename run"), QStringLiteral("New name"), QLineEdit::Normal,
                                                   QDir(sel.front()).dirName(), &ok);
        QString error;
        if (ok && !renameRun(sel.front(), name, &error)) QMessageBox::warning(this, QStringLiteral("Rename run"), error);
    });
    runMenu->addAction(QStringLiteral("Delete…"), this, [this] {
        const auto sel = selectedRuns();
        if (sel.isEmpty()) return;
        if (QMessageBox::question(
                this, QStringLiteral("Delete runs"),
                QStringLiteral("Delete %1 run folder(s) and everything in them?\n\n%2").arg(sel.size()).arg(sel.join(QLatin1Char('\n')))) !=
            QMessageBox::Yes)
            return;
        for (const auto& p : sel) {
            QString error;
            if (!deleteRun(p, &error)) QMessageBox::warning(this, QStringLiteral("Delete run"), error);
        }
    });
    runMenu->addAction(QStringLiteral("Show in file manager"), this, [this] {
        for (const auto& p : selectedRuns()) QDesktopServices::openUrl(QUrl::fromLocalFile(p));
    });
    auto* exportMenu = menuButton(QStringLiteral("Export"));
    exportMenu->addAction(QStringLiteral("Figure…"), this, &RunsView::exportFigure);
    exportMenu->addAction(QStringLiteral("Curves as CSV…"), this, &RunsView::exportCsv);
    buttons->addStretch();

    plots_ = new TrainingPlots;
    plots_->setEmptyText(tr("Select runs in the list and press Compare to plot them"));
    note_ = new QLabel(QStringLiteral("Select two or more runs and press Compare."));
    auto* top = new QWidget;
    auto* tl = new QVBoxLayout(top);
    tl->setContentsMargins(0, 0, 0, 0);
    tl->addLayout(buttons);
    tl->addWidget(table_);
    auto* bottom = new QWidget;
    auto* bl = new QVBoxLayout(bottom);
    bl->setContentsMargins(0, 0, 0, 0);
    // The plots' panels and overlays beside the note, not in the full button row above.
    auto* noteRow = new QHBoxLayout;
    noteRow->addWidget(note_, 1);
    noteRow->addWidget(plots_->makeShowButton(bottom));
    bl->addLayout(noteRow);
    bl->addWidget(plots_, 1);
    auto* split = new QSplitter(Qt::Vertical);
    split->addWidget(top);
    split->addWidget(bottom);
    split->setStretchFactor(1, 2);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(split);
    connect(table_, &QTableWidget::cellDoubleClicked, this, &RunsView::compareSelected);
    connect(table_->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] { announceCurrentRun(false); });
    connect(layout_, qOverload<int>(&QComboBox::currentIndexChanged), this,
            [this](int i) { plots_->setLayoutMode(i == 0 ? TrainingPlots::Layout::SideBySide : TrainingPlots::Layout::Overlay); });
    refresh();
}

void RunsView::setRunsDir(const QString& dir)
{
    runsDir_ = dir;
    refresh();
}

void RunsView::addFolder(const QString& dir)
{
    if (!extraFolders_.contains(dir)) extraFolders_ << dir;
    refresh();
}

QStringList RunsView::runPaths() const
{
    QStringList out;
    for (int r = 0; r < table_->rowCount(); ++r) out << table_->item(r, kName)->data(Qt::UserRole).toString();
    return out;
}

void RunsView::refresh()
{
    const QStringList selected = selectedRuns();
    // Rebuilding the table clears and restores the selection: announce the result once.
    refreshing_ = true;
    std::vector<std::string> paths = run::findRuns(runsDir_.toStdString());
    for (const QString& extra : extraFolders_) {
        if (QDir(extra).exists(QStringLiteral("config.json")))
            paths.push_back(extra.toStdString());
        else
            for (const auto& p : run::findRuns(extra.toStdString())) paths.push_back(p);
    }
    table_->setSortingEnabled(false);
    table_->setRowCount(0);
    for (const auto& p : paths) {
        const auto s = run::summarizeRun(p);
        const int row = table_->rowCount();
        table_->insertRow(row);
        auto set = [&](int col, const QString& text) {
            auto* item = new QTableWidgetItem(text);
            table_->setItem(row, col, item);
            return item;
        };
        auto* name = set(kName, QString::fromStdString(s.name));
        name->setData(Qt::UserRole, QString::fromStdString(p));
        name->setToolTip(QString::fromStdString(p));
        if (!s.ok) {
            auto* st = set(kState, QStringLiteral("broken: ") + QString::fromStdString(s.error));
            st->setForeground(QColor(0xC0, 0x20, 0x20));
            st->setToolTip(st->text());
            continue;
        }
        // "interrupted": status.json says running but no process holds the run (killed); the note says how to resume.
        set(kState, QString::fromStdString(s.state))->setToolTip(QString::fromStdString(s.note));
        set(kDataset, QDir(QString::fromStdString(s.dataset)).dirName());
        // A data-parallel run says how many processes train it.
        set(kBackbone, QString::fromStdString(s.backbone) + (s.ranks > 1 ? QStringLiteral(" × %1 ranks").arg(s.ranks) : QString()));
        set(kStrategy, QString::fromStdString(s.strategy));
        auto* steps = new QTableWidgetItem;
        steps->setData(Qt::DisplayRole, static_cast<qlonglong>(s.step));
        table_->setItem(row, kSteps, steps);
        if (s.lastLoss) {
            const run::TaskValues& l = *s.lastLoss;
            set(kLosses, QStringLiteral("%1 / %2 / %3").arg(l[0], 0, 'f', 3).arg(l[1], 0, 'f', 3).arg(l[2], 0, 'f', 3));
        }
        set(kVerif, pct(s.best.verificationAcc));
        set(kCari, pct(s.best.caricatureAcc));
        set(kVisual, pct(s.best.visualAcc));
    }
    table_->setSortingEnabled(true);
    table_->sortByColumn(table_->horizontalHeader()->sortIndicatorSection(), table_->horizontalHeader()->sortIndicatorOrder());
    selectRuns(selected);
    refreshing_ = false;
    announceCurrentRun(true);
}

QString RunsView::currentRun() const
{
    const QStringList sel = selectedRuns();
    return sel.size() == 1 ? sel.front() : QString();
}

void RunsView::announceCurrentRun(bool always)
{
    if (refreshing_) return;
    const QString run = currentRun();
    if (!always && run == announcedRun_) return;
    announcedRun_ = run;
    Q_EMIT currentRunChanged(run);
}

QStringList RunsView::selectedRuns() const
{
    // In table order (not click order), so compared runs appear as the list shows them.
    QList<int> rows;
    for (const auto& idx : table_->selectionModel()->selectedRows()) rows << idx.row();
    std::sort(rows.begin(), rows.end());
    QStringList out;
    for (int r : rows) out << table_->item(r, kName)->data(Qt::UserRole).toString();
    return out;
}

void RunsView::selectRuns(const QStringList& paths)
{
    table_->clearSelection();
    for (int r = 0; r < table_->rowCount(); ++r)
        if (paths.contains(table_->item(r, kName)->data(Qt::UserRole).toString()))
            table_->selectionModel()->select(table_->model()->index(r, 0), QItemSelectionModel::Select | QItemSelectionModel::Rows);
}

void RunsView::setOverlay(bool on) { layout_->setCurrentIndex(on ? 1 : 0); }

void RunsView::compareSelected()
{
    compared_.clear();
    QStringList problems;
    for (const auto& p : selectedRuns()) {
        try {
            compared_.push_back(RunCurves::fromRunDir(p));
        } catch (const std::exception& e) {
            problems << QString::fromStdString(e.what());
        }
    }
    QVector<const RunCurves*> ptrs;
    for (const auto& c : compared_) ptrs.push_back(&c);
    plots_->setRuns(ptrs);
    note_->setText(problems.isEmpty() ? QStringLiteral("%1 run(s) compared").arg(ptrs.size())
                                      : QStringLiteral("not shown: ") + problems.join(QStringLiteral("; ")));
}

bool RunsView::renameRun(const QString& path, const QString& newName, QString* error)
{
    const QString clean = newName.trimmed();
    if (clean.isEmpty() || clean.contains(QLatin1Char('/')) || clean == QLatin1String("..") || clean == QLatin1String(".")) {
        if (error) *error = QStringLiteral("'%1' is not a valid folder name").arg(newName);
        return false;
    }
    QDir parent = QFileInfo(path).dir();
    if (parent.exists(clean)) {
        if (error) *error = QStringLiteral("a folder named '%1' already exists").arg(clean);
        return false;
    }
    if (!parent.rename(QFileInfo(path).fileName(), clean)) {
        if (error) *error = QStringLiteral("could not rename %1 (is a training running in it?)").arg(path);
        return false;
    }
    extraFolders_.replaceInStrings(path, parent.filePath(clean));
    refresh();
    Q_EMIT runMoved(path, parent.filePath(clean));
    return true;
}

bool RunsView::deleteRun(const QString& path, QString* error)
{
    if (!QDir(path).exists(QStringLiteral("config.json"))) {
        if (error) *error = path + QStringLiteral(" is not a run folder; refusing to delete it");
        return false;
    }
    if (!QDir(path).removeRecursively()) {
        if (error) *error = QStringLiteral("could not delete ") + path;
        return false;
    }
    extraFolders_.removeAll(path);
    refresh();
    Q_EMIT runMoved(path, QString());
    return true;
}

void RunsView::exportFigure()
{
    if (compared_.isEmpty()) compareSelected();
    FigureExportDialog dialog(FigureExportDialog::Kind::Figure, QStringLiteral("Export figure"), QStringLiteral("figure3.png"), QSize(1600, 1000),
                              200, this);
    if (dialog.exec() != QDialog::Accepted) return;
    try {
        plots_->exportImage(dialog.path(), dialog.pixelSize().width(), dialog.pixelSize().height(), dialog.dpi());
        announceExport(this, dialog);
    } catch (const std::exception& e) {
        QMessageBox::warning(this, QStringLiteral("Export figure"), QString::fromStdString(e.what()));
    }
}

void RunsView::exportCsv()
{
    if (compared_.isEmpty()) compareSelected();
    FigureExportDialog dialog(FigureExportDialog::Kind::Csv, QStringLiteral("Export curves"), QStringLiteral("curves.csv"), QSize(), 0, this);
    if (dialog.exec() != QDialog::Accepted) return;
    QVector<const RunCurves*> ptrs;
    for (const auto& c : compared_) ptrs.push_back(&c);
    try {
        writeCurvesCsv(ptrs, dialog.path());
        announceExport(this, dialog);
    } catch (const std::exception& e) {
        QMessageBox::warning(this, QStringLiteral("Export CSV"), QString::fromStdString(e.what()));
    }
}

}  // namespace carilab::widgets
