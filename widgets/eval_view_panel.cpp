// The Evaluation view's Evaluate panel: choosing what to evaluate, running it on the EvalWorker's
// thread with progress and cancel, and showing the new result when it is written.
#include "eval_view.h"

#include "elided_label.h"
#include "eval_worker.h"
#include "failure_gallery_view.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFrame>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

#include <algorithm>

namespace carilab::widgets {

namespace {

constexpr int kFailuresDefaultTop = 20;  // pairs of each kind the gallery lists, as carilab-cli failures --top
constexpr int kFailuresMaxTop = 500;  // each listed pair is two crops on screen

// The zoomed-out view's scale: the one measured best on CaVI's validation list (docs/results-cavi.md).
constexpr double kGuiZoomOut = 1.1;

QLabel* caption(const QString& text, QWidget* buddy)
{
    auto* l = new QLabel(text);
    l->setBuddy(buddy);
    return l;
}

}  // namespace

QWidget* EvalView::buildPanel()
{
    buildFailures();
    evalProtocol_ = new QComboBox;
    evalProtocol_->setToolTip(QStringLiteral("The protocols the dataset offers: CaVI's pair lists, WebCaricature's views, and \"images\" "
                                             "(every image: caricature-photo and photo-photo pairs, closed-set accuracy)"));
    pairList_ = new QComboBox;
    pairList_->setToolTip(QStringLiteral("CaVI pair list: testing_1 (the test protocol) or validation (for choosing models)"));
    pairListLabel_ = caption(QStringLiteral("Pairs"), pairList_);
    view_ = new QComboBox;
    view_->addItem(QStringLiteral("2 (10 folds)"), 2);
    view_->addItem(QStringLiteral("1 (DevTest)"), 1);
    view_->setToolTip(QStringLiteral("WebCaricature view: 2 = ten folds, 1 = DevTest with the threshold from DevTrain"));
    viewLabel_ = caption(QStringLiteral("View"), view_);
    checkpoint_ = new QComboBox;
    checkpoint_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    checkpoint_->setToolTip(QStringLiteral("The model to evaluate: the newest checkpoint, the best on the held-out validation images, "
                                           "or one of the kept checkpoints"));
    mirror_ = new QCheckBox(QStringLiteral("Mirror (test-time flip)"));
    mirror_->setToolTip(QStringLiteral("Average each image's embedding with its mirror image's (twice the compute); the result is kept "
                                       "apart, as <protocol>+mirror"));
    zoomOut_ = new QCheckBox(QStringLiteral("Zoom out"));
    zoomOut_->setToolTip(QStringLiteral("Also run each image with its crop shrunk by 1/1.1 (border repeated) and average it in, as "
                                        "carilab-cli eval --zoom-out 1.1 (the scale measured best on CaVI's validation list); with "
                                        "Mirror, four views. Kept apart, as <protocol>+zoom1.1"));
    evaluate_ = new QPushButton(QStringLiteral("Evaluate"));
    evaluate_->setToolTip(QStringLiteral("Evaluate the run by the chosen protocol (as carilab-cli eval does) and add the result to its eval.json"));
    cancel_ = new QPushButton(QStringLiteral("Cancel"));
    cancel_->setToolTip(QStringLiteral("Stop the evaluation after the current batch; nothing is written"));
    auto* reload = new QPushButton(QStringLiteral("Reload"));
    reload->setToolTip(QStringLiteral("Read eval.json again (after carilab-cli eval in a terminal)"));

    datasetLabel_ = new ElidedLabel;  // a long path is cut in the middle, whole in the tooltip; it never widens the window
    browse_ = new QPushButton(QStringLiteral("Dataset…"));
    browse_->setToolTip(QStringLiteral("Evaluate on another dataset folder (its format is detected)"));
    ownDataset_ = new QPushButton(QStringLiteral("Run's dataset"));
    ownDataset_->setToolTip(QStringLiteral("Back to the dataset the run was trained on"));
    progress_ = new QProgressBar;
    progress_->setFormat(QStringLiteral("%v / %m images"));
    progress_->setMinimumWidth(160);
    progress_->setMaximumWidth(320);
    status_ = new QLabel;
    status_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    status_->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto* row1 = new QHBoxLayout;
    row1->addWidget(caption(QStringLiteral("Evaluate by"), evalProtocol_));
    row1->addWidget(evalProtocol_);
    row1->addWidget(pairListLabel_);
    row1->addWidget(pairList_);
    row1->addWidget(viewLabel_);
    row1->addWidget(view_);
    row1->addWidget(caption(QStringLiteral("Checkpoint"), checkpoint_));
    row1->addWidget(checkpoint_);
    row1->addWidget(mirror_);
    row1->addWidget(zoomOut_);
    row1->addStretch(1);
    row1->addWidget(evaluate_);
    row1->addWidget(cancel_);
    row1->addWidget(reload);
    auto* row2 = new QHBoxLayout;
    row2->addWidget(datasetLabel_, 2);
    row2->addWidget(browse_);
    row2->addWidget(ownDataset_);
    row2->addWidget(caption(QStringLiteral("Top"), top_));
    row2->addWidget(top_);
    row2->addWidget(failures_);
    row2->addWidget(progress_, 1);
    row2->addWidget(status_, 2);

    // A rule under the panel: what to evaluate above, what was evaluated below.
    auto* rule = new QFrame;
    rule->setFrameShape(QFrame::HLine);
    rule->setFrameShadow(QFrame::Sunken);
    panel_ = new QWidget;
    auto* v = new QVBoxLayout(panel_);
    v->setContentsMargins(4, 4, 4, 0);
    v->setSpacing(4);
    v->addLayout(row1);
    v->addLayout(row2);
    v->addWidget(rule);

    connectWorker();
    connect(evalProtocol_, qOverload<int>(&QComboBox::currentIndexChanged), this, [this](int) { updatePanel(); });
    connect(evaluate_, &QPushButton::clicked, this, &EvalView::startEvaluation);
    connect(cancel_, &QPushButton::clicked, this, &EvalView::cancelEvaluation);
    connect(reload, &QPushButton::clicked, this, &EvalView::reload);
    connect(browse_, &QPushButton::clicked, this, &EvalView::browseDataset);
    connect(ownDataset_, &QPushButton::clicked, this, [this] { setEvalDataset(QString()); });
    return panel_;
}

// What the worker reports: progress, the end of an evaluation (then the results are read
// again), a cancel, a failure.
void EvalView::connectWorker()
{
    connect(worker_, &EvalWorker::choicesReady, this, &EvalView::onChoices);
    connect(worker_, &EvalWorker::progress, this, [this](int done, int total) {
        progress_->setRange(0, total);
        progress_->setValue(done);
        if (cancel_->isEnabled()) setEvalStatus(QStringLiteral("Embedding the images…"));  // not once Cancel was pressed
        Q_EMIT evaluationProgress(done, total);
    });
    connect(worker_, &EvalWorker::finished, this, [this](const QString& runDir, const QString& key) {
        evaluating_ = false;
        setEvalStatus(QStringLiteral("Evaluated: ") + key);
        if (runDir == results_.runDir) {
            setRun(runDir);
            setCurrentKey(key);
        }
        updatePanel();
        Q_EMIT evaluationFinished(key);
    });
    connect(worker_, &EvalWorker::cancelled, this, [this] {
        evaluating_ = false;
        setEvalStatus(QStringLiteral("Cancelled; eval.json is unchanged."));
        updatePanel();
        Q_EMIT evaluationCancelled();
    });
    connect(worker_, &EvalWorker::failed, this, [this](const QString& message) {
        evaluating_ = false;
        setEvalStatus(QStringLiteral("Evaluation failed: ") + message, true);
        updatePanel();
        Q_EMIT evaluationFailed(message);
    });
}

void EvalView::requestChoices()
{
    choicesReady_ = false;
    const quint64 id = ++choicesId_;
    for (auto* c : {evalProtocol_, pairList_, checkpoint_}) c->clear();
    datasetLabel_->clear();
    if (!busy()) progress_->reset();  // the last evaluation's count belongs to the previous run
    if (!results_.runDir.isEmpty()) {
        setEvalStatus(QStringLiteral("Reading the dataset's protocols…"));
        QMetaObject::invokeMethod(
            worker_, [w = worker_, id, r = results_.runDir, d = evalDataset_, f = evalFormat_] { w->listChoices(id, r, d, f); },
            Qt::QueuedConnection);
    } else if (!busy()) {
        setEvalStatus(QString());
    }
    updatePanel();
}

void EvalView::onChoices(const EvalChoices& c)
{
    if (c.id != choicesId_) return;  // for a run or dataset selected before
    choicesReady_ = c.error.isEmpty();
    for (const auto& p : c.protocols) evalProtocol_->addItem(p == QLatin1String("images") ? QStringLiteral("images (all)") : p, p);
    for (const auto& l : c.caviPairLists) pairList_->addItem(l, l);
    checkpoint_->addItem(QStringLiteral("latest"), QStringLiteral("latest"));
    if (c.hasBest) checkpoint_->addItem(QStringLiteral("best"), QStringLiteral("best"));
    for (auto it = c.checkpoints.crbegin(); it != c.checkpoints.crend(); ++it)
        checkpoint_->addItem(QStringLiteral("step %1").arg(it->first), it->second);
    datasetLabel_->setText(
        QStringLiteral("Dataset: %1%2").arg(QDir::toNativeSeparators(c.dataset), c.ownDataset ? QStringLiteral(" (the run's)") : QString()));
    datasetLabel_->setExtraToolTip(QDir::toNativeSeparators(c.dataset) + QStringLiteral(" (format %1)").arg(c.format));
    if (!busy()) setEvalStatus(c.error.isEmpty() ? QString() : c.error, !c.error.isEmpty());
    updatePanel();
    Q_EMIT choicesShown();
}

void EvalView::updatePanel()
{
    panel_->setVisible(!results_.runDir.isEmpty());
    const QString p = evalProtocol_->currentData().toString();
    const bool cavi = p == QLatin1String("cavi"), webcari = p.startsWith(QLatin1String("webcari-"));
    pairListLabel_->setVisible(cavi);
    pairList_->setVisible(cavi);
    viewLabel_->setVisible(webcari);
    view_->setVisible(webcari);
    const bool idle = !busy();
    for (QWidget* w : std::initializer_list<QWidget*>{evalProtocol_, pairList_, view_, checkpoint_, mirror_, zoomOut_, browse_})
        w->setEnabled(idle && choicesReady_);
    ownDataset_->setEnabled(idle && !evalDataset_.isEmpty());
    evaluate_->setEnabled(idle && choicesReady_ && evalProtocol_->count() > 0);
    cancel_->setEnabled(busy());
    top_->setEnabled(idle);
    const bool caviChoice = evalProtocol_->findData(QStringLiteral("cavi")) >= 0;
    failures_->setEnabled(idle && choicesReady_ && caviChoice && hasCaviEvaluation());
    failures_->setToolTip(hasCaviEvaluation()
                              ? QStringLiteral("The failure gallery (as carilab-cli failures): the worst false accepts and false rejects at "
                                               "the run's threshold with their crops, per-identity accuracy and the caricature confusions; "
                                               "uses the Pairs, Checkpoint, Mirror, Zoom out and Top choices")
                              : QStringLiteral("Needs a CaVI evaluation of this run: evaluate by cavi first (the gallery takes its threshold)"));
    // Shown while running, and afterwards with the last count; hidden before any evaluation.
    progress_->setVisible(busy() || progress_->value() > 0);
}

void EvalView::setEvalStatus(const QString& text, bool error)
{
    status_->setText(text);
    status_->setToolTip(text);
    status_->setStyleSheet(error ? QStringLiteral("color: #c62828;") : QString());
}

QString EvalView::evalStatus() const { return status_->text(); }

void EvalView::setEvalDataset(const QString& root, const QString& format)
{
    evalDataset_ = root;
    evalFormat_ = format.isEmpty() ? QStringLiteral("auto") : format;
    requestChoices();
}

void EvalView::browseDataset()
{
    const QString dir = QFileDialog::getExistingDirectory(this, QStringLiteral("Dataset to evaluate on"), evalDataset_);
    if (!dir.isEmpty()) setEvalDataset(dir);
}

void EvalView::startEvaluation()
{
    if (busy() || !choicesReady_ || results_.runDir.isEmpty() || evalProtocol_->count() == 0) return;
    run::EvaluationRequest job;
    job.runDir = results_.runDir.toStdString();
    job.checkpoint = checkpoint_->currentData().toString().toStdString();
    job.dataset = evalDataset_.toStdString();
    job.format = evalFormat_.toStdString();
    job.protocol = evalProtocol_->currentData().toString().toStdString();
    if (pairList_->count() > 0) job.pairs = pairList_->currentData().toString().toStdString();
    job.view = view_->currentData().toInt();
    job.batch = evalBatch_;
    job.views.mirror = mirror_->isChecked();
    if (zoomOut_->isChecked()) job.views.zoomOut = {kGuiZoomOut};
    evaluating_ = true;
    progress_->setRange(0, 0);  // busy until the first batch: the model and dataset load first
    setEvalStatus(QStringLiteral("Loading the model and the dataset…"));
    updatePanel();
    worker_->clearCancel();  // no evaluation runs now, so no cancel is lost
    QMetaObject::invokeMethod(
        worker_, [w = worker_, job] { w->evaluate(job); }, Qt::QueuedConnection);
}

void EvalView::cancelEvaluation()
{
    if (!busy()) return;
    worker_->cancel();
    cancel_->setEnabled(false);
    setEvalStatus(QStringLiteral("Cancelling after the current batch…"));
}

bool EvalView::hasCaviEvaluation() const
{
    return std::any_of(results_.protocols.cbegin(), results_.protocols.cend(),
                       [](const ProtocolResult& p) { return p.protocol == QLatin1String("cavi"); });
}

bool EvalView::isShowingFailures() const { return pages_->currentWidget() == gallery_; }

void EvalView::showResults()
{
    if (isShowingFailures()) setRun(results_.runDir);  // the results page (or the message) as it stands
}

void EvalView::buildFailures()
{
    top_ = new QSpinBox;
    top_->setRange(1, kFailuresMaxTop);
    top_->setValue(kFailuresDefaultTop);
    top_->setToolTip(QStringLiteral("Failure gallery: the worst pairs listed of each kind (false accepts, false rejects)"));
    failures_ = new QPushButton(QStringLiteral("Failures…"));
    gallery_ = new FailureGalleryView;
    connect(failures_, &QPushButton::clicked, this, &EvalView::startFailures);
    connect(gallery_, &FailureGalleryView::backRequested, this, &EvalView::showResults);
    connect(gallery_, &FailureGalleryView::matchQueryRequested, this, &EvalView::matchQueryRequested);
    connect(worker_, &EvalWorker::failuresReady, this, [this](const FailureResultPtr& result) {
        analysing_ = false;
        const auto& g = result->gallery;
        setEvalStatus(QStringLiteral("Failures: %1 accepts, %2 rejects (%3)").arg(g.falseAcceptCount).arg(g.falseRejectCount).arg(QString::fromStdString(g.key)));
        updatePanel();
        if (failuresRun_ != results_.runDir) return;  // another run was selected meanwhile
        gallery_->setResult(result);
        pages_->setCurrentWidget(gallery_);
        Q_EMIT failuresShown();
    });
    connect(worker_, &EvalWorker::failuresCancelled, this, [this] {
        analysing_ = false;
        setEvalStatus(QStringLiteral("Failure analysis cancelled."));
        updatePanel();
        Q_EMIT failuresCancelled();
    });
    connect(worker_, &EvalWorker::failuresFailed, this, [this](const QString& message) {
        analysing_ = false;
        setEvalStatus(QStringLiteral("Failure analysis failed: ") + message, true);
        updatePanel();
        Q_EMIT failuresFailed(message);
    });
}

void EvalView::startFailures()
{
    if (busy()) return;
    QString why;
    if (results_.runDir.isEmpty())
        why = QStringLiteral("Select a run first.");
    else if (!hasCaviEvaluation())
        why = QStringLiteral("No CaVI evaluation of this run yet: evaluate by cavi first (the failure gallery takes its threshold).");
    else if (!choicesReady_ || evalProtocol_->findData(QStringLiteral("cavi")) < 0)
        why = QStringLiteral("The chosen dataset has no CaVI pair list: choose the run's CaVI dataset.");
    if (!why.isEmpty()) {
        setEvalStatus(why, true);
        Q_EMIT failuresFailed(why);
        return;
    }
    // The Pairs choice shows under the cavi protocol only: show what the gallery uses.
    evalProtocol_->setCurrentIndex(evalProtocol_->findData(QStringLiteral("cavi")));
    run::FailureRequest request;
    request.top = top_->value();
    run::EvaluationRequest& job = request.evaluation;
    job.runDir = results_.runDir.toStdString();
    job.checkpoint = checkpoint_->currentData().toString().toStdString();
    job.dataset = evalDataset_.toStdString();
    job.format = evalFormat_.toStdString();
    job.protocol = "cavi";
    if (pairList_->count() > 0) job.pairs = pairList_->currentData().toString().toStdString();
    job.batch = evalBatch_;
    job.views.mirror = mirror_->isChecked();
    if (zoomOut_->isChecked()) job.views.zoomOut = {kGuiZoomOut};
    analysing_ = true;
    failuresRun_ = results_.runDir;
    progress_->setRange(0, 0);  // busy until the first batch: the model and dataset load first
    setEvalStatus(QStringLiteral("Failures: loading the model and the dataset…"));
    updatePanel();
    worker_->clearCancel();  // nothing runs now, so no cancel is lost
    QMetaObject::invokeMethod(
        worker_, [w = worker_, request] { w->analyseFailures(request); }, Qt::QueuedConnection);
}

}  // namespace carilab::widgets
