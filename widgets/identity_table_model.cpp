#include "identity_table_model.h"

#include "data/dataset_index.h"

#include <QBrush>
#include <QColor>

namespace carilab::widgets {

IdentityTableModel::IdentityTableModel(QObject* parent) : QAbstractTableModel(parent) {}

void IdentityTableModel::setIndex(std::shared_ptr<const data::DatasetIndex> index)
{
    beginResetModel();
    index_ = std::move(index);
    counts_.clear();
    names_.clear();
    if (index_) {
        counts_ = index_->countsPerIdentity();
        names_.reserve(index_->identities.size());
        for (const auto& n : index_->identities) names_.push_back(QString::fromStdString(n));
    }
    endResetModel();
}

int IdentityTableModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : static_cast<int>(names_.size()); }

int IdentityTableModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : kColumns; }

QVariant IdentityTableModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= static_cast<int>(names_.size())) return {};
    const int row = index.row();
    const auto& c = counts_[static_cast<size_t>(row)];
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case kName: return names_[static_cast<size_t>(row)];
        case kPhotos: return c[0];
        case kCaricatures: return c[1];
        case kTotal: return c[0] + c[1];
        default: return {};
        }
    case Qt::TextAlignmentRole: return index.column() == kName ? QVariant() : QVariant(int(Qt::AlignRight | Qt::AlignVCenter));
    case Qt::ForegroundRole:
        // One modality only: usable for identification, not for caricature-photo pairs.
        if ((index.column() == kPhotos && c[0] == 0) || (index.column() == kCaricatures && c[1] == 0)) return QBrush(QColor(190, 40, 40));
        return {};
    case Qt::ToolTipRole:
        if (c[0] == 0 || c[1] == 0)
            return names_[static_cast<size_t>(row)] + QStringLiteral(": ") +
                (c[0] == 0 ? QStringLiteral("no photos") : QStringLiteral("no caricatures")) +
                QStringLiteral(" (kept, but no caricature-photo pairs)");
        return names_[static_cast<size_t>(row)];
    case IdentityIdRole: return row;
    default: return {};
    }
}

QVariant IdentityTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case kName: return QStringLiteral("Identity");
    case kPhotos: return QStringLiteral("Photos");
    case kCaricatures: return QStringLiteral("Caricatures");
    case kTotal: return QStringLiteral("Total");
    default: return {};
    }
}

}  // namespace carilab::widgets
