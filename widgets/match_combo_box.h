#pragma once
// A combo box for the Match view's narrow bars: it may shrink below its texts (down to
// minimumContentsLength characters), then draws the current text elided with "…" instead of
// cutting it off, and its tooltip shows the whole text (before the item's own tooltip, if any).
#include <QComboBox>

namespace carilab::widgets {

class ElidedComboBox : public QComboBox {
    Q_OBJECT

public:
    explicit ElidedComboBox(QWidget* parent = nullptr);

    QSize minimumSizeHint() const override;
    // The current text as drawn ("" elision: the whole text fits).
    QString shownText() const;

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    void updateToolTip();
    QRect textRect() const;
};

}  // namespace carilab::widgets
