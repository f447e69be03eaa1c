// MatchView's widgets and their layout: the top bar, the query, results and comparison panels,
// and the connections between them and the view.
#include "match_view.h"

#include "crop_editor.h"
#include "match_combo_box.h"
#include "match_view_support.h"

#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QSlider>
#include <QSpinBox>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>

namespace carilab::widgets {

using namespace match_detail;

namespace {

// "Crop": data MatchCropMode as int.
QComboBox* makeCropModeCombo()
{
    auto* c = new ElidedComboBox;
    c->setMinimumContentsLength(4);
    c->addItem(QStringLiteral("Automatic"), static_cast<int>(MatchCropMode::Automatic));
    c->setItemData(0,
                   QStringLiteral("An image of the gallery's dataset is cropped as its gallery copy is (the dataset's landmarks or "
                                  "alignment file, no detection), so it scores 1 against itself; any other image: face-api's "
                                  "detector and 68 landmarks"),
                   Qt::ToolTipRole);
    c->addItem(QStringLiteral("Detect the face"), static_cast<int>(MatchCropMode::Detect));
    c->setItemData(1, QStringLiteral("face-api's SSD MobileNet v1 detector and 68 landmarks on every query, images of the dataset included"),
                   Qt::ToolTipRole);
    c->addItem(QStringLiteral("Whole image"), static_cast<int>(MatchCropMode::WholeImage));
    return c;
}

// "Query is": data "", "photo" or "caricature".
QComboBox* makeQueryKindCombo()
{
    auto* c = new ElidedComboBox;
    c->setMinimumContentsLength(4);
    c->addItem(QStringLiteral("Automatic"), QString());
    c->setItemData(0,
                   QStringLiteral("The query's modality as its dataset, the Datasets tab's drag or its folder (Caricature, Real, "
                                  "photo…) says; unknown otherwise"),
                   Qt::ToolTipRole);
    c->addItem(QStringLiteral("a photo"), QStringLiteral("photo"));
    c->addItem(QStringLiteral("a caricature"), QStringLiteral("caricature"));
    return c;
}

}  // namespace

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
    compare_ = new MatchComparePanel;
    split->addWidget(compare_);
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
    cropMode_ = makeCropModeCombo();
    queryKind_ = makeQueryKindCombo();
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
    connect(results_, &QTableWidget::itemSelectionChanged, this, &MatchView::showSelected);
}
}  // namespace carilab::widgets
