#include "embedding_map_plot.h"

#include "plot_file.h"
#include "thumbnail_loader.h"
#include "qcustomplot_include.h"

#include "run/embedding_map.h"

#include <QMenu>
#include <QScreen>
#include <QVBoxLayout>

#include <cmath>
#include <limits>
#include <map>

namespace carilab::widgets {

namespace {

constexpr double kPickRadiusPx = 8.0;  // how near the cursor a point must be to count as hovered
constexpr int kThumbnailPx = 128;
constexpr int kClickSlopPx = 4;  // a press and release this close is a click, not a pan
constexpr int kCaricatureSize = 8, kPhotoSize = 6;
constexpr int kCardOffsetPx = 14;  // between a hovered point and its card

QString mapText(const std::string& s) { return QString::fromStdString(s); }

}  // namespace

QColor identityColour(int identity)
{
    constexpr double kGoldenRatioConjugate = 0.618033988749895;
    const double hue = std::fmod(0.11 + identity * kGoldenRatioConjugate, 1.0);
    // Alternate saturation and value too: hues alone do not tell 200 identities apart.
    const double sat = identity % 3 == 0 ? 0.95 : identity % 3 == 1 ? 0.7 : 0.5;
    const double val = (identity / 3) % 2 == 0 ? 0.85 : 0.6;
    return QColor::fromHsvF(static_cast<float>(hue), static_cast<float>(sat), static_cast<float>(val));
}

EmbeddingMapPlot::EmbeddingMapPlot(QWidget* parent) : QWidget(parent), plot_(new QCustomPlot(this))
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(plot_);
    plot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    plot_->setNoAntialiasingOnDrag(true);
    plot_->setMouseTracking(true);
    connect(plot_, &QCustomPlot::mouseMove, this, &EmbeddingMapPlot::onMouseMove);
    connect(plot_, &QCustomPlot::mousePress, this, &EmbeddingMapPlot::onMousePress);
    connect(plot_, &QCustomPlot::mouseRelease, this, &EmbeddingMapPlot::onMouseRelease);

    // A tool-tip window of our own: QToolTip cannot hold a pixmap loaded on demand.
    card_ = new QFrame(this, Qt::ToolTip);
    static_cast<QFrame*>(card_)->setFrameShape(QFrame::Box);
    auto* cardLayout = new QVBoxLayout(card_);
    cardImage_ = new QLabel;
    cardImage_->setAlignment(Qt::AlignCenter);
    cardText_ = new QLabel;
    cardText_->setTextFormat(Qt::PlainText);
    cardLayout->addWidget(cardImage_);
    cardLayout->addWidget(cardText_);
    card_->hide();
    thumbnails_ = new ThumbnailLoader(kThumbnailPx, 512, this);
    const auto arrived = [this](const QString& path) {
        if (hovered_ >= 0 && pointPath(hovered_) == path) showThumbnail(hovered_);
    };
    connect(thumbnails_, &ThumbnailLoader::thumbnailReady, this, arrived);
    connect(thumbnails_, &ThumbnailLoader::thumbnailFailed, this, arrived);
    rebuild();
}

EmbeddingMapPlot::~EmbeddingMapPlot() = default;

void EmbeddingMapPlot::setMap(std::shared_ptr<const run::EmbeddingMap> map)
{
    map_ = std::move(map);
    thumbnails_->clear();
    hoverPoint(-1);
    rebuild();
}

void EmbeddingMapPlot::setCentroidLines(bool on)
{
    if (lines_ == on) return;
    lines_ = on;
    for (auto* c : linkCurves_) c->setVisible(on);
    plot_->replot();
}

void EmbeddingMapPlot::rebuild()
{
    plot_->clearPlottables();
    plot_->clearItems();
    linkCurves_.clear();
    if (plot_->plotLayout()->rowCount() > 1) {
        plot_->plotLayout()->removeAt(0);  // the old title row
        plot_->plotLayout()->simplify();
    }
    plot_->legend->setVisible(false);
    for (auto* axis : {plot_->xAxis, plot_->yAxis}) axis->setVisible(map_ != nullptr);
    if (!map_) {
        auto* empty = new QCPItemText(plot_);
        empty->position->setType(QCPItemPosition::ptAxisRectRatio);
        empty->position->setCoords(0.5, 0.5);
        empty->setText(QStringLiteral("No map yet: choose a model and a dataset above, then Compute map."));
        empty->setColor(Qt::darkGray);
        plot_->replot();
        return;
    }
    drawLinks();  // under the points
    drawPoints();
    addTitle();
    const bool tsne = map_->method == "tsne";
    plot_->xAxis->setLabel(tsne ? QStringLiteral("t-SNE 1")
                                : QStringLiteral("PC 1 (%1 % of the variance)").arg(100 * map_->explainedVariance[0], 0, 'f', 1));
    plot_->yAxis->setLabel(tsne ? QStringLiteral("t-SNE 2")
                                : QStringLiteral("PC 2 (%1 % of the variance)").arg(100 * map_->explainedVariance[1], 0, 'f', 1));
    plot_->rescaleAxes(true);
    plot_->xAxis->scaleRange(1.05);
    plot_->yAxis->scaleRange(1.05);
    plot_->replot();
}

void EmbeddingMapPlot::drawPoints()
{
    // One graph per identity and modality: the scatter style carries the modality, the pen the identity.
    std::map<std::pair<int, bool>, std::pair<QVector<double>, QVector<double>>> groups;
    for (const auto& p : map_->points) {
        auto& g = groups[{p.identity, p.modality == "caricature"}];
        g.first.push_back(p.x);
        g.second.push_back(p.y);
    }
    for (const auto& [key, xy] : groups) {
        auto* g = plot_->addGraph();
        g->setLineStyle(QCPGraph::lsNone);
        const QColor c = identityColour(key.first);
        const bool cari = key.second;
        g->setScatterStyle(QCPScatterStyle(cari ? QCPScatterStyle::ssTriangle : QCPScatterStyle::ssDisc, c, cari ? QColor(c.lighter(130)) : c,
                                           cari ? kCaricatureSize : kPhotoSize));
        g->setData(xy.first, xy.second);
        g->setName(mapText(map_->identities[static_cast<size_t>(key.first)]) + (cari ? QStringLiteral(" caricatures") : QStringLiteral(" photos")));
        g->removeFromLegend();
    }
    // The legend explains the shapes; colours are the identities (hover names them).
    plot_->legend->setVisible(true);
    plot_->legend->clearItems();
    for (const bool cari : {true, false}) {
        auto* key = plot_->addGraph();
        key->setLineStyle(QCPGraph::lsNone);
        key->setScatterStyle(QCPScatterStyle(cari ? QCPScatterStyle::ssTriangle : QCPScatterStyle::ssDisc, Qt::darkGray, Qt::lightGray,
                                             cari ? kCaricatureSize : kPhotoSize));
        key->setName(cari ? QStringLiteral("caricature") : QStringLiteral("photo"));
        key->addToLegend();
    }
}

void EmbeddingMapPlot::drawLinks()
{
    std::map<int, std::pair<QVector<double>, QVector<double>>> perIdentity;
    for (const auto& l : run::photoCentroidLinks(*map_)) {
        const auto& p = map_->points[static_cast<size_t>(l.point)];
        auto& xy = perIdentity[p.identity];
        // Caricature, centroid, then a NaN: QCustomPlot leaves a gap at NaN, one curve per identity.
        xy.first << p.x << l.cx << std::numeric_limits<double>::quiet_NaN();
        xy.second << p.y << l.cy << std::numeric_limits<double>::quiet_NaN();
    }
    for (const auto& [identity, xy] : perIdentity) {
        auto* curve = new QCPCurve(plot_->xAxis, plot_->yAxis);
        QColor c = identityColour(identity);
        c.setAlphaF(0.5f);
        curve->setPen(QPen(c, 1.0));
        curve->setData(xy.first, xy.second);
        curve->setVisible(lines_);
        curve->removeFromLegend();
        linkCurves_ << curve;
    }
}

void EmbeddingMapPlot::addTitle()
{
    plot_->plotLayout()->insertRow(0);
    const QString title = mapText(map_->model) + QStringLiteral(" · ") + mapText(map_->dataset) + QStringLiteral("\n") +
        mapText(run::describeMethod(*map_)) + QStringLiteral("\n") + mapText(run::describeQuality(map_->quality));
    auto* text = new QCPTextElement(plot_, title, QFont(font().family(), 9));
    plot_->plotLayout()->addElement(0, 0, text);
}

int EmbeddingMapPlot::drawnPoints() const
{
    if (!map_) return 0;
    int n = 0;
    for (int i = 0; i < plot_->graphCount(); ++i)
        if (plot_->graph(i)->visible() && plot_->graph(i)->name() != QLatin1String("caricature") && plot_->graph(i)->name() != QLatin1String("photo"))
            n += plot_->graph(i)->dataCount();
    return n;
}

int EmbeddingMapPlot::drawnLinks() const
{
    int n = 0;
    for (auto* c : linkCurves_)
        if (c->visible()) n += c->dataCount() / 3;
    return n;
}

QPointF EmbeddingMapPlot::pixelOf(int point) const
{
    const auto& p = map_->points.at(static_cast<size_t>(point));
    return {plot_->xAxis->coordToPixel(p.x), plot_->yAxis->coordToPixel(p.y)};
}

int EmbeddingMapPlot::pointAt(const QPoint& pixel) const
{
    if (!map_ || !plot_->axisRect()->rect().contains(pixel)) return -1;
    int best = -1;
    double bestD = kPickRadiusPx * kPickRadiusPx;
    for (size_t i = 0; i < map_->points.size(); ++i) {
        const QPointF q = pixelOf(static_cast<int>(i)) - QPointF(pixel);
        const double d = q.x() * q.x() + q.y() * q.y();
        if (d <= bestD) {
            bestD = d;
            best = static_cast<int>(i);
        }
    }
    return best;
}

QString EmbeddingMapPlot::pointPath(int point) const { return mapText(map_->points[static_cast<size_t>(point)].absolutePath); }

// The card's image: from the loader's cache, or "loading…" until its worker has decoded it.
void EmbeddingMapPlot::showThumbnail(int point)
{
    QPixmap pm;
    switch (thumbnails_->lookup(pointPath(point), &pm)) {
    case ThumbnailLoader::State::Ready:
        cardImage_->setPixmap(pm);
        break;
    case ThumbnailLoader::State::Failed:
        cardImage_->setText(QStringLiteral("(cannot be read)"));
        break;
    default:
        thumbnails_->request(pointPath(point));
        cardImage_->setText(QStringLiteral("loading…"));
    }
    card_->adjustSize();
}

void EmbeddingMapPlot::hoverPoint(int point)
{
    if (point == hovered_) return;
    hovered_ = point;
    Q_EMIT pointHovered(point);
    if (point < 0 || !map_) {
        card_->hide();
        return;
    }
    const auto& p = map_->points[static_cast<size_t>(point)];
    showThumbnail(point);
    cardText_->setText(mapText(map_->identities[static_cast<size_t>(p.identity)]) + QStringLiteral(" · ") + mapText(p.modality) +
                       QStringLiteral("\n") + mapText(p.path) + QStringLiteral("\nclick: Datasets inspector · Ctrl+click: Match query"));
    card_->adjustSize();
    // Below right of the point, flipped to the other side where the screen ends.
    const QPoint at = plot_->mapToGlobal(pixelOf(point).toPoint());
    QPoint pos = at + QPoint(kCardOffsetPx, kCardOffsetPx);
    if (const QScreen* screen = plot_->screen()) {
        const QRect room = screen->availableGeometry();
        if (pos.x() + card_->width() > room.right()) pos.setX(at.x() - kCardOffsetPx - card_->width());
        if (pos.y() + card_->height() > room.bottom()) pos.setY(at.y() - kCardOffsetPx - card_->height());
    }
    card_->move(pos);
    card_->show();
}

void EmbeddingMapPlot::onMouseMove(QMouseEvent* event)
{
    if (event->buttons() != Qt::NoButton) return;  // panning
    hoverPoint(pointAt(event->pos()));
}

void EmbeddingMapPlot::onMousePress(QMouseEvent* event) { pressedAt_ = event->pos(); }

void EmbeddingMapPlot::onMouseRelease(QMouseEvent* event)
{
    if ((event->pos() - pressedAt_).manhattanLength() > kClickSlopPx) return;
    const int point = pointAt(event->pos());
    if (point < 0) return;
    if (event->button() == Qt::RightButton)
        showContextMenu(point, event->globalPosition().toPoint());
    else if (event->button() == Qt::MiddleButton || (event->modifiers() & Qt::ControlModifier))
        Q_EMIT matchQueryRequested(point);
    else if (event->button() == Qt::LeftButton)
        Q_EMIT inspectRequested(point);
}

void EmbeddingMapPlot::showContextMenu(int point, const QPoint& global)
{
    auto* menu = new QMenu(this);
    menu->setAttribute(Qt::WA_DeleteOnClose);
    menu->addAction(QStringLiteral("Show in the Datasets inspector"), this, [this, point] { Q_EMIT inspectRequested(point); });
    menu->addAction(QStringLiteral("Use as Match query"), this, [this, point] { Q_EMIT matchQueryRequested(point); });
    menu->popup(global);
}

void EmbeddingMapPlot::exportImage(const QString& path, int width, int height, int dpi) const
{
    const int w = width > 0 ? width : plot_->width();
    const int h = height > 0 ? height : plot_->height();
    writePlotFile(plot_, path, w, h, dpi, QStringLiteral("CariLab embedding map"));
}

}  // namespace carilab::widgets
