#pragma once
// The identities of a dataset with their photo and caricature counts, one row each. Sort and
// search through a QSortFilterProxyModel: the count columns hold ints, so they sort as numbers.
#include <QAbstractTableModel>

#include <array>
#include <memory>
#include <vector>

namespace carilab::data {
struct DatasetIndex;
}

namespace carilab::widgets {

class IdentityTableModel : public QAbstractTableModel {
    Q_OBJECT

public:
    enum Column { kName, kPhotos, kCaricatures, kTotal, kColumns };
    enum Role { IdentityIdRole = Qt::UserRole + 1 };  // int: index into DatasetIndex::identities

    explicit IdentityTableModel(QObject* parent = nullptr);

    void setIndex(std::shared_ptr<const data::DatasetIndex> index);
    const data::DatasetIndex* dataset() const { return index_.get(); }

    int rowCount(const QModelIndex& parent = QModelIndex()) const override;
    int columnCount(const QModelIndex& parent = QModelIndex()) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    int photos(int identity) const { return counts_[static_cast<size_t>(identity)][0]; }
    int caricatures(int identity) const { return counts_[static_cast<size_t>(identity)][1]; }

private:
    std::shared_ptr<const data::DatasetIndex> index_;
    std::vector<std::array<int, 2>> counts_;
    std::vector<QString> names_;
};

}  // namespace carilab::widgets
