#include "thumbnail_delegate.h"

#include <QApplication>
#include <QStyle>

#include <algorithm>

namespace carilab::widgets {

namespace {

// A caption may be this much wider than the thumbnail before it is elided.
constexpr int kCaptionOverhang = 14;
constexpr int kCaptionBelow = 3;

}  // namespace

ThumbnailDelegate::ThumbnailDelegate(int side, QObject* parent) : QStyledItemDelegate(parent), side_(side) {}

QSize ThumbnailDelegate::sizeHint(const QStyleOptionViewItem& option, const QModelIndex&) const
{
    // The style's own layout of a square decoration over one line of text, with a caption that
    // has both ascenders and descenders, so the painted item is exactly what the size allows.
    QStyleOptionViewItem o = option;
    o.features |= QStyleOptionViewItem::HasDisplay | QStyleOptionViewItem::HasDecoration;
    o.features &= ~QStyleOptionViewItem::WrapText;
    o.decorationPosition = QStyleOptionViewItem::Top;
    o.decorationSize = QSize(side_, side_);
    o.text = QStringLiteral("Ág_|");
    const QWidget* w = option.widget;
    const QStyle* style = w ? w->style() : QApplication::style();
    const QSize s = style->sizeFromContents(QStyle::CT_ItemViewItem, &o, QSize(), w);
    // A little room under the descenders, which otherwise touch the item's clipping edge.
    return {side_ + kCaptionOverhang, std::max(s.height(), side_ + o.fontMetrics.height()) + kCaptionBelow};
}

QSize ThumbnailDelegate::itemSize(const QWidget* view) const
{
    QStyleOptionViewItem o;
    o.initFrom(view);
    o.widget = view;
    o.font = view->font();
    return sizeHint(o, QModelIndex());
}

void ThumbnailDelegate::initStyleOption(QStyleOptionViewItem* option, const QModelIndex& index) const
{
    QStyledItemDelegate::initStyleOption(option, index);
    // The square, not the pixmap's own size: the caption sits at the same height in every item.
    option->decorationSize = QSize(side_, side_);
    option->features &= ~QStyleOptionViewItem::WrapText;
}

}  // namespace carilab::widgets
