#pragma once
// The Evaluation view: one run's protocol results (carilab-cli eval) as the paper reports them:
// the per-fold table with mean ± std, the ROC on a log FAR axis, the CMC, and the genuine vs
// impostor score histograms; each figure exports like every other plot (.png .pdf .svg).
#include "eval_results.h"

#include <QWidget>

class QCheckBox;
class QComboBox;
class QCustomPlot;
class QLabel;
class QListWidget;
class QSplitter;
class QStackedWidget;
class QTableWidget;

namespace carilab::widgets {

class EvalView : public QWidget {
    Q_OBJECT

public:
    explicit EvalView(QWidget* parent = nullptr);

    // Reads the run's eval.json; an empty path shows a prompt to pick a run. Setting the same
    // run again reloads it and keeps the selected protocol when it is still there.
    void setRun(const QString& runDir);
    QString runDir() const { return results_.runDir; }
    void reload() { setRun(results_.runDir); }

    QStringList protocolKeys() const;
    QString currentKey() const;
    bool setCurrentKey(const QString& key);
    const RunEvaluation& results() const { return results_; }
    const ProtocolResult* current() const;

    // False while the message page shows (no run, no protocols, or an unreadable eval.json).
    bool hasResults() const;
    QString message() const;

    QTableWidget* table() const { return table_; }
    // Graph 0 of the ROC and CMC plots is the data: the pooled ROC (zero FARs drawn at the
    // axis' left end, which bounds them from below), the CMC. The histogram's first two
    // plottables are QCPBars, genuine then impostor; a graph marks the mean threshold.
    QCustomPlot* rocPlot() const { return roc_; }
    QCustomPlot* cmcPlot() const { return cmc_; }
    QCustomPlot* histogramPlot() const { return histogram_; }
    QListWidget* issuesList() const { return issues_; }

    // Per-class fractions (default) compare the shapes when negatives are few, as in CaVI's
    // lists; raw counts show the pair numbers.
    void setHistogramNormalized(bool on);

    // which: "roc", "cmc" or "histogram"; format from the suffix. width/height in pixels (0 =
    // the plot's on-screen size), dpi stored in the PNG. False with lastError() on failure.
    bool exportPlot(const QString& which, const QString& file, int width = 0, int height = 0, int dpi = 150);
    // Every number of the selected protocol, long format (see resultsCsv).
    bool exportTableCsv(const QString& file);
    QString lastError() const { return lastError_; }

Q_SIGNALS:
    void protocolShown(const QString& key);

protected:
    void resizeEvent(QResizeEvent* event) override;

private:
    void showProtocol();
    void showMessage(const QString& text);
    void fillSummary(const ProtocolResult& r);
    void fillTable(const ProtocolResult& r);
    void fillIssues(const ProtocolResult& r);
    void fitTable();
    void drawRoc(const ProtocolResult& r);
    void drawCmc(const ProtocolResult& r);
    void drawHistogram(const ProtocolResult& r);
    void exportInteractively(const QString& which);
    QCustomPlot* plotNamed(const QString& which) const;

    RunEvaluation results_;
    QString lastError_;
    bool normalized_ = true;
    bool widthMoved_ = false, heightMoved_ = false;
    QStackedWidget* pages_;
    QSplitter* split_;
    QSplitter* left_;
    QLabel* message_;
    QComboBox* protocol_;
    QLabel* summary_;
    QCheckBox* normalize_;
    QTableWidget* table_;
    QLabel* issuesTitle_;
    QListWidget* issues_;
    QCustomPlot* roc_;
    QCustomPlot* cmc_;
    QCustomPlot* histogram_;
};

}  // namespace carilab::widgets
