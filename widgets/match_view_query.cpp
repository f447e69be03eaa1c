// MatchView's query: taking it from a drop or a file, asking the worker to match it, and the
// lines that say how it was cropped and what it is.
#include "match_view.h"

#include "crop_editor.h"
#include "match_view_support.h"

#include <QComboBox>
#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QMimeData>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QUrl>

namespace carilab::widgets {

using namespace match_detail;

bool MatchView::handleDrop(const QMimeData* mime)
{
    if (!mime) return false;
    QString hint, modality, jsonPath;
    if (mime->hasFormat(QString::fromLatin1(kImageMimeType))) {
        const QJsonObject o = QJsonDocument::fromJson(mime->data(QString::fromLatin1(kImageMimeType))).object();
        jsonPath = o.value(QStringLiteral("path")).toString();
        hint = o.value(QStringLiteral("identity")).toString();
        modality = o.value(QStringLiteral("modality")).toString();
    }
    const QList<QUrl> urls = mime->urls();
    if (urls.size() > 1) {
        showMessage(QStringLiteral("%1 files were dropped: drop one image at a time.").arg(urls.size()));
        return false;
    }
    QString path = jsonPath;
    if (urls.size() == 1) {
        const QUrl& u = urls.front();
        if (!u.isLocalFile()) {
            showMessage(QStringLiteral("%1 is not a local file: save the image first, then drop the file.").arg(u.toDisplayString()));
            return false;
        }
        path = u.toLocalFile();
        if (QFileInfo(path) != QFileInfo(jsonPath)) {  // the identity and modality were about another file
            hint.clear();
            modality.clear();
        }
    }
    if (path.isEmpty()) {
        showMessage(QStringLiteral("Nothing to match in what was dropped: drop an image file."));
        return false;
    }
    return openQuery(path, hint, modality);
}

bool MatchView::openQuery(const QString& path, const QString& identityHint, const QString& modalityHint)
{
    const QFileInfo fi(path);
    if (fi.isDir()) {
        showMessage(QStringLiteral("%1 is a folder: drop one image file from it.").arg(QDir::toNativeSeparators(path)));
        return false;
    }
    if (!fi.exists()) {
        showMessage(QStringLiteral("%1: file not found.").arg(QDir::toNativeSeparators(path)));
        return false;
    }
    pendingPath_ = fi.absoluteFilePath();
    pendingHint_ = identityHint;
    pendingModalityHint_ = modalityHint;
    status_->setText(QStringLiteral("Reading %1…").arg(fi.fileName()));
    QMetaObject::invokeMethod(
        worker_, [w = worker_, p = pendingPath_] { w->setQuery(p); }, Qt::QueuedConnection);
    return true;
}

void MatchView::onQueryLoaded(const MatchQueryInfo& info)
{
    if (info.path != pendingPath_) return;  // a newer drop is on its way
    queryPath_ = info.path;
    identityHint_ = pendingHint_;
    modalityGuess_ = guessQueryModality(queryPath_, pendingModalityHint_);
    {
        const QSignalBlocker quiet(queryKind_);  // what the user said was about the previous query
        queryKind_->setCurrentIndex(0);
    }
    pendingPath_.clear();
    userBox_.reset();
    resetCrop_->setEnabled(false);
    crop_->setImage(info.preview, info.fullSize);
    queryInfo_->setText(
        QStringLiteral("%1 — %2 × %3 px").arg(html(QFileInfo(queryPath_).fileName())).arg(info.fullSize.width()).arg(info.fullSize.height()));
    queryInfo_->setToolTip(queryPath_);
    clearResults();
    if (!runReady_) {
        status_->setText(runDir_.isEmpty() ? QStringLiteral("Choose a trained run to match the query.") : QStringLiteral("Waiting for the run…"));
        return;
    }
    issueQuery();
}

void MatchView::setTop(int k) { top_->setValue(k); }

int MatchView::top() const { return top_->value(); }

void MatchView::setUserCrop(const std::optional<QRectF>& box)
{
    if (box) {
        crop_->editCropRect(*box);  // emits cropEdited: stored and matched again
        return;
    }
    userBox_.reset();
    resetCrop_->setEnabled(false);
    scheduleQuery();
}

void MatchView::scheduleQuery()
{
    if (runReady_ && !queryPath_.isEmpty()) requery_.start();
}

void MatchView::issueQuery()
{
    requery_.stop();
    if (!runReady_ || queryPath_.isEmpty()) return;
    MatchRequest r;
    r.id = ++requestId_;
    r.top = top_->value();
    r.cropMode = static_cast<MatchCropMode>(cropMode_->currentData().toInt());
    r.box = userBox_;
    r.identityHint = identityHint_;
    if (const QString stated = queryKind_->currentData().toString(); !stated.isEmpty()) {
        r.queryModality = stated;
        r.queryModalitySource = QStringLiteral("stated");
    } else {
        r.queryModality = modalityGuess_.modality;
        r.queryModalitySource = modalityGuess_.source;
    }
    worker_->supersede(r.id);
    status_->setText(QStringLiteral("Matching %1…").arg(QFileInfo(queryPath_).fileName()));
    QMetaObject::invokeMethod(
        worker_, [w = worker_, r] { w->query(r); }, Qt::QueuedConnection);
}

void MatchView::onFailed(const QString& message)
{
    progress_->setVisible(false);
    status_->clear();
    showMessage(message);
}
// "Crop: <what> (<box>) — <where it came from>", so the line says exactly what was done.
void MatchView::describeCrop(const MatchOutcome& o)
{
    QString text = QStringLiteral("Crop: <b>%1</b>").arg(html(o.crop));
    if (o.box) text += QStringLiteral(" (%1)").arg(describeBox(*o.box));
    if (o.detector == QLatin1String("face-api"))
        text += QStringLiteral(" — face-api found it (score %1, 68 landmarks): %2").arg(o.detectionScore, 0, 'f', 2).arg(html(o.cropDetail));
    else if (o.detector == QLatin1String("haar"))
        text += QStringLiteral(" — Haar cascade (face-api not fetched): %1").arg(html(o.cropDetail));
    if (!o.cropSource.isEmpty() && o.crop != QLatin1String("user box")) text += QStringLiteral(" — ") + html(o.cropSource);
    cropLabel_->setText(text);
}

// The query's file, size, identity and modality, each with where it came from.
void MatchView::describeQuery(const MatchOutcome& o)
{
    QString about = QStringLiteral("%1 — %2 × %3 px")
                        .arg(html(QFileInfo(queryPath_).fileName()))
                        .arg(crop_->imageSize().width())
                        .arg(crop_->imageSize().height());
    if (o.identityFromDataset)
        about += QStringLiteral(" — an image of <b>%1</b> in %2").arg(html(o.queryIdentity), html(QDir(o.gallery.dataset).dirName()));
    else if (!o.queryIdentity.isEmpty())
        about += QStringLiteral(" — <b>%1</b> (from the drag)").arg(html(o.queryIdentity));
    else
        about += QStringLiteral(" — not in the gallery's dataset: identity unknown");
    if (o.queryModality.isEmpty()) {
        about += QStringLiteral(" — modality unknown");
        if (currentModality() == QLatin1String("auto"))
            about += QStringLiteral(": ranked against photos and caricatures; say under \"Query is\" which it is to rank it against the "
                                    "other modality only");
    } else {
        QString from;
        if (o.queryModalitySource == QLatin1String("dataset")) from = QStringLiteral("its dataset says");
        if (o.queryModalitySource == QLatin1String("stated")) from = QStringLiteral("as you said");
        if (o.queryModalitySource == QLatin1String("drag")) from = QStringLiteral("the drag says");
        if (o.queryModalitySource == QLatin1String("folder")) from = QStringLiteral("from its folder \"%1\"").arg(html(modalityGuess_.folder));
        about += QStringLiteral(" — a <b>%1</b>%2").arg(o.queryModality, from.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(from));
    }
    queryInfo_->setText(about);
}
}  // namespace carilab::widgets
