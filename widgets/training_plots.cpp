#include "training_plots.h"

#include "qcustomplot_include.h"

#include <QFileInfo>
#include <QSvgGenerator>
#include <QVBoxLayout>

#include <cmath>
#include <stdexcept>

namespace carilab::widgets {

namespace {

enum PlotRow { kWeightRow = 0, kLossRow = 1, kEvalRow = 2 };

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

// Before any data: what each row can hold (weights and accuracies in [0, 1]), not QCustomPlot's 0-5.
void setEmptyRanges(QCPAxisRect* rect, int row)
{
    rect->axis(QCPAxis::atBottom)->setRange(0, 100);
    rect->axis(QCPAxis::atLeft)->setRange(0, row == kLossRow ? 6.0 : 1.0);
}

const char* rowTitle(int row)
{
    switch (row) {
    case kWeightRow: return "task weight";
    case kLossRow: return "task loss";
    default: return "held-out accuracy";
    }
}

QString taskOf(const QString& key) { return key.section(QLatin1Char('/'), 1); }

QString displayName(const QString& key)
{
    const QString t = taskOf(key);
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
    emptyHint_ = nullptr;
    trackerLines_.clear();
    const int rows = showEval_ ? 3 : 2;
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
        for (int c = 0; c < columns; ++c) {
            auto* rect = new QCPAxisRect(plot_);
            rect->setMarginGroup(QCP::msLeft | QCP::msRight, margins[c]);
            plot_->plotLayout()->addElement(layoutRow + row, c, rect);
            rect->setRangeDrag(Qt::Horizontal | Qt::Vertical);
            rect->setRangeZoom(Qt::Horizontal);
            rect->axis(QCPAxis::atLeft)->setLabel(c == 0 ? QString::fromLatin1(rowTitle(row)) : QString());
            setEmptyRanges(rect, row);
            // Few labels on y: at 1024x700 each plot is ~70 px tall, where QCustomPlot's five collide.
            rect->axis(QCPAxis::atLeft)->ticker()->setTickCount(3);
            rect->axis(QCPAxis::atBottom)
                ->setLabel(xAxis_ == XAxis::Step        ? QStringLiteral("step")
                               : xAxis_ == XAxis::Epoch ? QStringLiteral("epoch")
                                                        : QStringLiteral("wall time (s)"));
            connect(rect->axis(QCPAxis::atBottom), qOverload<const QCPRange&>(&QCPAxis::rangeChanged), this,
                    [this, rect](const QCPRange&) { syncXRanges(rect); });
            rects_[row].push_back(rect);
        }
    }
    // One legend, below the plots, naming the tasks by colour.
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

    emptyHint_ = new QCPItemText(plot_);
    emptyHint_->setClipToAxisRect(false);
    emptyHint_->position->setType(QCPItemPosition::ptAxisRectRatio);
    emptyHint_->position->setAxisRect(rects_[kLossRow].value(0));
    emptyHint_->position->setCoords(0.5, 0.5);
    emptyHint_->setPositionAlignment(Qt::AlignCenter);
    emptyHint_->setColor(QColor(120, 120, 120));
    emptyHint_->setText(emptyText_);

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
        for (int row = 0; row < rows; ++row) {
            QCPAxisRect* rect = rects_[row].value(column);
            if (!rect) continue;
            const QStringList keys = row == kWeightRow ? weightKeys() : row == kLossRow ? lossKeys() : evalKeys();
            for (const QString& key : keys) {
                const Curve* c = runs_[run]->curve(key);
                if (!c || c->size() == 0) continue;
                const QColor color = taskColor(taskOf(key));
                const QVector<double>& x = xOf(*c, xAxis_);
                const bool smooth = smoothing_ > 0 && row != kEvalRow;
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
                if (row == kEvalRow) g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, 5));
                QString name = displayName(key);
                if (layout_ == Layout::Overlay && runs_.size() > 1) name += QStringLiteral(" — ") + runs_[run]->name();
                g->setName(name);
                g->setProperty("carilab_key", key);
                g->setProperty("carilab_run", run);
                if (legendDone.contains(name)) g->removeFromLegend();
                legendDone.insert(name);
            }
        }
    }
    // Antialiased lines cost ~10x per segment; with long runs the curves are dense enough that
    // it buys nothing, and a replot must stay well under the 40 ms poll interval.
    plot_->setNotAntialiasedElements(pointCount() > kAntialiasLimit ? QCP::aePlottables : QCP::aeNone);
    if (emptyHint_) emptyHint_->setVisible(plot_->graphCount() == 0);
    plot_->replot(QCustomPlot::rpQueuedReplot);
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

void TrainingPlots::fitAll()
{
    // Rescaling one rect must not drag the others along through the x-axis link.
    const bool wasSyncing = syncing_;
    syncing_ = true;
    for (int row = 0; row < rects_.size(); ++row)
        for (auto* rect : rects_[row]) {
            bool any = false;
            for (auto* g : rect->graphs()) {
                g->rescaleAxes(any);
                any = true;
            }
            if (!any) continue;
            auto* y = rect->axis(QCPAxis::atLeft);
            if (row == kWeightRow || row == kEvalRow) {
                const QCPRange r = y->range();
                y->setRange(std::max(0.0, r.lower - 0.05), std::min(1.0, r.upper + 0.05));
            } else if (!logLoss_) {
                y->setRangeLower(0);
                y->scaleRange(1.05, y->range().lower);
            }
        }
    // Same axes for every column, so side-by-side runs compare at a glance (Figure 3 a vs b).
    for (int row = 0; row < rects_.size(); ++row) {
        QCPRange x, y;
        bool first = true;
        for (auto* rect : rects_[row]) {
            if (rect->graphs().isEmpty()) continue;
            if (first) {
                x = rect->axis(QCPAxis::atBottom)->range();
                y = rect->axis(QCPAxis::atLeft)->range();
                first = false;
            } else {
                x.expand(rect->axis(QCPAxis::atBottom)->range());
                y.expand(rect->axis(QCPAxis::atLeft)->range());
            }
        }
        if (first) continue;
        for (auto* rect : rects_[row]) {
            rect->axis(QCPAxis::atBottom)->setRange(x);
            rect->axis(QCPAxis::atLeft)->setRange(y);
        }
    }
    // x is shared by every row: take the widest.
    QCPRange all;
    bool first = true;
    for (const auto& row : rects_)
        for (auto* rect : row) {
            if (rect->graphs().isEmpty()) continue;
            if (first) {
                all = rect->axis(QCPAxis::atBottom)->range();
                first = false;
            } else
                all.expand(rect->axis(QCPAxis::atBottom)->range());
        }
    if (!first)
        for (const auto& row : rects_)
            for (auto* rect : row) rect->axis(QCPAxis::atBottom)->setRange(all);
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
    const QString suffix = QFileInfo(path).suffix().toLower();
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
    bool ok = false;
    if (suffix == QLatin1String("png")) {
        // savePng's resolution argument only tags the file; pixels are w x h exactly.
        ok = plot_->savePng(path, w, h, 1.0, -1, dpi, QCP::ruDotsPerInch);
    } else if (suffix == QLatin1String("pdf")) {
        ok = plot_->savePdf(path, w, h, QCP::epNoCosmetic, QStringLiteral("CariLab"), QStringLiteral("CariLab training curves"));
    } else if (suffix == QLatin1String("svg")) {
        QSvgGenerator gen;
        gen.setFileName(path);
        gen.setSize(QSize(w, h));
        gen.setViewBox(QRect(0, 0, w, h));
        gen.setTitle(QStringLiteral("CariLab training curves"));
        QCPPainter painter;
        ok = painter.begin(&gen);
        if (ok) {
            plot_->toPainter(&painter, w, h);
            painter.end();
        }
    } else {
        throw std::runtime_error(path.toStdString() + ": unknown image format (use .png, .pdf or .svg)");
    }
    if (!ok) throw std::runtime_error(path.toStdString() + ": could not write the figure");
}

}  // namespace carilab::widgets
