// MatchView's life: the worker thread and what it reports, the banner, drops and the first show.
// The rest is in match_view_layout.cpp (widgets), _runs (runs and galleries), _query and
// _results; the comparison and verdict panel is a class of its own (match_compare_panel.h).
#include "match_view.h"

#include "crop_editor.h"
#include "match_view_support.h"

#include <QComboBox>
#include <QDateTime>
#include <QDir>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileInfo>
#include <QLabel>
#include <QMimeData>
#include <QProgressBar>

#include <algorithm>

namespace carilab::widgets {

using namespace match_detail;

MatchView::MatchView(QWidget* parent) : QWidget(parent), worker_(new MatchWorker)
{
    setAcceptDrops(true);
    pool_.setMaxThreadCount(2);
    worker_->moveToThread(&thread_);
    thread_.setObjectName(QStringLiteral("match worker"));
    thread_.start();
    buildUi();

    connect(worker_, &MatchWorker::runLoaded, this, &MatchView::onRunLoaded);
    connect(worker_, &MatchWorker::queryLoaded, this, &MatchView::onQueryLoaded);
    connect(worker_, &MatchWorker::resultReady, this, &MatchView::onResult);
    connect(worker_, &MatchWorker::failed, this, &MatchView::onFailed);
    connect(worker_, &MatchWorker::progress, this, [this](int done, int total) {
        progress_->setVisible(true);
        progress_->setRange(0, std::max(1, total));
        progress_->setValue(done);
        progress_->setFormat(QStringLiteral("Embedding the gallery: %v / %m"));
    });
    connect(worker_, &MatchWorker::galleryReady, this, [this](const MatchGalleryInfo& g) {
        progress_->setVisible(false);
        galleryInfo_->setText(describeGallery(g, isZeroShot(runDir_)));
        galleryInfo_->setToolTip(g.cacheFile);
    });
    connect(worker_, &MatchWorker::galleryCancelled, this, [this] { progress_->setVisible(false); });

    requery_.setSingleShot(true);
    requery_.setInterval(60);
    connect(&requery_, &QTimer::timeout, this, &MatchView::issueQuery);
}

MatchView::~MatchView()
{
    pool_.clear();
    pool_.waitForDone();
    worker_->shutdown();
    thread_.quit();
    thread_.wait();
    delete worker_;
}

double MatchView::threshold() const { return compare_->threshold(); }

void MatchView::setThreshold(double t) { compare_->setThreshold(t); }

// --- messages and drops ---------------------------------------------------------------------

void MatchView::showMessage(const QString& text)
{
    message_ = text;
    banner_->setText(text);
    banner_->setVisible(!text.isEmpty());
    Q_EMIT messageShown(text);
}

void MatchView::clearMessage()
{
    message_.clear();
    banner_->clear();
    banner_->setVisible(false);
}

void MatchView::dragEnterEvent(QDragEnterEvent* event)
{
    // Everything that names files is accepted, bad ones included, so that dropping them says why.
    if (event->mimeData()->hasUrls() || event->mimeData()->hasFormat(QString::fromLatin1(kImageMimeType))) {
        event->acceptProposedAction();
        crop_->setDropHighlight(true);
    }
}

void MatchView::dragMoveEvent(QDragMoveEvent* event) { event->acceptProposedAction(); }

void MatchView::dragLeaveEvent(QDragLeaveEvent*) { crop_->setDropHighlight(false); }

void MatchView::dropEvent(QDropEvent* event)
{
    crop_->setDropHighlight(false);
    event->acceptProposedAction();
    handleDrop(event->mimeData());
}

void MatchView::showEvent(QShowEvent* event)
{
    QWidget::showEvent(event);
    if (shownOnce_) return;
    shownOnce_ = true;
    // The first time the tab is shown: list the runs and take the newest (even when a rename in
    // the Runs tab listed them earlier: the box then showed a run the view had not loaded).
    refreshRuns();
    if (!runDir_.isEmpty()) return;
    QString newest;
    QDateTime when;
    for (int i = 0; i < runCombo_->count(); ++i) {
        const QString d = runCombo_->itemData(i).toString();
        if (d.isEmpty() || d == QLatin1String(kOpenItem) || isZeroShot(d)) continue;
        const QDateTime t = QFileInfo(d + QStringLiteral("/config.json")).lastModified();
        if (newest.isEmpty() || t > when) {
            newest = d;
            when = t;
        }
    }
    if (!newest.isEmpty()) setRun(newest);
}

}  // namespace carilab::widgets
