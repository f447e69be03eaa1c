#pragma once
// The Match view's query panel: the dropped image scaled to fit, the crop rectangle the match
// used (detected face, dataset box, user box, or the whole image), the dataset's landmarks when
// the query has them, and mouse editing of the rectangle: drag inside to move it, drag an edge
// or a corner to resize it, drag outside it to draw a new one. Rectangles are in the image
// file's pixels, whatever the preview's size. Only a finished edit (mouse release) is emitted.
#include <QImage>
#include <QPolygonF>
#include <QRectF>
#include <QString>
#include <QVector>
#include <QWidget>

#include <optional>

namespace carilab::widgets {

class CropEditor : public QWidget {
    Q_OBJECT

public:
    explicit CropEditor(QWidget* parent = nullptr);

    // preview: the decoded image, possibly shrunk; fullSize: the file's pixels. Clears the
    // rectangle and the landmarks.
    void setImage(const QImage& preview, const QSize& fullSize);
    void clearImage();
    bool hasImage() const { return !preview_.isNull(); }
    QSize imageSize() const { return fullSize_; }

    // Shows r (image pixels, not clamped: a detected head box may reach past the image) without
    // emitting; kind picks the colour and the caption
    // ("user box", "detected", "dataset box", "dataset landmarks", "whole image").
    void setCropRect(const std::optional<QRectF>& r, const QString& kind = QString());
    std::optional<QRectF> cropRect() const { return rect_; }
    QString cropKind() const { return kind_; }
    void setLandmarks(const QVector<QPointF>& imagePoints);
    // A crop that is not an axis-aligned rectangle (a landmark alignment's rotated square),
    // drawn when no rectangle is set. Not editable: drawing a rectangle replaces it.
    void setCropQuad(const QPolygonF& imagePolygon);
    QPolygonF cropQuad() const { return quad_; }
    // As if the user had drawn r: clamped to the image, shown as a user box, and emitted.
    void editCropRect(const QRectF& r);

    void setPlaceholderText(const QString& text);
    void setDropHighlight(bool on);

    // Where the image is drawn, and the mapping between widget and image pixels.
    QRectF imageArea() const;
    QPointF toWidget(const QPointF& imagePoint) const;
    QPointF toImage(const QPointF& widgetPoint) const;

    QSize sizeHint() const override { return {420, 420}; }
    QSize minimumSizeHint() const override { return {200, 200}; }

    static constexpr double kMinSide = 8;  // image pixels

Q_SIGNALS:
    void cropEdited(const QRectF& rect);

protected:
    void paintEvent(QPaintEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;

private:
    enum Edge { None = 0, Left = 1, Right = 2, Top = 4, Bottom = 8, Inside = 16, Outside = 32 };
    int hitTest(const QPointF& widgetPos) const;
    QRectF clamped(QRectF r) const;
    void updateCursor(int hit);

    QImage preview_;
    QSize fullSize_;
    std::optional<QRectF> rect_;
    QString kind_;
    QVector<QPointF> landmarks_;
    QPolygonF quad_;
    QString placeholder_;
    bool highlight_ = false;

    int drag_ = None;
    QPointF pressImage_;
    std::optional<QRectF> pressRect_;
    QString pressKind_;
    bool moved_ = false;
};

}  // namespace carilab::widgets
