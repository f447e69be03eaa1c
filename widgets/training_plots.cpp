#include "training_plots.h"

#include "plot_file.h"
#include "qcustomplot_include.h"

#include <QMenu>
#include <QToolButton>
#include <QVBoxLayout>

#include <cmath>
#include <stdexcept>

namespace carilab::widgets {

namespace {

// Rows 0 and 1 are always the weights and the losses; the accuracies and the gradient panel
// follow when shown (TrainingPlots::rowKind).
enum PlotRow { kWeightRow = 0, kLossRow = 1 };

// A layout grid's column is as narrow as the narrowest maximum width in it, and an empty legend
// (no curves yet) reports its margins as its maximum: the plots above it would shrink to a
// sliver. This legend never caps its column.
class FullWidthLegend : public QCPLegend {
public:
    QSize maximumOuterSizeHint() const override
    {
        QSize s = QCPLegend::maximumOuterSizeHint();
        s.setWidth(QWIDGETSIZE_MAX);
        return s;
    }
};

constexpr double kBandAlpha = 45;  // the caricature band's fill; photos are hatched instead
constexpr double kHatchAlpha = 110;

QString taskOf(const QString& key) { return key.section(QLatin1Char('/'), 1); }

QString shortTask(const QString& task)
{
    if (task == QLatin1String("verification")) return QStringLiteral("verif.");
    if (task == QLatin1String("caricature")) return QStringLiteral("cari. id");
    return QStringLiteral("visual id");
}

QString displayName(const QString& key)
{
    const QString t = taskOf(key);
    if (key.startsWith(QLatin1String("grad_cos/")))
        return QStringLiteral("cos %1 / %2").arg(shortTask(t.section(QLatin1Char('-'), 0, 0)), shortTask(t.section(QLatin1Char('-'), 1, 1)));
    if (t.startsWith(QLatin1String("verification"))) return QStringLiteral("caricature-visual verification");
    if (t.startsWith(QLatin1String("caricature"))) return QStringLiteral("caricature identification");
    if (t.startsWith(QLatin1String("visual"))) return QStringLiteral("visual identification");
    return t;
}

const QVector<double>& xOf(const Curve& c, TrainingPlots::XAxis x)
{
    switch (x) {
    case TrainingPlots::XAxis::Epoch: return c.epoch;
    case TrainingPlots::XAxis::Time: return c.time;
    default: return c.step;
    }
}

// Line styles tell runs apart when overlaid.
Qt::PenStyle runPenStyle(int run)
{
    static const Qt::PenStyle s[] = {Qt::SolidLine, Qt::DashLine, Qt::DotLine, Qt::DashDotLine};
    return s[run % 4];
}

}  // namespace

QVector<double> smoothEma(const QVector<double>& values, double weight)
{
    QVector<double> out(values.size());
    double last = 0.0;
    int n = 0;
    for (int i = 0; i < values.size(); ++i) {
        const double v = values[i];
        if (!std::isfinite(v)) {
            out[i] = v;
            continue;
        }
        last = last * weight + (1.0 - weight) * v;
        ++n;
        // Without the correction the curve starts near 0 (the EMA's initial value).
        const double debias = 1.0 - std::pow(weight, n);
        out[i] = debias > 0 ? last / debias : v;
    }
    return out;
}

QColor TrainingPlots::pairColor(const QString& pair)
{
    if (pair == QLatin1String("verification-caricature")) return QColor(0x94, 0x67, 0xBD);
    if (pair == QLatin1String("verification-visual")) return QColor(0x2C, 0xA0, 0x2C);
    return QColor(0x8C, 0x56, 0x4B);
}

TrainingPlots::Row TrainingPlots::rowKind(int row) const
{
    if (row == kWeightRow) return Row::Weight;
    if (row == kLossRow) return Row::Loss;
    return row == 2 && showEval_ ? Row::Eval : Row::Grad;
}

namespace {

// Before any data: what each row can hold (weights and accuracies in [0, 1], cosines in
// [-1, 1]), not QCustomPlot's 0-5.
void setEmptyRanges(QCPAxisRect* rect, int kind)
{
    rect->axis(QCPAxis::atBottom)->setRange(0, 100);
    rect->axis(QCPAxis::atLeft)->setRange(kind == 3 ? -1.0 : 0.0, kind == 1 ? 6.0 : 1.0);
}

const char* rowTitle(int kind)
{
    switch (kind) {
    case 0: return "task weight";
    case 1: return "task loss";
    case 2: return "held-out acc.";
    default: return "grad. cosine";
    }
}

}  // namespace

QColor TrainingPlots::taskColor(const QString& task)
{
    if (task.startsWith(QLatin1String("caricature"))) return QColor(0x80, 0x80, 0x80);
    if (task.startsWith(QLatin1String("visual"))) return QColor(0xF2, 0x8E, 0x2B);
    return QColor(0x1F, 0x77, 0xB4);
}

TrainingPlots::TrainingPlots(QWidget* parent) : QWidget(parent), plot_(new QCustomPlot(this))
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(plot_);
    plot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    plot_->setNoAntialiasingOnDrag(true);
    plot_->setMouseTracking(true);
    plot_->installEventFilter(this);
    // Four stacked panels can be 20-55 pixels tall (the Runs view at 1024x700): as many y labels
    // as fit, and a legend as wide as the plot allows, fitted before every replot.
    connect(plot_, &QCustomPlot::beforeReplot, this, &TrainingPlots::fitToSize);
    setMinimumSize(480, 360);
    rebuildLayout();
}

void TrainingPlots::setRuns(const QVector<const RunCurves*>& runs)
{
    runs_ = runs;
    rebuildLayout();
    refresh();
    fitAll();
}

void TrainingPlots::setSmoothing(double w)
{
    smoothing_ = std::clamp(w, 0.0, 0.999);
    refresh();
}

void TrainingPlots::setLogLoss(bool on)
{
    logLoss_ = on;
    for (auto* r : rects_.value(kLossRow)) {
        r->axis(QCPAxis::atLeft)->setScaleType(on ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
        if (on)
            r->axis(QCPAxis::atLeft)->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
        else
            r->axis(QCPAxis::atLeft)->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
        r->axis(QCPAxis::atLeft)->ticker()->setTickCount(3);
    }
    fitAll();
}

void TrainingPlots::setXAxis(XAxis x)
{
    xAxis_ = x;
    for (const auto& row : rects_)
        for (auto* r : row)
            r->axis(QCPAxis::atBottom)
                ->setLabel(x == XAxis::Step        ? QStringLiteral("step")
                               : x == XAxis::Epoch ? QStringLiteral("epoch")
                                                   : QStringLiteral("wall time (s)"));
    refresh();
    fitAll();
}

void TrainingPlots::setLayoutMode(Layout l)
{
    layout_ = l;
    rebuildLayout();
    refresh();
    fitAll();
}

void TrainingPlots::setShowEval(bool on)
{
    showEval_ = on;
    rebuildLayout();
    refresh();
    fitAll();
}

void TrainingPlots::setShowGrad(bool on)
{
    showGrad_ = on;
    rebuildLayout();
    refresh();
    fitAll();
}

void TrainingPlots::setShowGradNorms(bool on)
{
    showGradNorms_ = on;
    if (showGrad_)
        for (auto* rect : rects_.last()) rect->axis(QCPAxis::atRight)->setVisible(on);
    refresh();
    fitAll();
}

void TrainingPlots::setBands(Bands b)
{
    bands_ = b;
    refresh();
}

QToolButton* TrainingPlots::makeShowButton(QWidget* parent)
{
    auto* button = new QToolButton(parent);
    button->setText(tr("Show"));
    button->setToolTip(tr("Panels and overlays of the plots"));
    button->setPopupMode(QToolButton::InstantPopup);
    auto* menu = new QMenu(button);
    auto check = [menu](const QString& text, bool on) {
        QAction* a = menu->addAction(text);
        a->setCheckable(true);
        a->setChecked(on);
        return a;
    };
    connect(check(tr("Gradient conflict panel"), showGrad_), &QAction::toggled, this, &TrainingPlots::setShowGrad);
    connect(check(tr("Gradient norms (right axis)"), showGradNorms_), &QAction::toggled, this, &TrainingPlots::setShowGradNorms);
    menu->addSeparator();
    const bool cari = bands_ == Bands::Caricature || bands_ == Bands::Both, photo = bands_ == Bands::Photo || bands_ == Bands::Both;
    QAction* c = check(tr("Per-sample weights: caricatures (band)"), cari);
    QAction* p = check(tr("Per-sample weights: photos (hatched band)"), photo);
    auto bands = [this, c, p](bool) {
        setBands(c->isChecked() ? (p->isChecked() ? Bands::Both : Bands::Caricature) : (p->isChecked() ? Bands::Photo : Bands::None));
    };
    connect(c, &QAction::toggled, this, bands);
    connect(p, &QAction::toggled, this, bands);
    button->setMenu(menu);
    return button;
}

QString TrainingPlots::gradHintShown() const { return gradHint_ && gradHint_->visible() ? gradHint_->text() : QString(); }

void TrainingPlots::fitToSize()
{
    constexpr int kPixelsPerLabel = 18, kLegendColumnPx = 230;
    for (const auto& row : rects_)
        for (auto* rect : row)
            for (const auto type : {QCPAxis::atLeft, QCPAxis::atRight}) {
                const int fit = std::clamp(rect->height() / kPixelsPerLabel, 1, 3);
                if (rect->axis(type)->ticker()->tickCount() != fit) rect->axis(type)->ticker()->setTickCount(fit);
            }
    // The legend sits under the first column (side by side: a run's width).
    if (auto* legend = plot_->legend; legend && !rects_.isEmpty() && !rects_[0].isEmpty()) {
        const int wrap = std::max(3, rects_[0][0]->outerRect().width() / kLegendColumnPx);
        if (legend->wrap() != wrap) {
            legend->setWrap(wrap);
            legend->setFillOrder(QCPLayoutGrid::foColumnsFirst, /*rearrange=*/true);
        }
    }
}

void TrainingPlots::setEmptyText(const QString& text)
{
    emptyText_ = text;
    if (emptyHint_) emptyHint_->setText(text);
    plot_->replot(QCustomPlot::rpQueuedReplot);
}

QString TrainingPlots::emptyHintShown() const { return emptyHint_ && emptyHint_->visible() ? emptyHint_->text() : QString(); }

void TrainingPlots::rebuildLayout()
{
    plot_->clearGraphs();
    plot_->clearItems();
    plot_->plotLayout()->clear();
    rects_.clear();
    tracker_ = nullptr;
    emptyHint_ = gradHint_ = nullptr;
    trackerLines_.clear();
    const int rows = 2 + (showEval_ ? 1 : 0) + (showGrad_ ? 1 : 0);
    const int columns = layout_ == Layout::SideBySide ? std::max(1, static_cast<int>(runs_.size())) : 1;
    // Row 0 of the layout holds column titles (run names) when several runs sit side by side.
    int layoutRow = 0;
    if (columns > 1 || (runs_.size() == 1 && !runs_[0]->name().isEmpty())) {
        for (int c = 0; c < columns; ++c) {
            QString title = layout_ == Layout::SideBySide && c < runs_.size() ? runs_[c]->name() : QString();
            if (columns > 1 && !title.startsWith(QLatin1Char('('))) title = QStringLiteral("(%1) ").arg(QChar(u'a' + c)) + title;
            auto* t = new QCPTextElement(plot_, title, QFont(font().family(), 10, QFont::Bold));
            plot_->plotLayout()->addElement(0, c, t);
        }
        layoutRow = 1;
    }
    rects_.resize(rows);
    // One margin group per column keeps the stacked plots' x axes pixel-aligned, whatever the
    // width of each row's tick labels.
    QVector<QCPMarginGroup*> margins;
    for (int c = 0; c < columns; ++c) margins.push_back(new QCPMarginGroup(plot_));
    for (int row = 0; row < rows; ++row) {
        const int kind = static_cast<int>(rowKind(row));
        for (int c = 0; c < columns; ++c) {
            auto* rect = new QCPAxisRect(plot_);
            rect->setMarginGroup(QCP::msLeft | QCP::msRight, margins[c]);
            plot_->plotLayout()->addElement(layoutRow + row, c, rect);
            rect->setRangeDrag(Qt::Horizontal | Qt::Vertical);
            rect->setRangeZoom(Qt::Horizontal);
            rect->axis(QCPAxis::atLeft)->setLabel(c == 0 ? QString::fromLatin1(rowTitle(kind)) : QString());
            setEmptyRanges(rect, kind);
            // Few labels on y: at 1024x700 each plot is ~50 px tall, where QCustomPlot's five collide.
            rect->axis(QCPAxis::atLeft)->ticker()->setTickCount(3);
            rect->axis(QCPAxis::atBottom)
                ->setLabel(xAxis_ == XAxis::Step        ? QStringLiteral("step")
                               : xAxis_ == XAxis::Epoch ? QStringLiteral("epoch")
                                                        : QStringLiteral("wall time (s)"));
            if (rowKind(row) == Row::Grad) {
                // The norms' axis, shown with them; the margin group keeps it in every column.
                auto* right = rect->axis(QCPAxis::atRight);
                right->setVisible(showGradNorms_);
                right->setLabel(c == columns - 1 ? tr("gradient norm") : QString());
                right->ticker()->setTickCount(3);
                auto* zero = new QCPItemStraightLine(plot_);
                zero->setClipAxisRect(rect);
                zero->point1->setAxes(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
                zero->point2->setAxes(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
                zero->point1->setCoords(0, 0);
                zero->point2->setCoords(1, 0);
                zero->setPen(QPen(QColor(170, 170, 170), 1, Qt::DashLine));
            }
            connect(rect->axis(QCPAxis::atBottom), qOverload<const QCPRange&>(&QCPAxis::rangeChanged), this,
                    [this, rect](const QCPRange&) { syncXRanges(rect); });
            rects_[row].push_back(rect);
        }
    }
    // One legend, below the plots, naming the tasks (and the task pairs) by colour.
    auto* legend = new FullWidthLegend;
    legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
    legend->setWrap(3);
    legend->setBorderPen(Qt::NoPen);
    plot_->plotLayout()->addElement(layoutRow + rows, 0, legend);
    if (columns > 1) plot_->plotLayout()->element(layoutRow + rows, 0)->setOuterRect(QRect());
    plot_->legend = legend;
    legend->setLayer(QStringLiteral("legend"));
    plot_->plotLayout()->setRowStretchFactor(layoutRow + rows, 0.001);
    if (layoutRow) plot_->plotLayout()->setRowStretchFactor(0, 0.001);
    setLogLoss(logLoss_);
    addHintItems();
}

void TrainingPlots::addHintItems()
{
    auto hint = [this](QCPAxisRect* rect, const QString& text, Qt::Alignment align, QPointF at) {
        auto* item = new QCPItemText(plot_);
        item->setClipToAxisRect(false);
        item->position->setType(QCPItemPosition::ptAxisRectRatio);
        item->position->setAxisRect(rect);
        item->position->setCoords(at);
        item->setPositionAlignment(align);
        item->setColor(QColor(120, 120, 120));
        item->setText(text);
        return item;
    };
    emptyHint_ = hint(rects_[kLossRow].value(0), emptyText_, Qt::AlignCenter, {0.5, 0.5});
    if (showGrad_)
        gradHint_ = hint(rects_.last().value(0), tr("no gradient inspection in this run (inspect_every 0, or a run older than the option)"), Qt::AlignCenter,
                         {0.5, 0.5});

    tracker_ = new QCPItemText(plot_);
    tracker_->setClipToAxisRect(false);
    tracker_->setPositionAlignment(Qt::AlignLeft | Qt::AlignTop);
    tracker_->position->setType(QCPItemPosition::ptAbsolute);
    tracker_->setPadding(QMargins(6, 4, 6, 4));
    tracker_->setBrush(QColor(255, 255, 255, 230));
    tracker_->setPen(QPen(QColor(160, 160, 160)));
    tracker_->setTextAlignment(Qt::AlignLeft);
    tracker_->setVisible(false);
    for (const auto& row : rects_)
        for (auto* rect : row) {
            auto* line = new QCPItemStraightLine(plot_);
            line->setClipAxisRect(rect);
            line->point1->setAxes(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
            line->point2->setAxes(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
            line->setPen(QPen(QColor(120, 120, 120), 1, Qt::DotLine));
            line->setVisible(false);
            trackerLines_.push_back(line);
        }
}

void TrainingPlots::refresh()
{
    plot_->clearGraphs();
    if (plot_->legend) plot_->legend->clearItems();
    QSet<QString> legendDone;
    const int rows = static_cast<int>(rects_.size());
    for (int run = 0; run < runs_.size(); ++run) {
        const int column = layout_ == Layout::SideBySide ? run : 0;
        for (int row = 0; row < rows; ++row)
            if (QCPAxisRect* rect = rects_[row].value(column)) addRowGraphs(run, row, rect, legendDone);
    }
    // Antialiased lines cost ~10x per segment; with long runs the curves are dense enough that
    // it buys nothing, and a replot must stay well under the 40 ms poll interval.
    plot_->setNotAntialiasedElements(pointCount() > kAntialiasLimit ? QCP::aePlottables : QCP::aeNone);
    const bool any = plot_->graphCount() > 0;
    if (emptyHint_) emptyHint_->setVisible(!any);
    if (gradHint_) {
        bool grads = false;
        for (auto* rect : rects_.last()) grads = grads || !rect->graphs().isEmpty();
        gradHint_->setVisible(any && !grads);
    }
    addBandLegend();
    plot_->replot(QCustomPlot::rpQueuedReplot);
}

// Two grey swatches in the legend say what the bands are, once, whatever the task colours.
void TrainingPlots::addBandLegend()
{
    bool cari = false, photo = false;
    for (int i = 0; i < plot_->graphCount(); ++i) {
        const QString modality = plot_->graph(i)->property("carilab_band").toString();
        cari = cari || modality == QLatin1String("caricature");
        photo = photo || modality == QLatin1String("photo");
    }
    if (rects_.isEmpty() || rects_[kWeightRow].isEmpty()) return;
    QCPAxisRect* rect = rects_[kWeightRow].first();
    for (const bool isCari : {true, false}) {
        if (isCari ? !cari : !photo) continue;
        auto* swatch = plot_->addGraph(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
        QPen none(Qt::NoPen);
        none.setCosmetic(true);
        swatch->setPen(none);
        const QColor grey(110, 110, 110, isCari ? kBandAlpha + 40 : kHatchAlpha + 60);
        swatch->setBrush(isCari ? QBrush(grey) : QBrush(grey, Qt::BDiagPattern));
        swatch->setName(isCari ? tr("caricatures, 10-90 %") : tr("photos, 10-90 %"));
        swatch->setProperty("carilab_raw", true);  // no data: only its legend entry
    }
}

void TrainingPlots::addRowGraphs(int run, int row, QCPAxisRect* rect, QSet<QString>& legendDone)
{
    const Row kind = rowKind(row);
    if (kind == Row::Weight) addBands(run, rect);  // first: drawn behind the batch weights
    const QStringList keys = kind == Row::Weight ? weightKeys() : kind == Row::Loss ? lossKeys() : kind == Row::Eval ? evalKeys() : gradCosKeys();
    for (const QString& key : keys) {
        const Curve* c = runs_[run]->curve(key);
        if (!c || c->size() == 0) continue;
        const QColor color = kind == Row::Grad ? pairColor(taskOf(key)) : taskColor(taskOf(key));
        const QVector<double>& x = xOf(*c, xAxis_);
        const bool smooth = smoothing_ > 0 && kind != Row::Eval;
        QPen pen(color, 1.0, layout_ == Layout::Overlay ? runPenStyle(run) : Qt::SolidLine);
        if (smooth) {
            // The raw curve stays visible, faintly, behind the smoothed one.
            auto* raw = plot_->addGraph(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
            QColor faint = color;
            faint.setAlpha(60);
            QPen rawPen(faint, 1.0);
            rawPen.setCosmetic(true);
            raw->setPen(rawPen);
            raw->setData(x, c->value, /*alreadySorted=*/true);
            raw->removeFromLegend();
            raw->setProperty("carilab_raw", true);
        }
        auto* g = plot_->addGraph(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
        pen.setCosmetic(true);
        g->setPen(pen);
        g->setAdaptiveSampling(true);
        g->setData(x, smooth ? smoothEma(c->value, smoothing_) : c->value, true);
        if (kind == Row::Eval) g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, 5));
        QString name = displayName(key);
        if (layout_ == Layout::Overlay && runs_.size() > 1) name += QStringLiteral(" — ") + runs_[run]->name();
        g->setName(name);
        g->setProperty("carilab_key", key);
        g->setProperty("carilab_run", run);
        if (legendDone.contains(name)) g->removeFromLegend();
        legendDone.insert(name);
    }
    if (kind == Row::Grad && showGradNorms_) addGradNorms(run, rect);
}

// Each task's 10-90 % band of one modality's per-sample weights, with its median, smoothed
// like the batch weight in front of it. Overlaid runs get none: their bands would hide each other.
void TrainingPlots::addBands(int run, QCPAxisRect* rect)
{
    if (bands_ == Bands::None || (layout_ == Layout::Overlay && runs_.size() > 1)) return;
    const RunCurves& curves = *runs_[run];
    for (const QString& modality : {QStringLiteral("caricature"), QStringLiteral("photo")}) {
        const bool cari = modality == QLatin1String("caricature");
        if ((cari && bands_ == Bands::Photo) || (!cari && bands_ == Bands::Caricature)) continue;
        for (const char* taskName : run::kTaskNames) {
            const QString task = QLatin1String(taskName);
            const Curve* lo = curves.curve(bandKey(modality, QStringLiteral("q10"), task));
            const Curve* hi = curves.curve(bandKey(modality, QStringLiteral("q90"), task));
            const Curve* mid = curves.curve(bandKey(modality, QStringLiteral("q50"), task));
            if (!lo || !hi || !mid || lo->size() != hi->size() || lo->size() == 0) continue;
            const QColor color = taskColor(task);
            auto band = [&](const Curve& c, const QPen& pen) {
                auto* g = plot_->addGraph(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
                g->setPen(pen);
                g->setData(xOf(c, xAxis_), smoothing_ > 0 ? smoothEma(c.value, smoothing_) : c.value, true);
                g->removeFromLegend();
                g->setProperty("carilab_band", modality);
                g->setProperty("carilab_raw", true);  // drawn as is, in exports too; not in the tracker
                return g;
            };
            QPen none(Qt::NoPen);
            none.setCosmetic(true);
            QCPGraph* low = band(*lo, none);
            QCPGraph* high = band(*hi, none);
            QColor fill = color;
            fill.setAlpha(cari ? kBandAlpha : kHatchAlpha);
            high->setBrush(cari ? QBrush(fill) : QBrush(fill, Qt::BDiagPattern));
            high->setChannelFillGraph(low);
            QColor line = color;
            line.setAlpha(150);
            QPen median(line, 1.0, cari ? Qt::DashLine : Qt::DotLine);
            median.setCosmetic(true);
            band(*mid, median);
        }
    }
}

// The tasks' gradient norms on the panel's right axis, dashed in the tasks' colours.
void TrainingPlots::addGradNorms(int run, QCPAxisRect* rect)
{
    for (const QString& key : gradNormKeys()) {
        const Curve* c = runs_[run]->curve(key);
        if (!c || c->size() == 0) continue;
        auto* g = plot_->addGraph(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atRight));
        QPen pen(taskColor(taskOf(key)), 1.0, Qt::DashLine);
        pen.setCosmetic(true);
        g->setPen(pen);
        g->setData(xOf(*c, xAxis_), smoothing_ > 0 ? smoothEma(c->value, smoothing_) : c->value, true);
        g->setName(QStringLiteral("|g| ") + shortTask(taskOf(key)));
        g->setProperty("carilab_key", key);
        g->setProperty("carilab_run", run);
        g->removeFromLegend();  // the task colours are in the legend already
    }
}

void TrainingPlots::setCurvePens(bool publication)
{
    // On screen every curve is a 1-pixel cosmetic pen, which Qt's raster engine draws directly:
    // a live replot of the Figure 3 demo (12 graphs x 400 points) takes ~2 ms instead of 8-11
    // with 1.6-pixel pens, which go through the stroker (4 ms instead of 84-112 at 5000 points), and
    // every such millisecond is taken from the run that is training (bench_plots
    // replotLiveRun). Exports draw the smoothed curves 1.6 units wide, scaled with the page, as
    // a printed figure needs; dense curves stay thin there too (the stroker would take seconds).
    const bool wide = publication && pointCount() <= kAntialiasLimit;
    for (int i = 0; i < plot_->graphCount(); ++i) {
        QCPGraph* g = plot_->graph(i);
        if (g->property("carilab_raw").toBool()) continue;
        QPen pen = g->pen();
        pen.setWidthF(wide ? 1.6 : 1.0);
        pen.setCosmetic(!wide);
        g->setPen(pen);
    }
}

double TrainingPlots::lastReplotMs() const { return plot_->replotTime(); }

void TrainingPlots::fitRect(Row kind, QCPAxisRect* rect)
{
    bool any = false, left = false, right = false;
    for (auto* g : rect->graphs()) {
        bool& seen = g->valueAxis() == rect->axis(QCPAxis::atLeft) ? left : right;
        g->rescaleKeyAxis(any);
        g->rescaleValueAxis(seen);
        seen = any = true;
    }
    if (!left) return;
    auto* y = rect->axis(QCPAxis::atLeft);
    const QCPRange r = y->range();
    if (kind == Row::Weight || kind == Row::Eval) {
        y->setRange(std::max(0.0, r.lower - 0.05), std::min(1.0, r.upper + 0.05));
    } else if (kind == Row::Grad) {
        // Cosines within [-1, 1], always with 0 (orthogonal gradients) in sight.
        y->setRange(std::max(-1.0, std::min(0.0, r.lower) - 0.05), std::min(1.0, std::max(0.0, r.upper) + 0.05));
        auto* norms = rect->axis(QCPAxis::atRight);
        if (norms->visible()) {
            norms->setRangeLower(0);
            norms->scaleRange(1.05, 0);
        }
    } else if (!logLoss_) {
        y->setRangeLower(0);
        y->scaleRange(1.05, y->range().lower);
    }
}

// Same axes for every column, so side-by-side runs compare at a glance (Figure 3 a vs b).
void TrainingPlots::unifyColumns()
{
    for (const auto& row : rects_)
        for (const auto type : {QCPAxis::atBottom, QCPAxis::atLeft, QCPAxis::atRight}) {
            QCPRange range;
            bool first = true;
            for (auto* rect : row) {
                if (rect->graphs().isEmpty()) continue;
                if (first)
                    range = rect->axis(type)->range();
                else
                    range.expand(rect->axis(type)->range());
                first = false;
            }
            if (!first)
                for (auto* rect : row) rect->axis(type)->setRange(range);
        }
}

void TrainingPlots::fitAll()
{
    // Rescaling one rect must not drag the others along through the x-axis link.
    const bool wasSyncing = syncing_;
    syncing_ = true;
    for (int row = 0; row < rects_.size(); ++row)
        for (auto* rect : rects_[row]) fitRect(rowKind(row), rect);
    unifyColumns();
    // x is shared by every row: the extent of every curve's data. (An axis rescaled to one
    // point, a single evaluation, keeps its old width around it: -40..60 for a 10-step run.)
    QCPRange all;
    bool first = true;
    for (int i = 0; i < plot_->graphCount(); ++i) {
        bool found = false;
        const QCPRange keys = plot_->graph(i)->getKeyRange(found);
        if (!found) continue;
        if (first)
            all = keys;
        else
            all.expand(keys);
        first = false;
    }
    if (!first) {
        if (all.size() <= 0) all = QCPRange(all.lower - 1, all.upper + 1);
        for (const auto& row : rects_)
            for (auto* rect : row) rect->axis(QCPAxis::atBottom)->setRange(all);
    }
    syncing_ = wasSyncing;
    plot_->replot(QCustomPlot::rpQueuedReplot);
}

void TrainingPlots::syncXRanges(QCPAxisRect* source)
{
    if (syncing_) return;
    syncing_ = true;
    const QCPRange r = source->axis(QCPAxis::atBottom)->range();
    for (const auto& row : rects_)
        for (auto* rect : row)
            if (rect != source) rect->axis(QCPAxis::atBottom)->setRange(r);
    syncing_ = false;
}

bool TrainingPlots::eventFilter(QObject* watched, QEvent* event)
{
    if (watched == plot_ && event->type() == QEvent::MouseMove) onMouseMove(static_cast<QMouseEvent*>(event));
    if (watched == plot_ && event->type() == QEvent::Leave && tracker_) {
        tracker_->setVisible(false);
        for (auto* l : trackerLines_) l->setVisible(false);
        plot_->replot(QCustomPlot::rpQueuedReplot);
    }
    return QWidget::eventFilter(watched, event);
}

void TrainingPlots::onMouseMove(QMouseEvent* event)
{
    if (!tracker_) return;
    const QPointF pos = event->position();
    QCPAxisRect* under = plot_->axisRectAt(pos);
    if (!under) return;
    const double x = under->axis(QCPAxis::atBottom)->pixelToCoord(pos.x());
    // Every curve's value at that x (the nearest logged point at or before it).
    QStringList lines;
    const QString xName = xAxis_ == XAxis::Step ? QStringLiteral("step") : xAxis_ == XAxis::Epoch ? QStringLiteral("epoch") : QStringLiteral("time");
    lines << QStringLiteral("%1 %2").arg(xName).arg(x, 0, 'f', xAxis_ == XAxis::Step ? 0 : 2);
    for (int i = 0; i < plot_->graphCount(); ++i) {
        QCPGraph* g = plot_->graph(i);
        if (g->property("carilab_raw").toBool() || g->data()->isEmpty()) continue;
        auto it = g->data()->findBegin(x, /*expandedRange=*/false);
        if (it == g->data()->constEnd()) --it;
        if (it != g->data()->constBegin() && it->key > x) --it;
        QString runPrefix;
        if (runs_.size() > 1) runPrefix = QStringLiteral("(%1) ").arg(QChar(u'a' + g->property("carilab_run").toInt()));
        const QString key = g->property("carilab_key").toString();
        lines << QStringLiteral("%1%2 %3: %4").arg(runPrefix, key.section(QLatin1Char('/'), 0, 0), taskOf(key)).arg(it->value, 0, 'f', 4);
    }
    tracker_->setText(lines.join(QLatin1Char('\n')));
    QPointF at = pos + QPointF(14, 8);
    if (at.x() > plot_->width() - 260) at.setX(pos.x() - 260);
    tracker_->position->setCoords(at);
    tracker_->setVisible(true);
    int k = 0;
    for (const auto& row : rects_)
        for (auto* rect : row) {
            auto* line = trackerLines_.value(k++);
            if (!line) continue;
            line->point1->setCoords(x, 0);
            line->point2->setCoords(x, 1);
            line->setVisible(true);
            Q_UNUSED(rect);
        }
    plot_->replot(QCustomPlot::rpQueuedReplot);
    Q_EMIT hovered(x, tracker_->text());
}

int TrainingPlots::graphCount() const { return plot_->graphCount(); }

int TrainingPlots::pointCount() const
{
    int n = 0;
    for (int i = 0; i < plot_->graphCount(); ++i) n += plot_->graph(i)->dataCount();
    return n;
}

void TrainingPlots::exportImage(const QString& path, int width, int height, int dpi)
{
    const int w = width > 0 ? width : plot_->width();
    const int h = height > 0 ? height : plot_->height();
    if (tracker_) tracker_->setVisible(false);
    for (auto* l : trackerLines_) l->setVisible(false);
    setCurvePens(true);
    struct ScreenPens {  // back to the screen's pens however the export ends
        TrainingPlots* plots;
        ~ScreenPens()
        {
            plots->setCurvePens(false);
            plots->plot_->replot(QCustomPlot::rpQueuedReplot);
        }
    } restore{this};
    writePlotFile(plot_, path, w, h, dpi, QStringLiteral("CariLab training curves"));
}

}  // namespace carilab::widgets
