#include "match_combo_box.h"

#include <QStyleOptionComboBox>
#include <QStylePainter>

#include <algorithm>

namespace carilab::widgets {

ElidedComboBox::ElidedComboBox(QWidget* parent) : QComboBox(parent)
{
    // Wide windows show the whole text; narrow ones shrink the box down to minimumSizeHint().
    setSizeAdjustPolicy(QComboBox::AdjustToContents);
    setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Fixed);
    connect(this, qOverload<int>(&QComboBox::currentIndexChanged), this, &ElidedComboBox::updateToolTip);
    connect(model(), &QAbstractItemModel::dataChanged, this, &ElidedComboBox::updateToolTip);
}

QSize ElidedComboBox::minimumSizeHint() const
{
    // QComboBox's own hint under AdjustToContents is the longest text: the bar could not shrink.
    QStyleOptionComboBox opt;
    initStyleOption(&opt);
    const int chars = std::max(1, minimumContentsLength());
    const QSize text(fontMetrics().horizontalAdvance(QLatin1Char('x')) * chars, fontMetrics().height());
    return style()->sizeFromContents(QStyle::CT_ComboBox, &opt, text, this).expandedTo(QSize(0, QComboBox::minimumSizeHint().height()));
}

QRect ElidedComboBox::textRect() const
{
    QStyleOptionComboBox opt;
    initStyleOption(&opt);
    return style()->subControlRect(QStyle::CC_ComboBox, &opt, QStyle::SC_ComboBoxEditField, this);
}

QString ElidedComboBox::shownText() const
{
    const int room = textRect().width() - (itemIcon(currentIndex()).isNull() ? 0 : iconSize().width() + 4);
    return fontMetrics().elidedText(currentText(), Qt::ElideRight, room);
}

void ElidedComboBox::paintEvent(QPaintEvent*)
{
    QStylePainter painter(this);
    QStyleOptionComboBox opt;
    initStyleOption(&opt);
    painter.drawComplexControl(QStyle::CC_ComboBox, opt);
    opt.currentText = shownText();
    painter.drawControl(QStyle::CE_ComboBoxLabel, opt);
}

void ElidedComboBox::updateToolTip()
{
    const QString own = itemData(currentIndex(), Qt::ToolTipRole).toString();
    const QString text = currentText();
    setToolTip(own.isEmpty() || own == text ? text : text + QLatin1Char('\n') + own);
}

}  // namespace carilab::widgets
