// MatchView's results: the ranked table with its thumbnails, the selected result beside the
// query, and the images loaded off the GUI thread.
#include "match_view.h"

#include "crop_editor.h"
#include "match_view_support.h"

#include <QDir>
#include <QHeaderView>
#include <QLabel>
#include <QScrollBar>
#include <QStyle>
#include <QTableWidget>

#include <algorithm>

namespace carilab::widgets {

using namespace match_detail;

namespace {

}  // namespace

void MatchView::clearResults()
{
    hasResult_ = false;
    ++thumbGeneration_;
    pool_.clear();
    results_->setRowCount(0);
    compare_->clear();
    cropLabel_->setText(QStringLiteral("Crop: —"));
}

void MatchView::onResult(const MatchOutcome& o)
{
    if (o.id != requestId_ || o.queryPath != queryPath_) return;  // superseded meanwhile
    clearMessage();
    clearResults();
    outcome_ = o;
    hasResult_ = true;
    status_->setText(
        QStringLiteral("Top %1 of %2 %3").arg(o.hits.size()).arg(o.gallery.images).arg(modalityPlural(o.gallery.modality, o.gallery.images)));

    // The crop the match used, drawn on the query.
    std::optional<QRectF> shown = o.box;
    if (!shown && o.crop == QLatin1String("whole image")) shown = QRectF(QPointF(0, 0), QSizeF(crop_->imageSize()));
    crop_->setCropRect(shown, o.crop);
    crop_->setLandmarks(o.landmarks);
    crop_->setCropQuad(o.cropQuad);
    describeCrop(o);
    describeQuery(o);
    fillResults(o);

    compare_->showOutcome(o);
    if (!o.hits.isEmpty())
        results_->selectRow(0);
    else
        compare_->showNoResults();
    Q_EMIT resultShown();
}

void MatchView::fillResults(const MatchOutcome& o)
{
    const QPixmap loading = placeholder(kThumbSide, QStringLiteral("…"));
    results_->setRowCount(o.hits.size());
    const QString want = o.queryIdentity.toLower();
    for (int i = 0; i < o.hits.size(); ++i) {
        const auto& h = o.hits[i];
        auto* rank = new QTableWidgetItem(QString::number(h.rank));
        rank->setData(Qt::UserRole, h.path);
        rank->setTextAlignment(Qt::AlignCenter);
        auto* image = new QTableWidgetItem;
        image->setIcon(QIcon(loading));
        image->setToolTip(h.path);
        const bool same = !want.isEmpty() && h.identity.toLower() == want;
        auto* identity = new QTableWidgetItem(same ? h.identity + QStringLiteral("  ✓") : h.identity);
        identity->setToolTip(h.identity);  // the whole name, should the column elide it
        if (same) {
            identity->setForeground(kYes.darker(120));
            QFont f = identity->font();
            f.setBold(true);
            identity->setFont(f);
        }
        auto* score = new QTableWidgetItem(QString::number(h.score, 'f', 3));
        score->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        score->setData(Qt::UserRole, h.score);
        results_->setItem(i, RankColumn, rank);
        results_->setItem(i, ImageColumn, image);
        results_->setItem(i, IdentityColumn, identity);
        results_->setItem(i, ScoreColumn, score);
        loadImageAsync(h.path, kThumbSide, thumbGeneration_);
    }
    fitIdentityColumn();
}

// The results table asks for the width its texts need (the splitter then never squeezes the
// identities to "…" while the query image has room to give), up to kMaxIdentityChars of names.
void MatchView::fitIdentityColumn()
{
    auto* header = results_->horizontalHeader();
    const QFontMetrics plainMetrics(results_->font());
    QFont bold = results_->font();
    bold.setBold(true);
    const QFontMetrics boldMetrics(bold);
    const int margin = 2 * (results_->style()->pixelMetric(QStyle::PM_FocusFrameHMargin, nullptr, results_) + 1) + 8;
    int identity = header->fontMetrics().horizontalAdvance(QStringLiteral("Identity")) + margin;
    for (int r = 0; r < results_->rowCount(); ++r) {
        const auto* item = results_->item(r, IdentityColumn);
        if (item) identity = std::max(identity, (item->font().bold() ? boldMetrics : plainMetrics).horizontalAdvance(item->text()) + margin);
    }
    identity = std::min(identity, plainMetrics.averageCharWidth() * kMaxIdentityChars);
    // The rank and score columns as they will be once filled ("200", "-0.999").
    const int rank = std::max(header->sectionSizeHint(RankColumn), plainMetrics.horizontalAdvance(QStringLiteral("200")) + margin);
    const int score = std::max(header->sectionSizeHint(ScoreColumn), plainMetrics.horizontalAdvance(QStringLiteral("-0.999")) + margin);
    const int frame = 2 * results_->frameWidth() + results_->verticalScrollBar()->sizeHint().width();
    results_->setMinimumWidth(rank + header->sectionSize(ImageColumn) + identity + score + frame);
}

void MatchView::showSelected()
{
    const auto rows = results_->selectionModel()->selectedRows();
    if (rows.isEmpty() || !hasResult_) {
        compare_->showHit(nullptr);
        return;
    }
    const int row = rows.front().row();
    if (row >= outcome_.hits.size()) return;
    const auto& h = outcome_.hits[row];
    compare_->showHit(&h);
    loadImageAsync(h.path, kShotSide - 2, thumbGeneration_);
}
// --- images off the GUI thread --------------------------------------------------------------

void MatchView::loadImageAsync(const QString& path, int side, quint64 generation)
{
    pool_.start([this, path, side, generation] {
        QString error;
        const QImage img = loadScaled(path, side, &error);
        QMetaObject::invokeMethod(
            this, [this, path, side, generation, img, error] { imageLoaded(path, side, generation, img, error); }, Qt::QueuedConnection);
    });
}

void MatchView::imageLoaded(const QString& path, int side, quint64 generation, const QImage& image, const QString& error)
{
    if (generation != thumbGeneration_) return;
    const QPixmap pix = image.isNull() ? placeholder(side, QStringLiteral("unreadable")) : QPixmap::fromImage(image);
    if (side == kThumbSide) {
        for (int r = 0; r < results_->rowCount(); ++r) {
            auto* rank = results_->item(r, RankColumn);
            if (rank && rank->data(Qt::UserRole).toString() == path) {
                auto* item = results_->item(r, ImageColumn);
                item->setIcon(QIcon(pix));
                item->setData(Qt::UserRole, image.isNull() ? QStringLiteral("failed") : QStringLiteral("loaded"));
                if (!error.isEmpty()) item->setToolTip(error);
            }
        }
        return;
    }
    compare_->setHitImage(path, pix);
}
}  // namespace carilab::widgets
