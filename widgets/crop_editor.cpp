#include "crop_editor.h"

#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>

namespace carilab::widgets {

namespace {

constexpr double kGrab = 7;  // widget pixels around an edge that grab it

QColor kindColour(const QString& kind)
{
    if (kind == QLatin1String("user box")) return QColor(0xFF, 0x7F, 0x0E);
    if (kind == QLatin1String("detected")) return QColor(0x2C, 0xA0, 0x2C);
    if (kind.startsWith(QLatin1String("dataset"))) return QColor(0x1F, 0x77, 0xB4);
    return QColor(0x99, 0x99, 0x99);
}

}  // namespace

CropEditor::CropEditor(QWidget* parent) : QWidget(parent)
{
    setMouseTracking(true);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    placeholder_ = QStringLiteral("Drop a photo or caricature here");
}

void CropEditor::setImage(const QImage& preview, const QSize& fullSize)
{
    preview_ = preview;
    fullSize_ = fullSize.isValid() ? fullSize : preview.size();
    rect_.reset();
    kind_.clear();
    landmarks_.clear();
    quad_.clear();
    drag_ = None;
    update();
}

void CropEditor::clearImage() { setImage(QImage(), QSize()); }

void CropEditor::setCropRect(const std::optional<QRectF>& r, const QString& kind)
{
    if (drag_ != None) return;  // the user is editing: the rectangle under the mouse wins
    // As used: a detector's head box may reach past the image (the crop pads it).
    rect_ = r ? std::optional<QRectF>(r->normalized()) : std::nullopt;
    kind_ = kind;
    update();
}

void CropEditor::setLandmarks(const QVector<QPointF>& imagePoints)
{
    landmarks_ = imagePoints;
    update();
}

void CropEditor::setCropQuad(const QPolygonF& imagePolygon)
{
    quad_ = imagePolygon;
    update();
}

void CropEditor::editCropRect(const QRectF& r)
{
    if (!hasImage()) return;
    rect_ = clamped(r);
    kind_ = QStringLiteral("user box");
    update();
    Q_EMIT cropEdited(*rect_);
}

void CropEditor::setPlaceholderText(const QString& text)
{
    placeholder_ = text;
    update();
}

void CropEditor::setDropHighlight(bool on)
{
    highlight_ = on;
    update();
}

QRectF CropEditor::imageArea() const
{
    if (!hasImage() || fullSize_.isEmpty()) return {};
    const QRectF area = QRectF(rect()).adjusted(6, 6, -6, -6);
    const double scale = std::min(area.width() / fullSize_.width(), area.height() / fullSize_.height());
    const QSizeF size(fullSize_.width() * scale, fullSize_.height() * scale);
    return QRectF(area.center() - QPointF(size.width() / 2, size.height() / 2), size);
}

QPointF CropEditor::toWidget(const QPointF& p) const
{
    const QRectF a = imageArea();
    if (a.isEmpty()) return {};
    return a.topLeft() + QPointF(p.x() * a.width() / fullSize_.width(), p.y() * a.height() / fullSize_.height());
}

QPointF CropEditor::toImage(const QPointF& p) const
{
    const QRectF a = imageArea();
    if (a.isEmpty()) return {};
    return QPointF((p.x() - a.left()) * fullSize_.width() / a.width(), (p.y() - a.top()) * fullSize_.height() / a.height());
}

QRectF CropEditor::clamped(QRectF r) const
{
    r = r.normalized();
    const double w = fullSize_.width(), h = fullSize_.height();
    r.setWidth(std::clamp(r.width(), std::min(kMinSide, w), w));
    r.setHeight(std::clamp(r.height(), std::min(kMinSide, h), h));
    r.moveLeft(std::clamp(r.left(), 0.0, w - r.width()));
    r.moveTop(std::clamp(r.top(), 0.0, h - r.height()));
    return r;
}

int CropEditor::hitTest(const QPointF& p) const
{
    if (!rect_) return Outside;
    const QRectF shown = clamped(*rect_);  // as drawn
    const QRectF w(toWidget(shown.topLeft()), toWidget(shown.bottomRight()));
    const QRectF grab = w.adjusted(-kGrab, -kGrab, kGrab, kGrab);
    if (!grab.contains(p)) return Outside;
    int edges = None;
    if (std::abs(p.x() - w.left()) <= kGrab)
        edges |= Left;
    else if (std::abs(p.x() - w.right()) <= kGrab)
        edges |= Right;
    if (std::abs(p.y() - w.top()) <= kGrab)
        edges |= Top;
    else if (std::abs(p.y() - w.bottom()) <= kGrab)
        edges |= Bottom;
    return edges == None ? Inside : edges;
}

void CropEditor::updateCursor(int hit)
{
    if (!hasImage()) {
        unsetCursor();
        return;
    }
    switch (hit) {
    case Left | Top:
    case Right | Bottom: setCursor(Qt::SizeFDiagCursor); break;
    case Right | Top:
    case Left | Bottom: setCursor(Qt::SizeBDiagCursor); break;
    case Left:
    case Right: setCursor(Qt::SizeHorCursor); break;
    case Top:
    case Bottom: setCursor(Qt::SizeVerCursor); break;
    case Inside: setCursor(Qt::SizeAllCursor); break;
    default: setCursor(Qt::CrossCursor); break;
    }
}

void CropEditor::mousePressEvent(QMouseEvent* event)
{
    if (!hasImage() || event->button() != Qt::LeftButton) return QWidget::mousePressEvent(event);
    drag_ = hitTest(event->position());
    pressImage_ = toImage(event->position());
    pressRect_ = rect_;
    pressKind_ = kind_;
    moved_ = false;
    event->accept();
}

void CropEditor::mouseMoveEvent(QMouseEvent* event)
{
    if (drag_ == None) {
        updateCursor(hitTest(event->position()));
        return;
    }
    const QPointF now = toImage(event->position());
    const QPointF d = now - pressImage_;
    if (!moved_ && QLineF(toWidget(now), toWidget(pressImage_)).length() < 3) return;
    moved_ = true;
    const double w = fullSize_.width(), h = fullSize_.height();
    if (drag_ == Outside || !pressRect_) {
        const QPointF a(std::clamp(pressImage_.x(), 0.0, w), std::clamp(pressImage_.y(), 0.0, h));
        const QPointF b(std::clamp(now.x(), 0.0, w), std::clamp(now.y(), 0.0, h));
        rect_ = QRectF(a, b).normalized();
    } else if (drag_ == Inside) {
        rect_ = clamped(clamped(*pressRect_).translated(d));
    } else {
        QRectF r = clamped(*pressRect_);
        if (drag_ & Left) r.setLeft(std::clamp(r.left() + d.x(), 0.0, r.right() - kMinSide));
        if (drag_ & Right) r.setRight(std::clamp(r.right() + d.x(), r.left() + kMinSide, w));
        if (drag_ & Top) r.setTop(std::clamp(r.top() + d.y(), 0.0, r.bottom() - kMinSide));
        if (drag_ & Bottom) r.setBottom(std::clamp(r.bottom() + d.y(), r.top() + kMinSide, h));
        rect_ = r;
    }
    kind_ = QStringLiteral("user box");
    update();
}

void CropEditor::mouseReleaseEvent(QMouseEvent* event)
{
    if (drag_ == None || event->button() != Qt::LeftButton) return QWidget::mouseReleaseEvent(event);
    drag_ = None;
    if (!moved_ || !rect_ || rect_->width() < kMinSide || rect_->height() < kMinSide) {
        // A click, or a rectangle too small to hold a face: keep the one before.
        rect_ = pressRect_;
        kind_ = pressKind_;
        update();
        return;
    }
    rect_ = clamped(*rect_);
    update();
    Q_EMIT cropEdited(*rect_);
}

void CropEditor::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    p.fillRect(rect(), palette().color(QPalette::Base).darker(highlight_ ? 120 : 104));
    if (!hasImage() || highlight_) {
        QPen pen(highlight_ ? palette().color(QPalette::Highlight) : palette().color(QPalette::Mid), 2, Qt::DashLine);
        p.setPen(pen);
        p.drawRoundedRect(QRectF(rect()).adjusted(4, 4, -4, -4), 8, 8);
    }
    if (!hasImage()) {
        p.setPen(palette().color(QPalette::PlaceholderText));
        QFont f = font();
        f.setPointSizeF(f.pointSizeF() * 1.2);
        p.setFont(f);
        p.drawText(rect().adjusted(16, 16, -16, -16), Qt::AlignCenter | Qt::TextWordWrap, placeholder_);
        return;
    }
    const QRectF area = imageArea();
    p.setRenderHint(QPainter::SmoothPixmapTransform);
    p.drawImage(area, preview_);
    if (rect_) {
        // A box reaching past the image is drawn at the image's edge, those sides dashed.
        const QRectF full(toWidget(rect_->topLeft()), toWidget(rect_->bottomRight()));
        const QRectF w = full.intersected(area);
        QPainterPath outside;
        outside.addRect(area);
        outside.addRect(w);
        outside.setFillRule(Qt::OddEvenFill);
        p.fillPath(outside, QColor(0, 0, 0, 110));
        const QColor c = kindColour(kind_);
        p.setBrush(Qt::NoBrush);
        const QPen solid(c, 2), dashed(c, 2, Qt::DashLine);
        p.setPen(full.left() < area.left() - 0.5 ? dashed : solid);
        p.drawLine(w.topLeft(), w.bottomLeft());
        p.setPen(full.right() > area.right() + 0.5 ? dashed : solid);
        p.drawLine(w.topRight(), w.bottomRight());
        p.setPen(full.top() < area.top() - 0.5 ? dashed : solid);
        p.drawLine(w.topLeft(), w.topRight());
        p.setPen(full.bottom() > area.bottom() + 0.5 ? dashed : solid);
        p.drawLine(w.bottomLeft(), w.bottomRight());
        p.setBrush(c);
        p.setPen(QPen(Qt::white, 1));
        for (const QPointF& h : {w.topLeft(), w.topRight(), w.bottomLeft(), w.bottomRight(), QPointF(w.center().x(), w.top()),
                                 QPointF(w.center().x(), w.bottom()), QPointF(w.left(), w.center().y()), QPointF(w.right(), w.center().y())})
            p.drawRect(QRectF(h - QPointF(3.5, 3.5), QSizeF(7, 7)));
        if (!kind_.isEmpty()) {
            const QString caption = kind_;
            const QRectF tr = p.fontMetrics().boundingRect(caption).adjusted(-4, -2, 4, 2);
            QRectF box(w.left(), w.top() - tr.height() - 1, tr.width(), tr.height());
            if (box.top() < area.top()) box.moveTop(w.top() + 1);
            p.fillRect(box, c);
            p.setPen(Qt::white);
            p.drawText(box, Qt::AlignCenter, caption);
        }
    }
    if (!rect_ && quad_.size() >= 3) {
        QPolygonF w;
        for (const QPointF& q : quad_) w << toWidget(q);
        p.save();
        p.setClipRect(area);
        QPainterPath outside;
        outside.addRect(area);
        outside.addPolygon(w);
        outside.closeSubpath();
        outside.setFillRule(Qt::OddEvenFill);
        p.fillPath(outside, QColor(0, 0, 0, 110));
        const QColor c = kindColour(kind_);
        p.setPen(QPen(c, 2, Qt::DashLine));
        p.setBrush(Qt::NoBrush);
        p.drawPolygon(w);
        p.restore();
        if (!kind_.isEmpty()) {
            QPointF top = w.front();
            for (const QPointF& v : w)
                if (v.y() < top.y()) top = v;
            const QRectF tr = p.fontMetrics().boundingRect(kind_).adjusted(-4, -2, 4, 2);
            QRectF box(top.x() - tr.width() / 2, top.y() - tr.height() - 2, tr.width(), tr.height());
            box.moveLeft(std::clamp(box.left(), area.left(), std::max(area.left(), area.right() - box.width())));
            if (box.top() < area.top()) box.moveTop(area.top() + 1);
            p.fillRect(box, c);
            p.setPen(Qt::white);
            p.drawText(box, Qt::AlignCenter, kind_);
        }
    }
    if (!landmarks_.isEmpty()) {
        p.setPen(QPen(Qt::white, 1));
        p.setBrush(QColor(0x17, 0xBE, 0xCF));
        for (const QPointF& l : landmarks_) p.drawEllipse(toWidget(l), 3.5, 3.5);
    }
}

}  // namespace carilab::widgets
