#include "elided_label.h"

#include <QEvent>
#include <QResizeEvent>

#include <algorithm>

namespace carilab::widgets {

ElidedLabel::ElidedLabel(const QString& text, Qt::TextElideMode mode, QWidget* parent) : QLabel(parent), mode_(mode)
{
    setTextFormat(Qt::PlainText);
    setWordWrap(false);
    // Its whole text's width when the layout has it, down to a few characters when not: the
    // minimum, not the text, is what a layout (and so the window) must make room for.
    setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Preferred);
    setFullText(text);
}

void ElidedLabel::setFullText(const QString& text)
{
    full_ = text;
    refit();
    updateGeometry();
}

void ElidedLabel::setExtraToolTip(const QString& tip)
{
    tip_ = tip;
    refit();
}

QSize ElidedLabel::sizeHint() const
{
    const QMargins m = contentsMargins();
    return {fontMetrics().horizontalAdvance(full_) + m.left() + m.right() + 2 * margin(), minimumSizeHint().height()};
}

QSize ElidedLabel::minimumSizeHint() const
{
    // Room for a few characters and the ellipsis; the height of one line, even when empty.
    const QMargins m = contentsMargins();
    return {fontMetrics().horizontalAdvance(QStringLiteral("M…M")) + m.left() + m.right() + 2 * margin(),
            fontMetrics().height() + m.top() + m.bottom() + 2 * margin()};
}

void ElidedLabel::resizeEvent(QResizeEvent* event)
{
    QLabel::resizeEvent(event);
    refit();
}

void ElidedLabel::changeEvent(QEvent* event)
{
    QLabel::changeEvent(event);
    if (event->type() == QEvent::FontChange || event->type() == QEvent::StyleChange) refit();
}

void ElidedLabel::refit()
{
    const QMargins m = contentsMargins();
    const int room = width() - m.left() - m.right() - 2 * margin();
    const QString shown = fontMetrics().elidedText(full_, mode_, std::max(room, 0));
    if (shown != QLabel::text()) QLabel::setText(shown);
    const bool cut = shown != full_;
    QString tip = tip_;
    if (cut) tip = tip.isEmpty() ? full_ : full_ + QLatin1Char('\n') + tip_;
    if (tip != toolTip()) setToolTip(tip);
}

}  // namespace carilab::widgets
