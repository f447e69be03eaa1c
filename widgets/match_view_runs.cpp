// MatchView's runs and galleries: the run list, loading a run and its checkpoints, choosing the
// gallery's dataset and modality.
#include "match_view.h"

#include "match_view_support.h"

#include "run/run_summary.h"

#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>

#include <algorithm>

namespace carilab::widgets {

using namespace match_detail;

void MatchView::setRunsDir(const QString& dir)
{
    runsDir_ = dir;
    if (runsScanned_) refreshRuns();
}

void MatchView::runMoved(const QString& from, const QString& to)
{
    const QString abs = QFileInfo(from).absoluteFilePath();
    const bool inUse = !runDir_.isEmpty() && QFileInfo(runDir_).absoluteFilePath() == abs;
    if (inUse) runDir_.clear();
    refreshRuns();
    if (!inUse) return;
    if (!to.isEmpty()) {
        setRun(QFileInfo(to).absoluteFilePath());
        return;
    }
    runReady_ = false;
    runInfo_ = MatchRunInfo{};
    clearResults();
    runSummary_->setText(QStringLiteral("The run %1 was deleted: choose another").arg(QDir(from).dirName().toHtmlEscaped()));
}

void MatchView::refreshRuns()
{
    runsScanned_ = true;
    const QString keep = runDir_;
    QStringList dirs;
    if (!runsDir_.isEmpty() && QFileInfo(runsDir_).isDir())
        for (const auto& d : run::findRuns(runsDir_.toStdString())) dirs << QFileInfo(QString::fromStdString(d)).absoluteFilePath();
    if (!keep.isEmpty() && !isZeroShot(keep) && !dirs.contains(keep)) dirs.prepend(keep);
    runCombo_->clear();
    if (dirs.isEmpty()) runCombo_->addItem(QStringLiteral("(no runs under %1)").arg(QDir::toNativeSeparators(runsDir_)), QString());
    // With no run in use the box says so, as the summary below it does ("No run chosen").
    else if (keep.isEmpty())
        runCombo_->addItem(QString::fromLatin1(kChooseRun), QString());
    for (const QString& d : dirs) {
        runCombo_->addItem(QDir(d).dirName(), d);
        runCombo_->setItemData(runCombo_->count() - 1, d, Qt::ToolTipRole);
    }
    runCombo_->insertSeparator(runCombo_->count());
    // The untrained baseline sits beside the runs, so any run's ranking can be compared with it.
    runCombo_->addItem(zeroShotLabel(), QString::fromLatin1(MatchWorker::kZeroShotModel));
    runCombo_->setItemData(runCombo_->count() - 1, QStringLiteral("face-resnet's pretrained 128-d descriptor, no training (needs a gallery dataset)"),
                           Qt::ToolTipRole);
    runCombo_->addItem(QStringLiteral("Open run…"), QString::fromLatin1(kOpenItem));
    const int i = runCombo_->findData(keep);
    runCombo_->setCurrentIndex(i >= 0 ? i : 0);
}

void MatchView::runChosen(int index)
{
    const QString d = runCombo_->itemData(index).toString();
    if (d == QLatin1String(kOpenItem)) {
        const QString picked = QFileDialog::getExistingDirectory(this, QStringLiteral("Trained run folder"), runsDir_);
        if (!picked.isEmpty())
            setRun(QFileInfo(picked).absoluteFilePath());
        else
            runCombo_->setCurrentIndex(std::max(0, runCombo_->findData(runDir_)));
        return;
    }
    if (!d.isEmpty() && d != runDir_) setRun(d);
}

void MatchView::setRun(const QString& dir, const QString& checkpoint)
{
    runDir_ = isZeroShot(dir) ? dir : QFileInfo(dir).absoluteFilePath();
    checkpointChoice_ = checkpoint.isEmpty() ? QStringLiteral("latest") : checkpoint;
    runReady_ = false;
    runInfo_ = MatchRunInfo{};
    if (const int placeholder = runCombo_->findText(QString::fromLatin1(kChooseRun)); placeholder >= 0) runCombo_->removeItem(placeholder);
    if (runCombo_->findData(runDir_) < 0) {
        runCombo_->insertItem(0, isZeroShot(runDir_) ? zeroShotLabel() : QDir(runDir_).dirName(), runDir_);
        runCombo_->setItemData(0, runDir_, Qt::ToolTipRole);
    }
    runCombo_->setCurrentIndex(runCombo_->findData(runDir_));
    runSummary_->setText(QStringLiteral("Loading %1…").arg(QDir::toNativeSeparators(runDir_)));
    clearResults();
    // Whatever the worker is doing for the previous run is of no use now.
    worker_->interrupt();
    worker_->supersede(++requestId_);
    const QString ck = checkpointChoice_;
    const QString dataset = currentGalleryDataset(), modality = currentModality();
    QMetaObject::invokeMethod(
        worker_, [w = worker_, d = runDir_, ck] { w->loadRun(d, ck); }, Qt::QueuedConnection);
    QMetaObject::invokeMethod(
        worker_, [w = worker_, dataset, modality] { w->loadGallery(dataset, QStringLiteral("auto"), modality); }, Qt::QueuedConnection);
}

void MatchView::onRunLoaded(const MatchRunInfo& info)
{
    if (info.runDir != runDir_) return;  // an older choice
    runInfo_ = info;
    runReady_ = info.ok;
    checkpoint_->clear();
    if (!info.ok) {
        checkpoint_->addItem(QStringLiteral("latest"), QStringLiteral("latest"));
        runSummary_->setText(
            QStringLiteral("<span style='color:#8a1f11'>%1 cannot be used: %2</span>").arg(html(QDir(runDir_).dirName()), html(info.error)));
        galleryInfo_->setText(QStringLiteral("Gallery: not loaded"));
        return;
    }
    if (info.zeroShot) {
        checkpoint_->addItem(QStringLiteral("pretrained weights"), QStringLiteral("latest"));
        gallery_->setItemText(0, QStringLiteral("(no dataset of its own: open one)"));
        gallery_->setItemData(0, QString(), Qt::ToolTipRole);
        runSummary_->setText(QStringLiteral("%1 — face-resnet's pretrained descriptor, no training; cosine scores%2")
                                 .arg(zeroShotLabel().toHtmlEscaped(),
                                      info.threshold ? QStringLiteral(", threshold %1 calibrated on CaVI validation").arg(*info.threshold, 0, 'f', 3)
                                                     : QStringLiteral(", no calibrated threshold")));
        runSummary_->setToolTip(info.checkpoint);
        compare_->setModelThreshold(info.threshold, info.thresholdSource, runReady_);
        if (message_.startsWith(QLatin1String("Run refused"))) clearMessage();
        scheduleQuery();
        return;
    }
    const long long latestStep = info.checkpoints.isEmpty() ? info.step : info.checkpoints.back().first;
    checkpoint_->addItem(QStringLiteral("latest (step %1)").arg(latestStep), QStringLiteral("latest"));
    if (!info.bestCheckpoint.isEmpty()) {
        long long bestStep = 0;
        for (const auto& c : info.checkpoints)
            if (c.second == info.bestCheckpoint) bestStep = c.first;
        checkpoint_->addItem(QStringLiteral("best held-out (step %1, score %2%)").arg(bestStep).arg(info.bestAccuracy * 100, 0, 'f', 1),
                             info.bestCheckpoint);
    }
    for (int i = info.checkpoints.size() - 1; i >= 0; --i)
        checkpoint_->addItem(QStringLiteral("step %1").arg(info.checkpoints[i].first), info.checkpoints[i].second);
    const int ci = checkpoint_->findData(checkpointChoice_);
    checkpoint_->setCurrentIndex(ci >= 0 ? ci : 0);

    gallery_->setItemText(0, QStringLiteral("the run's dataset (%1)").arg(QDir(info.dataset).dirName()));
    gallery_->setItemData(0, info.dataset, Qt::ToolTipRole);
    runSummary_->setText(QStringLiteral("%1 — step %2, backbone %3, trained on %4%5")
                             .arg(html(QDir(runDir_).dirName()))
                             .arg(info.step)
                             .arg(html(info.backbone), html(QDir::toNativeSeparators(info.dataset)),
                                  info.threshold ? QStringLiteral(", evaluated threshold %1").arg(*info.threshold, 0, 'f', 3) : QString()));
    runSummary_->setToolTip(info.checkpoint);
    compare_->setModelThreshold(info.threshold, info.thresholdSource, runReady_);
    if (message_.startsWith(QLatin1String("Run refused"))) clearMessage();
    scheduleQuery();
}

void MatchView::galleryChosen(int index)
{
    if (gallery_->itemData(index).toString() == QLatin1String(kOpenItem)) {
        const QString picked = QFileDialog::getExistingDirectory(this, QStringLiteral("Gallery dataset"));
        if (picked.isEmpty()) {
            gallery_->setCurrentIndex(0);
            return;
        }
        setGallery(QFileInfo(picked).absoluteFilePath(), currentModality());
        return;
    }
    setGallery(currentGalleryDataset(), currentModality());
}

void MatchView::offerGallery(const QString& dataset)
{
    if (dataset.isEmpty() || gallery_->findData(dataset) >= 0) return;
    const QSignalBlocker quiet(gallery_);  // listed, not chosen: the current gallery stays
    gallery_->insertItem(gallery_->count() - 1, QDir(dataset).dirName(), dataset);
    gallery_->setItemData(gallery_->count() - 2, dataset, Qt::ToolTipRole);
}

void MatchView::setGallery(const QString& dataset, const QString& modality)
{
    offerGallery(dataset);
    gallery_->setCurrentIndex(std::max(0, gallery_->findData(dataset)));
    modality_->setCurrentIndex(std::max(0, modality_->findData(modality)));
    worker_->interrupt();
    worker_->supersede(++requestId_);
    QMetaObject::invokeMethod(
        worker_, [w = worker_, dataset, modality] { w->loadGallery(dataset, QStringLiteral("auto"), modality); }, Qt::QueuedConnection);
    scheduleQuery();
}

QString MatchView::currentGalleryDataset() const
{
    const QString d = gallery_->currentData().toString();
    return d == QLatin1String(kOpenItem) ? QString() : d;
}

QString MatchView::currentModality() const { return modality_->currentData().toString(); }
}  // namespace carilab::widgets
