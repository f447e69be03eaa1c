#pragma once
// The Evaluation view: one run's protocol results as the paper reports them: the per-fold table
// with mean ± std, the ROC on a log FAR axis, the CMC, and the genuine vs impostor score
// histograms; each figure exports like every other plot (.png .pdf .svg). The all-images results
// (protocol "images") show as a table of their figures.
// Its Evaluate panel runs what `carilab-cli eval --run` runs (run::evaluateRun) on an EvalWorker
// thread: protocol (only those that fit the dataset), pair list, checkpoint, dataset, test-time views.
// Its "Failures…" button runs what `carilab-cli failures` runs (run::analyseFailures) on the same
// thread with the same choices, and shows the result in a FailureGalleryView page in place of
// the results (its "Back to the results" returns).
#include "eval_results.h"

#include <QThread>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QCustomPlot;
class QLabel;
class QListWidget;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QSplitter;
class QStackedWidget;
class QTableWidget;

namespace carilab::widgets {

class ElidedLabel;
class EvalWorker;
class FailureGalleryView;
struct EvalChoices;

class EvalView : public QWidget {
    Q_OBJECT

public:
    explicit EvalView(QWidget* parent = nullptr);
    ~EvalView() override;  // cancels an evaluation in progress and waits for its thread

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
    const ImagesResult* currentImages() const;  // when the selection is an all-images result

    // False while the message page shows (no run, no protocols, or an unreadable eval.json).
    // True while the results or the failure gallery show.
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

    // The Evaluate panel. Its choices arrive from the worker after setRun (choicesShown).
    QComboBox* protocolChoice() const { return evalProtocol_; }
    QComboBox* pairListChoice() const { return pairList_; }
    QComboBox* checkpointChoice() const { return checkpoint_; }
    QCheckBox* mirrorBox() const { return mirror_; }
    QCheckBox* zoomOutBox() const { return zoomOut_; }
    QPushButton* evaluateButton() const { return evaluate_; }
    QPushButton* cancelButton() const { return cancel_; }
    QProgressBar* progressBar() const { return progress_; }
    QString evalStatus() const;
    bool isEvaluating() const { return evaluating_; }
    // Another dataset than the run's own (empty: the run's own again); lists its protocols anew.
    void setEvalDataset(const QString& root, const QString& format = QStringLiteral("auto"));
    QString evalDataset() const { return evalDataset_; }
    void setEvalBatch(int images) { evalBatch_ = images; }  // images per forward pass (64)
    void startEvaluation();
    void cancelEvaluation();  // also cancels a failure analysis

    // The failure gallery: enabled when the run has a CaVI evaluation (eval.json "cavi/…").
    // startFailures() analyses with the panel's checkpoint, pair list, Mirror, Zoom out and Top;
    // when it cannot start, the status says why and failuresFailed is emitted.
    QPushButton* failuresButton() const { return failures_; }
    QSpinBox* topChoice() const { return top_; }
    FailureGalleryView* failureGallery() const { return gallery_; }
    void startFailures();
    bool isAnalysingFailures() const { return analysing_; }
    bool isShowingFailures() const;
    void showResults();  // back from the gallery

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
    void choicesShown();
    void evaluationProgress(int done, int total);
    void evaluationFinished(const QString& key);
    void evaluationCancelled();
    void evaluationFailed(const QString& message);
    void failuresShown();
    void failuresCancelled();
    void failuresFailed(const QString& message);
    // A crop of the failure gallery double-clicked (FailureGalleryView::matchQueryRequested).
    void matchQueryRequested(const QString& path, const QString& identity, const QString& modality);

protected:
    void resizeEvent(QResizeEvent* event) override;

private:
    QWidget* buildPanel();
    void connectWorker();
    void requestChoices();
    void onChoices(const EvalChoices& c);
    void updatePanel();
    void setEvalStatus(const QString& text, bool error = false);
    void browseDataset();
    void buildFailures();  // the Top choice, the Failures… button, the gallery page and their wiring
    bool hasCaviEvaluation() const;
    bool busy() const { return evaluating_ || analysing_; }
    void showImages(const ImagesResult& r);
    void fillImagesTable(const ImagesResult& r);
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

    QThread thread_;
    EvalWorker* worker_;
    quint64 choicesId_ = 0;
    bool choicesReady_ = false, evaluating_ = false, analysing_ = false;
    QString failuresRun_;  // the run the analysis in progress is for
    QString evalDataset_, evalFormat_ = QStringLiteral("auto");
    int evalBatch_ = 64;
    QWidget* panel_;
    QComboBox* evalProtocol_;
    QComboBox* pairList_;
    QLabel* pairListLabel_;
    QComboBox* view_;
    QLabel* viewLabel_;
    QComboBox* checkpoint_;
    QCheckBox* mirror_;
    QCheckBox* zoomOut_;
    ElidedLabel* datasetLabel_;
    QPushButton* browse_;
    QPushButton* ownDataset_;
    QPushButton* evaluate_;
    QPushButton* cancel_;
    QSpinBox* top_;
    QPushButton* failures_;
    FailureGalleryView* gallery_;
    QProgressBar* progress_;
    QLabel* status_;
};

}  // namespace carilab::widgets
