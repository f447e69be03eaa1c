#include "match_view.h"

#include "crop_editor.h"
#include "match_combo_box.h"

#include "data/image_decode.h"
#include "io/user_paths.h"
#include "run/run_summary.h"

#include <opencv2/imgproc.hpp>

#include <QComboBox>
#include <QDateTime>
#include <QDir>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QMimeData>
#include <QPainter>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollBar>
#include <QSlider>
#include <QSpinBox>
#include <QSplitter>
#include <QTableWidget>
#include <QUrl>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace carilab::widgets {

namespace {

constexpr int kThumbSide = 64;
constexpr int kShotSide = 150;  // face-resnet's input size: the query shown as the network sees it, 1:1
constexpr int kSliderScale = 1000;  // threshold slider steps per unit of cosine similarity
constexpr int kMaxIdentityChars = 26;  // longer identity names elide (their tooltip is whole)
const char* kOpenItem = "\x01open";
const char* kChooseRun = "(choose a run)";  // the run box before any run is in use

enum MatchColumn { RankColumn, ImageColumn, IdentityColumn, ScoreColumn, ColumnCount };

const QColor kYes(0x2C, 0xA0, 0x2C);
const QColor kNo(0xD6, 0x27, 0x28);

QString html(const QString& s) { return s.toHtmlEscaped(); }

bool isZeroShot(const QString& runDir) { return runDir == QLatin1String(MatchWorker::kZeroShotModel); }
QString zeroShotLabel() { return QStringLiteral("Pretrained face-resnet (zero-shot)"); }

// Decodes with core's checks and scales so the longer side is `side` (INTER_AREA to shrink);
// a worker of the view's pool runs it.
QImage loadScaled(const QString& path, int side, QString* error)
{
    try {
        const cv::Mat rgb = data::decodeImageRgb8(path.toStdString());
        const double scale = (double)side / std::max(rgb.cols, rgb.rows);
        cv::Mat small = rgb;
        if (std::abs(scale - 1.0) > 1e-3)
            cv::resize(rgb, small, cv::Size(std::max(1, qRound(rgb.cols * scale)), std::max(1, qRound(rgb.rows * scale))), 0, 0,
                       scale < 1.0 ? cv::INTER_AREA : cv::INTER_CUBIC);
        return QImage(small.data, small.cols, small.rows, (qsizetype)small.step, QImage::Format_RGB888).copy();
    } catch (const std::exception& e) {
        *error = QString::fromStdString(e.what());
        return {};
    }
}

QPixmap placeholder(int side, const QString& text)
{
    QPixmap p(side, side);
    p.fill(QColor(0xEE, 0xEE, 0xEE));
    QPainter painter(&p);
    painter.setPen(QColor(0x88, 0x88, 0x88));
    painter.drawRect(0, 0, side - 1, side - 1);
    painter.drawText(QRect(0, 0, side, side), Qt::AlignCenter | Qt::TextWordWrap, text);
    return p;
}

QString modalityPlural(const QString& m, int n)
{
    if (m == QLatin1String("both")) return n == 1 ? QStringLiteral("image") : QStringLiteral("images");
    return n == 1 ? m : m + QLatin1Char('s');
}

QString describeBox(const QRectF& r)
{
    return QStringLiteral("x %1, y %2, %3 × %4 px").arg(qRound(r.x())).arg(qRound(r.y())).arg(qRound(r.width())).arg(qRound(r.height()));
}

}  // namespace

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
        galleryInfo_->setText(
            QStringLiteral("Gallery: %1 %2 of %3 — %4")
                .arg(g.images)
                .arg(modalityPlural(g.modality, g.images), QDir(g.dataset).dirName(),
                     g.fromCache ? (isZeroShot(runDir_) ? QStringLiteral("embeddings reused from the zero-shot cache")
                                                        : QStringLiteral("embeddings reused from the run's cache"))
                                 : QStringLiteral("embedded in %1 s and cached %2")
                                       .arg(g.seconds, 0, 'f', 1)
                                       .arg(isZeroShot(runDir_) ? QStringLiteral("in the zero-shot cache") : QStringLiteral("beside the run"))) +
            (g.unreadable ? QStringLiteral(" (%1 unreadable left out)").arg(g.unreadable) : QString()));
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

void MatchView::buildUi()
{
    runSummary_ = new QLabel(QStringLiteral("No run chosen."));
    runSummary_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    runSummary_->setWordWrap(true);  // a long dataset path must not set the window's minimum width
    banner_ = new QLabel;
    banner_->setWordWrap(true);
    banner_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    banner_->setStyleSheet(
        QStringLiteral("QLabel { background: #fdecea; color: #8a1f11; border: 1px solid #e0b4b4; border-radius: 4px; padding: 6px; }"));
    banner_->setVisible(false);

    auto* split = new QSplitter(Qt::Horizontal);
    split->addWidget(buildQueryPanel());
    split->addWidget(buildResultsPanel());
    split->addWidget(buildComparePanel());
    // Extra width goes to the query image first; the results get what their texts need
    // (fitIdentityColumn), the comparison its two fixed-size shots.
    split->setStretchFactor(0, 4);
    split->setStretchFactor(1, 3);
    split->setStretchFactor(2, 3);
    split->setChildrenCollapsible(false);

    auto* top = new QVBoxLayout(this);
    top->addLayout(buildBar());
    top->addWidget(runSummary_);
    top->addWidget(banner_);
    top->addWidget(split, 1);
    updateThresholdLabel();
    connectUi();
}

// Top bar: what to match with and against. The boxes shrink with the window, eliding their
// texts (the tooltips and popups show them whole).
QLayout* MatchView::buildBar()
{
    auto combo = [](int minimumChars) {
        auto* c = new ElidedComboBox;
        c->setMinimumContentsLength(minimumChars);
        return c;
    };
    runCombo_ = combo(10);
    checkpoint_ = combo(8);
    checkpoint_->addItem(QStringLiteral("latest"), QStringLiteral("latest"));
    gallery_ = combo(8);
    gallery_->addItem(QStringLiteral("the run's dataset"), QString());
    gallery_->addItem(QStringLiteral("Open dataset folder…"), QString::fromLatin1(kOpenItem));
    modality_ = combo(8);
    modality_->addItem(QStringLiteral("other modality than the query"), QStringLiteral("auto"));
    modality_->setItemData(0, QStringLiteral("Caricatures for a photo, photos for a caricature; both when the query's modality is unknown"),
                           Qt::ToolTipRole);
    modality_->addItem(QStringLiteral("photos"), QStringLiteral("photo"));
    modality_->addItem(QStringLiteral("caricatures"), QStringLiteral("caricature"));
    modality_->addItem(QStringLiteral("photos and caricatures"), QStringLiteral("both"));
    top_ = new QSpinBox;
    top_->setRange(1, 200);
    top_->setValue(10);
    top_->setToolTip(QStringLiteral("How many gallery images to list"));

    auto* bar = new QHBoxLayout;
    bar->addWidget(new QLabel(QStringLiteral("Run")));
    bar->addWidget(runCombo_, 3);
    bar->addWidget(new QLabel(QStringLiteral("Checkpoint")));
    bar->addWidget(checkpoint_, 2);
    bar->addSpacing(12);
    bar->addWidget(new QLabel(QStringLiteral("Gallery")));
    bar->addWidget(gallery_, 2);
    bar->addWidget(modality_, 2);
    bar->addSpacing(12);
    bar->addWidget(new QLabel(QStringLiteral("Top")));
    bar->addWidget(top_);
    return bar;
}

QWidget* MatchView::buildQueryPanel()
{
    crop_ = new CropEditor;
    crop_->setPlaceholderText(QStringLiteral("Drop a photo or caricature here\n\nor drag one from the Datasets tab, or use Open image…\n\n"
                                             "An image of the gallery's dataset is cropped as its gallery copy is; in any other, "
                                             "face-api's pretrained detector and 68 landmarks find the face, cropped as the gallery's "
                                             "images are; when none is found the whole image is used: drag on the image to draw the "
                                             "crop by hand."));
    crop_->setMinimumWidth(160);
    openImage_ = new QPushButton(QStringLiteral("Open image…"));
    resetCrop_ = new QPushButton(QStringLiteral("Forget drawn crop"));
    resetCrop_->setToolTip(QStringLiteral("Forget the hand-drawn crop: crop as the Crop box says again"));
    resetCrop_->setEnabled(false);
    // Short minimums: this row sets the query panel's minimum width, and so the window's at 1024.
    cropMode_ = new ElidedComboBox;
    cropMode_->setMinimumContentsLength(4);
    cropMode_->addItem(QStringLiteral("Automatic"), (int)MatchCropMode::Automatic);
    cropMode_->setItemData(0,
                           QStringLiteral("An image of the gallery's dataset is cropped as its gallery copy is (the dataset's landmarks or "
                                          "alignment file, no detection), so it scores 1 against itself; any other image: face-api's "
                                          "detector and 68 landmarks"),
                           Qt::ToolTipRole);
    cropMode_->addItem(QStringLiteral("Detect the face"), (int)MatchCropMode::Detect);
    cropMode_->setItemData(1, QStringLiteral("face-api's SSD MobileNet v1 detector and 68 landmarks on every query, images of the dataset included"),
                           Qt::ToolTipRole);
    cropMode_->addItem(QStringLiteral("Whole image"), (int)MatchCropMode::WholeImage);
    queryKind_ = new ElidedComboBox;
    queryKind_->setMinimumContentsLength(4);
    queryKind_->addItem(QStringLiteral("Automatic"), QString());
    queryKind_->setItemData(0,
                            QStringLiteral("The query's modality as its dataset, the Datasets tab's drag or its folder (Caricature, Real, "
                                           "photo…) says; unknown otherwise"),
                            Qt::ToolTipRole);
    queryKind_->addItem(QStringLiteral("a photo"), QStringLiteral("photo"));
    queryKind_->addItem(QStringLiteral("a caricature"), QStringLiteral("caricature"));
    cropLabel_ = new QLabel(QStringLiteral("Crop: —"));
    cropLabel_->setWordWrap(true);
    queryInfo_ = new QLabel;
    queryInfo_->setWordWrap(true);
    queryInfo_->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto* buttons = new QHBoxLayout;
    buttons->addWidget(openImage_);
    buttons->addWidget(resetCrop_);
    buttons->addStretch();
    auto* choices = new QHBoxLayout;
    choices->addWidget(new QLabel(QStringLiteral("Crop")));
    choices->addWidget(cropMode_);
    choices->addSpacing(8);
    choices->addWidget(new QLabel(QStringLiteral("Query is")));
    choices->addWidget(queryKind_);
    choices->addStretch();
    auto* box = new QGroupBox(QStringLiteral("Query"));
    auto* ql = new QVBoxLayout(box);
    ql->addLayout(buttons);
    ql->addLayout(choices);
    ql->addWidget(crop_, 1);
    ql->addWidget(cropLabel_);
    ql->addWidget(queryInfo_);
    return box;
}

QWidget* MatchView::buildResultsPanel()
{
    results_ = new QTableWidget(0, ColumnCount);
    results_->setHorizontalHeaderLabels({QStringLiteral("Rank"), QStringLiteral("Image"), QStringLiteral("Identity"), QStringLiteral("Score")});
    results_->setSelectionBehavior(QAbstractItemView::SelectRows);
    results_->setSelectionMode(QAbstractItemView::SingleSelection);
    results_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    results_->setIconSize(QSize(kThumbSide, kThumbSide));
    results_->setTextElideMode(Qt::ElideRight);
    results_->setWordWrap(false);
    results_->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    results_->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOn);  // its width is counted in, not added later
    results_->verticalHeader()->setVisible(false);
    results_->verticalHeader()->setDefaultSectionSize(kThumbSide + 6);
    auto* header = results_->horizontalHeader();
    header->setSectionResizeMode(RankColumn, QHeaderView::ResizeToContents);
    header->setSectionResizeMode(ImageColumn, QHeaderView::Fixed);
    header->resizeSection(ImageColumn, kThumbSide + 12);
    header->setSectionResizeMode(IdentityColumn, QHeaderView::Stretch);
    header->setSectionResizeMode(ScoreColumn, QHeaderView::ResizeToContents);
    results_->setAlternatingRowColors(true);
    status_ = new QLabel;
    status_->setWordWrap(true);
    progress_ = new QProgressBar;
    progress_->setVisible(false);
    galleryInfo_ = new QLabel(QStringLiteral("Gallery: not loaded yet"));
    galleryInfo_->setWordWrap(true);
    auto* box = new QGroupBox(QStringLiteral("Most similar gallery images"));
    auto* rl = new QVBoxLayout(box);
    rl->addWidget(status_);
    rl->addWidget(results_, 1);
    rl->addWidget(progress_);
    rl->addWidget(galleryInfo_);
    fitIdentityColumn();
    return box;
}

// The query as the network saw it beside the selected result, the verdict and the threshold.
QWidget* MatchView::buildComparePanel()
{
    auto shot = [] {
        auto* l = new QLabel;
        l->setFixedSize(kShotSide, kShotSide);
        l->setAlignment(Qt::AlignCenter);
        l->setStyleSheet(QStringLiteral("QLabel { background: #f4f4f4; border: 1px solid #ccc; }"));
        return l;
    };
    queryShot_ = shot();
    hitShot_ = shot();
    queryCaption_ = new QLabel(QStringLiteral("Query"));
    hitCaption_ = new QLabel(QStringLiteral("Selected result"));
    for (auto* c : {queryCaption_, hitCaption_}) {
        c->setAlignment(Qt::AlignHCenter | Qt::AlignTop);
        c->setWordWrap(true);
        c->setFixedWidth(kShotSide);
    }
    auto* pair = new QGridLayout;
    pair->addWidget(queryShot_, 0, 0);
    pair->addWidget(hitShot_, 0, 1);
    pair->addWidget(queryCaption_, 1, 0);
    pair->addWidget(hitCaption_, 1, 1);
    threshold_ = new QSlider(Qt::Horizontal);
    threshold_->setRange(-kSliderScale, kSliderScale);
    threshold_->setValue(kSliderScale / 2);
    threshold_->setToolTip(QStringLiteral("Accept threshold on the cosine similarity for the \"same person?\" verdict"));
    thresholdLabel_ = new QLabel;
    thresholdLabel_->setWordWrap(true);  // its explanation must not set the window's minimum width
    verdict_ = new QLabel(QStringLiteral("Same person? —"));
    QFont big = verdict_->font();
    big.setPointSizeF(big.pointSizeF() * 1.35);
    big.setBold(true);
    verdict_->setFont(big);
    verdict_->setWordWrap(true);
    trueRank_ = new QLabel(QStringLiteral("True identity: —"));
    trueRank_->setWordWrap(true);
    selectedFile_ = new QLabel;
    selectedFile_->setWordWrap(true);
    selectedFile_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    selectedFile_->setStyleSheet(QStringLiteral("color: gray"));
    timing_ = new QLabel;
    timing_->setWordWrap(true);
    timing_->setStyleSheet(QStringLiteral("color: gray"));
    auto* box = new QGroupBox(QStringLiteral("Query beside the selected result"));
    auto* cl = new QVBoxLayout(box);
    cl->addLayout(pair);
    cl->addSpacing(8);
    cl->addWidget(verdict_);
    cl->addWidget(thresholdLabel_);
    cl->addWidget(threshold_);
    cl->addSpacing(8);
    cl->addWidget(trueRank_);
    cl->addStretch();
    cl->addWidget(selectedFile_);
    cl->addWidget(timing_);
    return box;
}

void MatchView::connectUi()
{
    connect(runCombo_, qOverload<int>(&QComboBox::activated), this, &MatchView::runChosen);
    connect(checkpoint_, qOverload<int>(&QComboBox::activated), this, [this](int i) {
        if (!runDir_.isEmpty()) setRun(runDir_, checkpoint_->itemData(i).toString());
    });
    connect(gallery_, qOverload<int>(&QComboBox::activated), this, &MatchView::galleryChosen);
    connect(modality_, qOverload<int>(&QComboBox::activated), this, [this](int) { setGallery(currentGalleryDataset(), currentModality()); });
    connect(top_, qOverload<int>(&QSpinBox::valueChanged), this, [this](int) { scheduleQuery(); });
    connect(cropMode_, qOverload<int>(&QComboBox::currentIndexChanged), this, [this](int) { scheduleQuery(); });
    connect(queryKind_, qOverload<int>(&QComboBox::currentIndexChanged), this, [this](int) { scheduleQuery(); });
    connect(crop_, &CropEditor::cropEdited, this, [this](const QRectF& r) {
        userBox_ = r;
        resetCrop_->setEnabled(true);
        scheduleQuery();
    });
    connect(resetCrop_, &QPushButton::clicked, this, [this] { setUserCrop(std::nullopt); });
    connect(openImage_, &QPushButton::clicked, this, [this] {
        const QString f = QFileDialog::getOpenFileName(this, QStringLiteral("Query image"), QFileInfo(queryPath_).absolutePath(),
                                                       QStringLiteral("Images (*.jpg *.jpeg *.png *.bmp *.webp *.tif *.tiff);;All files (*)"));
        if (!f.isEmpty()) openQuery(f);
    });
    connect(threshold_, &QSlider::valueChanged, this, [this](int) {
        thresholdFromRun_ = false;
        thresholdByHand_ = true;
        updateThresholdLabel();
        updateVerdict();
    });
    connect(results_, &QTableWidget::itemSelectionChanged, this, &MatchView::showSelected);
}

// --- runs and galleries ---------------------------------------------------------------------

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
        applyRunThreshold(info);
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
    applyRunThreshold(info);
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

// --- the query ------------------------------------------------------------------------------

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
    r.cropMode = (MatchCropMode)cropMode_->currentData().toInt();
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

// --- results --------------------------------------------------------------------------------

void MatchView::clearResults()
{
    hasResult_ = false;
    ++thumbGeneration_;
    pool_.clear();
    results_->setRowCount(0);
    queryShot_->clear();
    hitShot_->clear();
    queryCaption_->setText(QStringLiteral("Query"));
    hitCaption_->setText(QStringLiteral("Selected result"));
    selectedFile_->clear();
    verdict_->setText(QStringLiteral("Same person? —"));
    verdict_->setStyleSheet(QString());
    trueRank_->setText(QStringLiteral("True identity: —"));
    cropLabel_->setText(QStringLiteral("Crop: —"));
    timing_->clear();
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

    if (o.queryIdentity.isEmpty())
        trueRank_->setText(QStringLiteral("True identity: unknown (the query is not an image of the gallery's dataset)"));
    else if (o.trueIdentityRank > 0)
        trueRank_->setText(QStringLiteral("True identity <b>%1</b>%2: first correct match at <b>rank %3</b> of %4")
                               .arg(html(o.queryIdentity), o.identityFromDataset ? QString() : QStringLiteral(" (from the drag)"))
                               .arg(o.trueIdentityRank)
                               .arg(o.gallery.images));
    else
        trueRank_->setText(QStringLiteral("True identity <b>%1</b>: not in the gallery").arg(html(o.queryIdentity)));
    // "detect 0 ms" read as a detection that found nothing in no time: say when none ran.
    const QString detect = o.detectorRan ? QStringLiteral("detect %1 ms").arg(o.detectMs, 0, 'f', 0)
                                         : QStringLiteral("no detection (%1)")
                                               .arg(o.crop == QLatin1String("user box")               ? QStringLiteral("crop drawn by hand")
                                                        : o.crop.startsWith(QLatin1String("dataset")) ? QStringLiteral("the dataset's crop")
                                                                                                      : QStringLiteral("whole image"));
    timing_->setText(QStringLiteral("%1 · embed %2 ms · rank %3 ms").arg(detect).arg(o.embedMs, 0, 'f', 0).arg(o.rankMs, 0, 'f', 1));

    if (!o.networkInput.isNull()) {
        queryShot_->setPixmap(QPixmap::fromImage(o.networkInput.scaled(kShotSide - 2, kShotSide - 2, Qt::KeepAspectRatio, Qt::SmoothTransformation)));
        queryCaption_->setText(
            QStringLiteral("Query (%1)%2").arg(o.crop, o.queryIdentity.isEmpty() ? QString() : QStringLiteral("\n") + o.queryIdentity));
    }
    if (!o.hits.isEmpty())
        results_->selectRow(0);
    else
        verdict_->setText(QStringLiteral("Same person? — (no results)"));
    Q_EMIT resultShown();
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
        hitShot_->clear();
        hitCaption_->setText(QStringLiteral("Selected result"));
        updateVerdict();
        return;
    }
    const int row = rows.front().row();
    if (row >= outcome_.hits.size()) return;
    const auto& h = outcome_.hits[row];
    hitShot_->setPixmap(placeholder(kShotSide - 2, QStringLiteral("loading…")));
    hitCaption_->setText(QStringLiteral("Rank %1: %2\nscore %3").arg(h.rank).arg(h.identity).arg(h.score, 0, 'f', 3));
    selectedFile_->setText(QStringLiteral("Selected: %1").arg(QDir::toNativeSeparators(h.path)));
    hitShot_->setToolTip(h.path);
    loadImageAsync(h.path, kShotSide - 2, thumbGeneration_);
    updateVerdict();
}

double MatchView::threshold() const { return threshold_->value() / (double)kSliderScale; }

void MatchView::setThreshold(double t) { threshold_->setValue(qRound(std::clamp(t, -1.0, 1.0) * kSliderScale)); }

// The model's own threshold, or none: a threshold left over from another model (a run's 0.726
// on the zero-shot descriptor) would give verdicts that mean nothing.
void MatchView::applyRunThreshold(const MatchRunInfo& info)
{
    {
        const QSignalBlocker block(threshold_);
        threshold_->setValue(qRound(std::clamp(info.threshold.value_or(0.5), -1.0, 1.0) * kSliderScale));
    }
    thresholdFromRun_ = info.threshold.has_value();
    thresholdByHand_ = false;
    updateThresholdLabel();
}

bool MatchView::hasVerdictThreshold() const { return thresholdFromRun_ || thresholdByHand_; }

void MatchView::updateThresholdLabel()
{
    if (!hasVerdictThreshold()) {
        thresholdLabel_->setText(runReady_ ? QStringLiteral("No threshold: this model has no evaluation, so no verdict (ranks and scores only); "
                                                            "evaluate the run, or set one by hand")
                                           : QStringLiteral("Threshold: none yet"));
        return;
    }
    QString source = thresholdFromRun_ ? runInfo_.thresholdSource : QStringLiteral("set by hand");
    if (!thresholdFromRun_ && runInfo_.threshold)
        source += QStringLiteral("; the model's is %1 (%2)").arg(*runInfo_.threshold, 0, 'f', 3).arg(runInfo_.thresholdSource);
    thresholdLabel_->setText(QStringLiteral("Threshold %1 (%2)").arg(threshold(), 0, 'f', 3).arg(source));
}

void MatchView::updateVerdict()
{
    const auto rows = results_->selectionModel() ? results_->selectionModel()->selectedRows() : QModelIndexList();
    if (!hasResult_ || rows.isEmpty() || rows.front().row() >= outcome_.hits.size()) {
        verdict_->setText(QStringLiteral("Same person? —"));
        verdict_->setStyleSheet(QString());
        return;
    }
    if (!hasVerdictThreshold()) {
        verdict_->setText(QStringLiteral("Same person? — (no calibrated threshold)"));
        verdict_->setStyleSheet(QString());
        return;
    }
    const auto& h = outcome_.hits[rows.front().row()];
    const bool yes = h.score >= threshold();
    verdict_->setText(QStringLiteral("Same person? %1  (%2 %3 %4)")
                          .arg(yes ? QStringLiteral("Yes") : QStringLiteral("No"))
                          .arg(h.score, 0, 'f', 3)
                          .arg(yes ? QStringLiteral("≥") : QStringLiteral("<"))
                          .arg(threshold(), 0, 'f', 3));
    verdict_->setStyleSheet(QStringLiteral("color: %1").arg((yes ? kYes : kNo).name()));
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
    if (hitShot_->toolTip() == path) hitShot_->setPixmap(pix);
}

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
