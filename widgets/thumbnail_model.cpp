#include "thumbnail_model.h"

#include "data/dataset_index.h"

#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMimeData>
#include <QPainter>
#include <QUrl>

#include <algorithm>
#include <cctype>

namespace carilab::widgets {

namespace {

// "r_2" before "r_10": runs of digits compare as numbers.
bool naturalLess(const std::string& a, const std::string& b)
{
    size_t i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
        if (std::isdigit(static_cast<unsigned char>(a[i])) && std::isdigit(static_cast<unsigned char>(b[j]))) {
            size_t i2 = i, j2 = j;
            while (i2 < a.size() && a[i2] == '0') ++i2;
            while (j2 < b.size() && b[j2] == '0') ++j2;
            size_t ie = i2, je = j2;
            while (ie < a.size() && std::isdigit(static_cast<unsigned char>(a[ie]))) ++ie;
            while (je < b.size() && std::isdigit(static_cast<unsigned char>(b[je]))) ++je;
            if (ie - i2 != je - j2) return ie - i2 < je - j2;
            const int c = a.compare(i2, ie - i2, b, j2, je - j2);
            if (c != 0) return c < 0;
            i = ie;
            j = je;
        } else {
            if (a[i] != b[j]) return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[j]);
            ++i;
            ++j;
        }
    }
    return a.size() - i < b.size() - j;
}

}  // namespace

ThumbnailModel::ThumbnailModel(ThumbnailLoader* loader, QObject* parent) : QAbstractListModel(parent), loader_(loader)
{
    connect(loader_, &ThumbnailLoader::thumbnailReady, this, [this](const QString& path) { thumbnailArrived(path); });
    connect(loader_, &ThumbnailLoader::thumbnailFailed, this, [this](const QString& path) { thumbnailArrived(path); });
}

void ThumbnailModel::setIndex(std::shared_ptr<const data::DatasetIndex> index)
{
    index_ = std::move(index);
    identities_.clear();
    rebuild();
}

void ThumbnailModel::setIdentities(const QVector<int>& identities)
{
    identities_ = identities;
    rebuild();
}

void ThumbnailModel::setModalities(Modalities m)
{
    if (m == modalities_) return;
    modalities_ = m;
    rebuild();
}

void ThumbnailModel::rebuild()
{
    beginResetModel();
    rows_.clear();
    paths_.clear();
    rowOfPath_.clear();
    if (index_ && !identities_.isEmpty()) {
        std::vector<int> order(index_->identities.size(), -1);
        for (int i = 0; i < identities_.size(); ++i)
            if (identities_[i] >= 0 && identities_[i] < static_cast<int>(order.size()) && order[static_cast<size_t>(identities_[i])] < 0)
                order[static_cast<size_t>(identities_[i])] = i;
        for (int i = 0; i < static_cast<int>(index_->images.size()); ++i) {
            const auto& r = index_->images[static_cast<size_t>(i)];
            if (r.identity < 0 || r.identity >= static_cast<int>(order.size()) || order[static_cast<size_t>(r.identity)] < 0) continue;
            if (modalities_ == Modalities::Photos && r.modality != data::Modality::Photo) continue;
            if (modalities_ == Modalities::Caricatures && r.modality != data::Modality::Caricature) continue;
            rows_.push_back(i);
        }
        // Identities in the selection's order, photos before caricatures, files by name (numbers
        // in names by value).
        std::stable_sort(rows_.begin(), rows_.end(), [&](int a, int b) {
            const auto& ra = index_->images[static_cast<size_t>(a)];
            const auto& rb = index_->images[static_cast<size_t>(b)];
            const int ia = order[static_cast<size_t>(ra.identity)], ib = order[static_cast<size_t>(rb.identity)];
            if (ia != ib) return ia < ib;
            if (ra.modality != rb.modality) return ra.modality < rb.modality;
            return naturalLess(ra.path, rb.path);
        });
        paths_.reserve(rows_.size());
        rowOfPath_.reserve(static_cast<qsizetype>(rows_.size()));
        for (size_t k = 0; k < rows_.size(); ++k) {
            paths_.push_back(QString::fromStdString(index_->absolutePath(index_->images[static_cast<size_t>(rows_[k])])));
            rowOfPath_.insert(paths_.back(), static_cast<int>(k));
        }
    }
    // What was queued for the previous grid is no longer wanted; visible items ask again.
    loader_->cancelPending();
    endResetModel();
}

void ThumbnailModel::thumbnailArrived(const QString& path)
{
    const auto it = rowOfPath_.constFind(path);
    if (it == rowOfPath_.constEnd()) return;
    const QModelIndex i = index(*it);
    Q_EMIT dataChanged(i, i, {Qt::DecorationRole, Qt::ToolTipRole, StateRole, ErrorRole});
}

QPixmap ThumbnailModel::loadingPixmap() const
{
    if (loading_.isNull()) {
        const int s = loader_->size();
        loading_ = QPixmap(s, s);
        loading_.fill(QColor(236, 236, 236));
        QPainter p(&loading_);
        p.setPen(QColor(205, 205, 205));
        p.drawRect(0, 0, s - 1, s - 1);
    }
    return loading_;
}

QPixmap ThumbnailModel::brokenPixmap() const
{
    if (broken_.isNull()) {
        const int s = loader_->size();
        broken_ = QPixmap(s, s);
        broken_.fill(QColor(250, 232, 232));
        QPainter p(&broken_);
        p.setRenderHint(QPainter::Antialiasing);
        p.setPen(QPen(QColor(190, 40, 40), 1));
        p.drawRect(0, 0, s - 1, s - 1);
        p.setPen(QPen(QColor(190, 40, 40), 3));
        const int m = s / 3;
        p.drawLine(m, m, s - m, s - m);
        p.drawLine(s - m, m, m, s - m);
    }
    return broken_;
}

int ThumbnailModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : static_cast<int>(rows_.size()); }

QVariant ThumbnailModel::data(const QModelIndex& idx, int role) const
{
    if (!idx.isValid() || idx.row() >= static_cast<int>(rows_.size()) || !index_) return {};
    const int row = idx.row();
    const auto& r = index_->images[static_cast<size_t>(rows_[static_cast<size_t>(row)])];
    const QString& path = paths_[static_cast<size_t>(row)];
    switch (role) {
    case Qt::DisplayRole: return QFileInfo(path).completeBaseName();
    case Qt::DecorationRole: {
        QPixmap pm;
        switch (loader_->lookup(path, &pm)) {
        case ThumbnailLoader::State::Ready: return pm;
        case ThumbnailLoader::State::Failed: return brokenPixmap();
        case ThumbnailLoader::State::Missing: loader_->request(path); return loadingPixmap();
        case ThumbnailLoader::State::Pending: return loadingPixmap();
        }
        return {};
    }
    case Qt::ToolTipRole: {
        QString reason;
        QString tip = QString::fromStdString(index_->identities[static_cast<size_t>(r.identity)]) + QStringLiteral(" · ") +
            QString::fromLatin1(data::modalityName(r.modality)) + QLatin1Char('\n') + QString::fromStdString(r.path);
        if (r.landmarks) tip += QStringLiteral("\n5-point landmarks");
        if (r.box) tip += QStringLiteral(", face box");
        if (loader_->lookup(path, nullptr, &reason) == ThumbnailLoader::State::Failed) tip += QStringLiteral("\nCannot be shown: ") + reason;
        return tip;
    }
    case PathRole: return path;
    case RelativePathRole: return QString::fromStdString(r.path);
    case IdentityRole: return QString::fromStdString(index_->identities[static_cast<size_t>(r.identity)]);
    case IdentityIdRole: return r.identity;
    case ModalityRole: return QString::fromLatin1(data::modalityName(r.modality));
    case ImageIndexRole: return rows_[static_cast<size_t>(row)];
    case StateRole: return static_cast<int>(loader_->lookup(path));
    case ErrorRole: {
        QString reason;
        loader_->lookup(path, nullptr, &reason);
        return reason;
    }
    default: return {};
    }
}

Qt::ItemFlags ThumbnailModel::flags(const QModelIndex& index) const
{
    if (!index.isValid()) return Qt::NoItemFlags;
    return Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemIsDragEnabled | Qt::ItemNeverHasChildren;
}

QStringList ThumbnailModel::mimeTypes() const { return {QStringLiteral("text/uri-list"), QString::fromLatin1(kImageMimeType)}; }

QMimeData* ThumbnailModel::mimeData(const QModelIndexList& indexes) const
{
    QList<QUrl> urls;
    QModelIndex first;
    for (const QModelIndex& i : indexes) {
        if (!i.isValid() || i.model() != this || i.row() >= static_cast<int>(rows_.size())) continue;
        if (!first.isValid()) first = i;
        urls << QUrl::fromLocalFile(paths_[static_cast<size_t>(i.row())]);
    }
    if (!first.isValid()) return nullptr;
    auto* mime = new QMimeData;
    mime->setUrls(urls);
    const auto& r = index_->images[static_cast<size_t>(rows_[static_cast<size_t>(first.row())])];
    const QJsonObject o{{QStringLiteral("path"), paths_[static_cast<size_t>(first.row())]},
                        {QStringLiteral("identity"), QString::fromStdString(index_->identities[static_cast<size_t>(r.identity)])},
                        {QStringLiteral("modality"), QString::fromLatin1(data::modalityName(r.modality))},
                        {QStringLiteral("dataset"), QString::fromStdString(index_->root)},
                        {QStringLiteral("format"), QString::fromStdString(index_->format)}};
    mime->setData(QString::fromLatin1(kImageMimeType), QJsonDocument(o).toJson(QJsonDocument::Compact));
    return mime;
}

Qt::DropActions ThumbnailModel::supportedDragActions() const { return Qt::CopyAction; }

}  // namespace carilab::widgets
