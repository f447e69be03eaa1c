#pragma once
// A 2-D embedding map (run::EmbeddingMap) drawn with QCustomPlot: one colour per identity,
// triangles for caricatures and discs for photos, optional lines from each caricature to its
// identity's photo centroid, the method and the map's trustworthiness in the title. Hovering a
// point shows its thumbnail and names; a click asks for the image in the Datasets inspector,
// Ctrl+click (or the context menu) as a Match query. Drag pans, the wheel zooms.
#include <QWidget>

#include <memory>

class QCustomPlot;
namespace carilab::widgets {
class ThumbnailLoader;
}
class QCPCurve;
class QLabel;
class QMouseEvent;

namespace carilab::run {
struct EmbeddingMap;
}

namespace carilab::widgets {

class EmbeddingMapPlot : public QWidget {
    Q_OBJECT

public:
    explicit EmbeddingMapPlot(QWidget* parent = nullptr);
    ~EmbeddingMapPlot() override;

    void setMap(std::shared_ptr<const run::EmbeddingMap> map);  // nullptr clears
    std::shared_ptr<const run::EmbeddingMap> map() const { return map_; }
    void setCentroidLines(bool on);
    bool centroidLines() const { return lines_; }

    QCustomPlot* plot() const { return plot_; }
    int drawnPoints() const;  // scatter points on the plot
    int drawnLinks() const;  // caricature-to-centroid segments on the plot
    QPointF pixelOf(int point) const;  // where a map point is drawn, in plot-widget pixels
    int pointAt(const QPoint& pixel) const;  // the nearest point within a few pixels; -1 when none

    // What a mouse hover does: the card with the point's thumbnail, or hidden for -1.
    void hoverPoint(int point);
    int hoveredPoint() const { return hovered_; }
    QWidget* hoverCard() const { return card_; }
    QLabel* hoverThumbnail() const { return cardImage_; }
    QLabel* hoverText() const { return cardText_; }

    // .png (dpi stored), .pdf or .svg by the suffix; width/height 0 = the on-screen size.
    // Throws std::runtime_error when the file cannot be written or the suffix is unknown.
    void exportImage(const QString& path, int width, int height, int dpi) const;

Q_SIGNALS:
    void pointHovered(int point);  // -1: left the points
    void inspectRequested(int point);
    void matchQueryRequested(int point);

private:
    void rebuild();
    void drawPoints();
    void drawLinks();
    void addTitle();
    void onMouseMove(QMouseEvent* event);
    void onMousePress(QMouseEvent* event);
    void onMouseRelease(QMouseEvent* event);
    void showContextMenu(int point, const QPoint& global);
    void showThumbnail(int point);
    QString pointPath(int point) const;

    QCustomPlot* plot_;
    std::shared_ptr<const run::EmbeddingMap> map_;
    bool lines_ = false;
    QList<QCPCurve*> linkCurves_;
    int hovered_ = -1;
    QPoint pressedAt_;
    QWidget* card_;
    QLabel* cardImage_;
    QLabel* cardText_;
    ThumbnailLoader* thumbnails_;  // decodes on its own threads, never on the GUI thread
};

// An identity's colour on the map: hues spread by the golden angle, so neighbouring indices differ.
QColor identityColour(int identity);

}  // namespace carilab::widgets
