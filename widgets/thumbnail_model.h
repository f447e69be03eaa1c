#pragma once
// The images of the selected identities as a list model for a QListView in IconMode.
//
// Thumbnails come from a ThumbnailLoader: data(DecorationRole) asks the loader for the item
// being painted only (with uniform item sizes a QListView asks for visible items alone), shows a
// "loading" placeholder until the queued thumbnail arrives, and a "broken image" placeholder,
// with the decoder's reason as tooltip, for a file that cannot be decoded.
//
// Dragging an item out carries the image's file URL (text/uri-list) and kImageMimeType, a JSON
// object {"path","identity","modality","dataset","format"} of the first dragged image, so a match
// view can take it as a query.
#include "thumbnail_loader.h"

#include <QAbstractListModel>
#include <QHash>
#include <QPixmap>
#include <QVector>

#include <memory>
#include <vector>

namespace carilab::data {
struct DatasetIndex;
}

namespace carilab::widgets {

inline constexpr const char* kImageMimeType = "application/x-carilab-image";

class ThumbnailModel : public QAbstractListModel {
    Q_OBJECT

public:
    enum class Modalities { Photos, Caricatures, Both };
    enum Role {
        PathRole = Qt::UserRole + 1,  // QString, absolute file path
        RelativePathRole,  // QString, as stored in the index
        IdentityRole,  // QString, identity name
        IdentityIdRole,  // int, index into DatasetIndex::identities
        ModalityRole,  // QString, "photo" or "caricature"
        ImageIndexRole,  // int, index into DatasetIndex::images
        StateRole,  // int, ThumbnailLoader::State (without requesting)
        ErrorRole,  // QString, why the file could not be shown ("" otherwise)
    };

    explicit ThumbnailModel(ThumbnailLoader* loader, QObject* parent = nullptr);

    void setIndex(std::shared_ptr<const data::DatasetIndex> index);
    void setIdentities(const QVector<int>& identities);  // in display order
    void setModalities(Modalities m);
    Modalities modalities() const { return modalities_; }
    QVector<int> identities() const { return identities_; }
    const data::DatasetIndex* dataset() const { return index_.get(); }
    ThumbnailLoader* loader() const { return loader_; }
    int imageIndexAt(int row) const { return rows_[static_cast<size_t>(row)]; }

    // The placeholders (size x size), to tell them from real thumbnails.
    QPixmap loadingPixmap() const;
    QPixmap brokenPixmap() const;

    int rowCount(const QModelIndex& parent = QModelIndex()) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;
    QStringList mimeTypes() const override;
    QMimeData* mimeData(const QModelIndexList& indexes) const override;
    Qt::DropActions supportedDragActions() const override;

private:
    void rebuild();
    void thumbnailArrived(const QString& path);

    ThumbnailLoader* loader_;
    std::shared_ptr<const data::DatasetIndex> index_;
    QVector<int> identities_;
    Modalities modalities_ = Modalities::Both;
    std::vector<int> rows_;  // image indices
    std::vector<QString> paths_;  // absolute, per row
    QHash<QString, int> rowOfPath_;
    mutable QPixmap loading_, broken_;
};

}  // namespace carilab::widgets
