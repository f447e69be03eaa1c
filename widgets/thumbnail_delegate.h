#pragma once
// Draws one item of the thumbnail grid: the thumbnail centred in a square of the loader's size
// and the file name on one line under it, elided in the middle. Every item has the same size,
// whatever its image's shape: with uniform item sizes QListView sizes all items like one sample
// item, and a landscape sample made every cell too short, so the captions of taller thumbnails
// lost their bottom (underscores first). A fixed square also keeps the captions in line.
#include <QStyledItemDelegate>

namespace carilab::widgets {

class ThumbnailDelegate : public QStyledItemDelegate {
    Q_OBJECT

public:
    // side: the thumbnails' longer side in pixels (ThumbnailLoader::size()).
    explicit ThumbnailDelegate(int side, QObject* parent = nullptr);

    // The same for every item; never asks the model for the thumbnail (which would load it).
    QSize sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const override;
    // sizeHint() for the items of this view (its font and style): what its grid is sized from.
    QSize itemSize(const QWidget* view) const;

protected:
    void initStyleOption(QStyleOptionViewItem* option, const QModelIndex& index) const override;

private:
    int side_;
};

}  // namespace carilab::widgets
