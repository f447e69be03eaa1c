#pragma once
// The paper's Figure 3, live: task weights (top, with the per-sample weights of each modality
// as bands behind them), task losses, held-out accuracies and the task-gradient cosines on the
// shared layers (bottom, norms on demand), sharing one x axis; one column per run side by
// side, or all runs overlaid.
#include "run_curves.h"

#include <QPointer>
#include <QSet>
#include <QWidget>

class QCustomPlot;
class QCPAxisRect;
class QCPItemText;
class QCPItemStraightLine;
class QMouseEvent;
class QToolButton;

namespace carilab::widgets {

class TrainingPlots : public QWidget {
    Q_OBJECT

public:
    enum class XAxis { Step, Epoch, Time };
    enum class Layout { SideBySide, Overlay };
    // Which modalities' per-sample weights (10-90 % band and median) sit behind the batch weight.
    enum class Bands { None, Caricature, Photo, Both };

    explicit TrainingPlots(QWidget* parent = nullptr);

    // The plots read the curves in place; the owner keeps them alive and calls refresh() after
    // changing them.
    void setRuns(const QVector<const RunCurves*>& runs);
    void refresh();  // rebuilds graph data from the curves and replots
    void fitAll();

    void setSmoothing(double weight);  // 0 = raw only; EMA weight in [0, 0.999]
    double smoothing() const { return smoothing_; }
    void setLogLoss(bool on);
    bool logLoss() const { return logLoss_; }
    void setXAxis(XAxis x);
    XAxis xAxis() const { return xAxis_; }
    void setLayoutMode(Layout l);
    void setShowEval(bool on);
    void setShowGrad(bool on);  // the gradient-conflict panel (on by default)
    bool showGrad() const { return showGrad_; }
    void setShowGradNorms(bool on);  // each task's gradient norm on the panel's right axis
    bool showGradNorms() const { return showGradNorms_; }
    void setBands(Bands b);
    Bands bands() const { return bands_; }
    // A "Show" menu button toggling the panel, the norms and the bands of these plots (the
    // Train and Runs views put it in their toolbars).
    QToolButton* makeShowButton(QWidget* parent = nullptr);

    QCustomPlot* plot() const { return plot_; }
    int graphCount() const;
    // The line shown in the middle of the plots while they have no curve.
    void setEmptyText(const QString& text);
    QString emptyHintShown() const;  // "" once a curve has data
    QString gradHintShown() const;  // the gradient panel's note while its runs have no inspection
    int pointCount() const;  // data points held by all graphs (raw + smoothed)
    double lastReplotMs() const;  // how long the last finished replot took to draw

    // Saves the current figure; format from the suffix (.png .pdf .svg). width/height in
    // pixels (0 = widget size), dpi stored in the PNG. Throws std::runtime_error on failure.
    void exportImage(const QString& path, int width = 0, int height = 0, int dpi = 150);

    // Colours as in the paper: caricature grey, visual orange, verification blue.
    static QColor taskColor(const QString& task);
    // A task pair's colour on the gradient panel ("verification-caricature"...).
    static QColor pairColor(const QString& pair);

Q_SIGNALS:
    void hovered(double x, const QString& text);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    enum class Row { Weight, Loss, Eval, Grad };
    Row rowKind(int row) const;
    void rebuildLayout();
    void addHintItems();
    void addRowGraphs(int run, int row, QCPAxisRect* rect, QSet<QString>& legendDone);
    void addBands(int run, QCPAxisRect* rect);
    void addGradNorms(int run, QCPAxisRect* rect);
    void addBandLegend();
    void fitRect(Row kind, QCPAxisRect* rect);
    void fitToSize();
    void unifyColumns();
    void setCurvePens(bool publication);
    void onMouseMove(QMouseEvent* event);
    void syncXRanges(QCPAxisRect* source);

    static constexpr int kAntialiasLimit = 200'000;
    QCustomPlot* plot_;
    QVector<const RunCurves*> runs_;
    QVector<QVector<QCPAxisRect*>> rects_;  // [row][column]
    QCPItemText* tracker_ = nullptr;
    QCPItemText* emptyHint_ = nullptr;  // shown while no curve has data
    QCPItemText* gradHint_ = nullptr;  // shown while curves exist but no gradient inspection
    QString emptyText_ = tr("No curves yet: start a run (Ctrl+Return) or open one in the Runs tab");
    QVector<QCPItemStraightLine*> trackerLines_;
    double smoothing_ = 0.6;
    bool logLoss_ = false;
    bool showEval_ = true;
    bool showGrad_ = true;
    bool showGradNorms_ = false;
    Bands bands_ = Bands::Both;
    bool syncing_ = false;
    XAxis xAxis_ = XAxis::Step;
    Layout layout_ = Layout::SideBySide;
};

// Bias-corrected exponential moving average (TensorBoard's "smoothing" slider).
QVector<double> smoothEma(const QVector<double>& values, double weight);

}  // namespace carilab::widgets
