#pragma once
// A one-line label that never asks its layout for the room of its whole text: it shows as much
// as its width allows, elided (in the middle by default, so a path keeps its start and its end),
// and the full text as a tooltip whenever it is cut. Long paths, statuses and errors in a layout
// would otherwise raise the window's minimum width and make the window grow by itself.
#include <QLabel>

namespace carilab::widgets {

class ElidedLabel : public QLabel {
    Q_OBJECT

public:
    explicit ElidedLabel(const QString& text = QString(), Qt::TextElideMode mode = Qt::ElideMiddle, QWidget* parent = nullptr);

    // The full text (text() is what is shown). setText hides QLabel's on purpose: through an
    // ElidedLabel pointer every text goes through the eliding.
    void setFullText(const QString& text);
    void setText(const QString& text) { setFullText(text); }
    QString fullText() const { return full_; }
    bool isElided() const { return text() != full_; }
    // A tooltip shown whatever the width (the full text is added to it when cut).
    void setExtraToolTip(const QString& tip);

    QSize minimumSizeHint() const override;
    QSize sizeHint() const override;

protected:
    void resizeEvent(QResizeEvent* event) override;
    void changeEvent(QEvent* event) override;

private:
    void refit();

    QString full_, tip_;
    Qt::TextElideMode mode_;
};

}  // namespace carilab::widgets
