#include "dataset_browser.h"

#include "dataset_stats_view.h"
#include "elided_label.h"
#include "identity_table_model.h"
#include "image_inspector.h"
#include "pool_task.h"
#include "thumbnail_delegate.h"
#include "thumbnail_loader.h"

#include "data/dataset_index.h"
#include "data/dataset_registry.h"
#include "data/dataset_summary.h"

#include <QComboBox>
#include <QDir>
#include <QElapsedTimer>
#include <QFileDialog>
#include <QFileInfo>
#include <QFuture>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QProgressBar>
#include <QPromise>
#include <QPushButton>
#include <QRegularExpression>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QThreadPool>
#include <QVBoxLayout>

#include <algorithm>

namespace carilab::widgets {

struct DatasetBrowser::LoadResult {
    int generation = 0;
    QString root, format;
    std::shared_ptr<const data::DatasetIndex> index;
    nlohmann::json summary;
    QString error;
    qint64 ms = 0;
};

namespace {

std::shared_ptr<DatasetBrowser::LoadResult> indexDataset(int generation, const QString& root, const QString& format)
{
    auto r = std::make_shared<DatasetBrowser::LoadResult>();
    r->generation = generation;
    r->root = root;
    r->format = format;
    QElapsedTimer t;
    t.start();
    try {
        auto index = std::make_shared<data::DatasetIndex>(data::loadDataset(root.toStdString(), format.toStdString()));
        r->summary = data::summarizeDataset(*index);
        r->index = std::move(index);
    } catch (const std::exception& e) {
        r->error = QString::fromStdString(e.what());
    }
    r->ms = t.elapsed();
    return r;
}

const char* const kFormats[] = {"auto", "folder", "cavi", "webcaricature"};

// A search that treats '_' and ' ' alike (CaVI writes Bruno_Mars, WebCaricature "Bruno Mars").
QRegularExpression identityPattern(const QString& text)
{
    QString p;
    for (const QChar c : text.trimmed())
        p += (c == QLatin1Char(' ') || c == QLatin1Char('_')) ? QStringLiteral("[ _]") : QRegularExpression::escape(QString(c));
    return QRegularExpression(p, QRegularExpression::CaseInsensitiveOption);
}

}  // namespace

DatasetBrowser::DatasetBrowser(QWidget* parent) : QWidget(parent)
{
    // --- top bar: folder, format, state
    open_ = new QPushButton(QStringLiteral("Open dataset…"));
    open_->setObjectName(QStringLiteral("openDataset"));
    // The path and the status take what the bar has left, elided with the full text as tooltip:
    // a long path or error must not widen the window.
    path_ = new ElidedLabel(QStringLiteral("No dataset open"), Qt::ElideMiddle);
    path_->setObjectName(QStringLiteral("datasetPath"));
    path_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    path_->setMinimumWidth(160);  // the path keeps some room when the status is long
    formatBox_ = new QComboBox;
    for (const char* f : kFormats) formatBox_->addItem(QString::fromLatin1(f));
    formatBox_->setToolTip(QStringLiteral("auto detects the layout; folder: <identity>/{photo,caricature}/; cavi: CaVI_Dataset/{Caricature,Real}/; "
                                          "webcaricature: OriginalImages/ + FacialPoints/"));
    reload_ = new QPushButton(QStringLiteral("Reload"));
    busy_ = new QProgressBar;
    busy_->setRange(0, 0);
    busy_->setMaximumWidth(90);
    busy_->setMaximumHeight(14);
    busy_->setTextVisible(false);
    busy_->hide();
    status_ = new ElidedLabel(QString(), Qt::ElideRight);
    status_->setObjectName(QStringLiteral("datasetStatus"));
    status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    status_->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
    message_ = new QLabel;
    message_->setObjectName(QStringLiteral("datasetMessage"));
    message_->setWordWrap(true);
    message_->setTextFormat(Qt::PlainText);
    message_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    message_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    message_->hide();
    auto* top = new QHBoxLayout;
    top->addWidget(open_);
    top->addWidget(new QLabel(QStringLiteral("Format")));
    top->addWidget(formatBox_);
    top->addWidget(reload_);
    top->addWidget(path_, 1);
    top->addWidget(busy_);
    top->addWidget(status_);

    // --- left: identities
    search_ = new QLineEdit;
    search_->setPlaceholderText(QStringLiteral("Search identities…"));
    search_->setClearButtonEnabled(true);
    identityModel_ = new IdentityTableModel(this);
    proxy_ = new QSortFilterProxyModel(this);
    proxy_->setSourceModel(identityModel_);
    proxy_->setFilterKeyColumn(IdentityTableModel::kName);
    proxy_->setSortCaseSensitivity(Qt::CaseInsensitive);
    identities_ = new QTableView;
    identities_->setModel(proxy_);
    identities_->setSortingEnabled(true);
    identities_->sortByColumn(IdentityTableModel::kName, Qt::AscendingOrder);
    identities_->setSelectionBehavior(QAbstractItemView::SelectRows);
    identities_->setSelectionMode(QAbstractItemView::ExtendedSelection);
    identities_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    identities_->verticalHeader()->hide();
    identities_->verticalHeader()->setDefaultSectionSize(identities_->fontMetrics().height() + 6);
    identities_->setAlternatingRowColors(true);
    identities_->setWordWrap(false);
    auto* h = identities_->horizontalHeader();
    h->setSectionResizeMode(IdentityTableModel::kName, QHeaderView::Stretch);
    // Count columns just wide enough for their header (and the sort arrow); the name takes the rest.
    for (int c : {IdentityTableModel::kPhotos, IdentityTableModel::kCaricatures, IdentityTableModel::kTotal}) {
        h->setSectionResizeMode(c, QHeaderView::Fixed);
        const QString title = identityModel_->headerData(c, Qt::Horizontal).toString();
        identities_->setColumnWidth(c, h->fontMetrics().horizontalAdvance(title) + 22);
    }
    h->setMinimumSectionSize(40);
    identityCount_ = new QLabel;
    auto* left = new QWidget;
    auto* leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    leftLayout->addWidget(search_);
    leftLayout->addWidget(identities_, 1);
    leftLayout->addWidget(identityCount_);

    // --- middle: thumbnails
    modality_ = new QComboBox;
    modality_->addItems({QStringLiteral("Photos and caricatures"), QStringLiteral("Photos"), QStringLiteral("Caricatures")});
    imageCount_ = new QLabel;
    loader_ = new ThumbnailLoader(96, 2048, this);
    thumbModel_ = new ThumbnailModel(loader_, this);
    grid_ = new QListView;
    grid_->setViewMode(QListView::IconMode);
    grid_->setMovement(QListView::Static);
    grid_->setResizeMode(QListView::Adjust);
    grid_->setUniformItemSizes(true);  // only painted items ask for their thumbnail
    grid_->setLayoutMode(QListView::Batched);
    grid_->setBatchSize(500);
    grid_->setIconSize(QSize(loader_->size(), loader_->size()));
    auto* delegate = new ThumbnailDelegate(loader_->size(), grid_);
    grid_->setItemDelegate(delegate);
    grid_->setGridSize(delegate->itemSize(grid_) + QSize(4, 8));
    grid_->setWordWrap(false);
    grid_->setTextElideMode(Qt::ElideMiddle);
    grid_->setSelectionMode(QAbstractItemView::SingleSelection);
    grid_->setDragEnabled(true);
    grid_->setDragDropMode(QAbstractItemView::DragOnly);
    grid_->setDefaultDropAction(Qt::CopyAction);
    grid_->setModel(thumbModel_);
    grid_->setToolTip(QString());
    auto* gridBar = new QHBoxLayout;
    gridBar->addWidget(new QLabel(QStringLiteral("Show")));
    gridBar->addWidget(modality_);
    gridBar->addStretch(1);
    gridBar->addWidget(imageCount_);
    auto* middle = new QWidget;
    auto* middleLayout = new QVBoxLayout(middle);
    middleLayout->setContentsMargins(0, 0, 0, 0);
    middleLayout->addLayout(gridBar);
    middleLayout->addWidget(grid_, 1);
    auto* dragHint = new QLabel(QStringLiteral("Drag an image out to use it as a query."));
    dragHint->setStyleSheet(QStringLiteral("color: #777777;"));
    middleLayout->addWidget(dragHint);

    // --- right: statistics and the image
    stats_ = new DatasetStatsView;
    inspector_ = new ImageInspector;
    side_ = new QTabWidget;
    side_->addTab(stats_, QStringLiteral("Statistics"));
    side_->addTab(inspector_, QStringLiteral("Image"));

    auto* split = new QSplitter(Qt::Horizontal);
    split->addWidget(left);
    split->addWidget(middle);
    split->addWidget(side_);
    split->setStretchFactor(0, 0);
    split->setStretchFactor(1, 1);
    split->setStretchFactor(2, 0);
    split->setSizes({400, 520, 480});
    split->setChildrenCollapsible(false);

    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(message_);
    layout->addWidget(split, 1);

    watcher_ = new QFutureWatcher<std::shared_ptr<LoadResult>>(this);
    connect(watcher_, &QFutureWatcherBase::finished, this, &DatasetBrowser::loadFinished);
    connect(open_, &QPushButton::clicked, this, &DatasetBrowser::chooseFolder);
    connect(reload_, &QPushButton::clicked, this, &DatasetBrowser::reload);
    connect(formatBox_, qOverload<int>(&QComboBox::currentIndexChanged), this, [this] {
        if (!root_.isEmpty()) reload();
    });
    connect(search_, &QLineEdit::textChanged, this, [this](const QString& text) {
        proxy_->setFilterRegularExpression(identityPattern(text));
        // A search that leaves one identity means that one: show its images at once.
        if (proxy_->rowCount() == 1) selectIdentities({proxy_->index(0, IdentityTableModel::kName).data().toString()});
        updateCounts();
    });
    connect(identities_->selectionModel(), &QItemSelectionModel::selectionChanged, this, &DatasetBrowser::identitySelectionChanged);
    connect(modality_, qOverload<int>(&QComboBox::currentIndexChanged), this, [this](int i) {
        thumbModel_->setModalities(i == 1       ? ThumbnailModel::Modalities::Photos
                                       : i == 2 ? ThumbnailModel::Modalities::Caricatures
                                                : ThumbnailModel::Modalities::Both);
        updateCounts();
    });
    connect(grid_->selectionModel(), &QItemSelectionModel::currentChanged, this, [this](const QModelIndex& current) {
        if (!current.isValid()) return;
        inspector_->setImage(index_, thumbModel_->imageIndexAt(current.row()));
        side_->setCurrentWidget(inspector_);
    });
    updateCounts();
}

DatasetBrowser::~DatasetBrowser() = default;

QString DatasetBrowser::format() const { return formatBox_->currentText(); }

void DatasetBrowser::chooseFolder()
{
    const QString start = root_.isEmpty() ? QDir::homePath() : root_;
    const QString d = QFileDialog::getExistingDirectory(this, QStringLiteral("Dataset folder (generic folders, CaVI or WebCaricature)"), start);
    if (!d.isEmpty()) openDataset(d, format());
}

void DatasetBrowser::reload()
{
    if (!root_.isEmpty()) openDataset(root_, format());
}

void DatasetBrowser::openDataset(const QString& root, const QString& format)
{
    showMessage(QString(), false);  // what the user opens answers any notice
    startLoading(root, format);
}

void DatasetBrowser::setNotice(const QString& text) { showMessage(text, false); }

QString DatasetBrowser::notice() const { return message_->isHidden() ? QString() : message_->text(); }

void DatasetBrowser::showMessage(const QString& text, bool error)
{
    message_->setText(text);
    message_->setStyleSheet(error ? QStringLiteral("color: #b02020;") : QStringLiteral("color: #8a5a00;"));
    message_->setVisible(!text.isEmpty());
}

void DatasetBrowser::startLoading(const QString& root, const QString& format)
{
    everOpened_ = true;
    const QString abs = QFileInfo(root).absoluteFilePath();
    {
        const QSignalBlocker block(formatBox_);
        const int i = formatBox_->findText(format);
        formatBox_->setCurrentIndex(i >= 0 ? i : 0);
    }
    root_ = abs;
    error_.clear();
    loading_ = true;
    const int generation = ++generation_;
    path_->setText(abs);  // the whole path as tooltip when elided
    status_->setStyleSheet(QString());
    status_->setExtraToolTip(QString());
    status_->setText(QStringLiteral("indexing…"));
    busy_->show();
    Q_EMIT loadingStarted(abs);
    const QString fmt = formatBox_->currentText();
    watcher_->setFuture(runInPool([generation, abs, fmt] { return indexDataset(generation, abs, fmt); }));
}

void DatasetBrowser::loadFinished()
{
    if (watcher_->future().resultCount() == 0) return;
    const std::shared_ptr<LoadResult> r = watcher_->result();
    if (!r || r->generation != generation_) return;
    loading_ = false;
    busy_->hide();
    loadMs_ = r->ms;
    inspector_->clear();
    loader_->clear();  // files may have changed since they were last shown
    if (!r->error.isEmpty()) {
        error_ = r->error;
        index_.reset();
        summary_ = nlohmann::json();
        identityModel_->setIndex(nullptr);
        thumbModel_->setIndex(nullptr);
        stats_->clear();
        status_->setStyleSheet(QStringLiteral("color: #b02020;"));
        status_->setText(QStringLiteral("cannot open this folder"));
        // The whole reason, wrapped to the window's width on the row under the bar.
        showMessage(QStringLiteral("Cannot open: ") + error_, true);
        updateCounts();
        Q_EMIT datasetFailed(r->root, error_);
        return;
    }
    index_ = r->index;
    summary_ = r->summary;
    identityModel_->setIndex(index_);
    thumbModel_->setIndex(index_);
    stats_->setSummary(summary_, index_->countsPerIdentity());
    side_->setCurrentWidget(stats_);
    status_->setText(QStringLiteral("%1 · %2 identities · %3 images · indexed in %4 ms")
                         .arg(QString::fromStdString(index_->format))
                         .arg(index_->identities.size())
                         .arg(index_->images.size())
                         .arg(r->ms));
    // Start with the first identity in the list's order so the grid is not empty.
    if (proxy_->rowCount() > 0) identities_->selectRow(0);
    // A newly opened dataset starts at its top, not where the previous one was scrolled to.
    identities_->scrollToTop();
    grid_->scrollToTop();
    updateCounts();
    Q_EMIT datasetLoaded(r->root);
}

void DatasetBrowser::identitySelectionChanged()
{
    QVector<int> ids;
    const QModelIndexList rows = identities_->selectionModel()->selectedRows(IdentityTableModel::kName);
    QList<QModelIndex> sorted(rows.begin(), rows.end());
    std::sort(sorted.begin(), sorted.end(), [](const QModelIndex& a, const QModelIndex& b) { return a.row() < b.row(); });
    for (const QModelIndex& i : sorted) ids << proxy_->data(i, IdentityTableModel::IdentityIdRole).toInt();
    thumbModel_->setIdentities(ids);
    // The inspector must not keep showing an image of an identity no longer selected.
    const int shown = inspector_->imageIndex();
    if (shown >= 0 && index_ && !ids.contains(index_->images[static_cast<size_t>(shown)].identity)) {
        inspector_->clear();
        side_->setCurrentWidget(stats_);
    }
    updateCounts();
}

void DatasetBrowser::selectIdentities(const QStringList& names)
{
    QItemSelection sel;
    for (int r = 0; r < proxy_->rowCount(); ++r) {
        const QModelIndex i = proxy_->index(r, IdentityTableModel::kName);
        if (names.contains(i.data().toString())) sel.select(i, proxy_->index(r, IdentityTableModel::kColumns - 1));
    }
    identities_->selectionModel()->select(sel, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
}

QStringList DatasetBrowser::selectedIdentities() const
{
    QStringList out;
    for (const QModelIndex& i : identities_->selectionModel()->selectedRows(IdentityTableModel::kName)) out << i.data().toString();
    return out;
}

void DatasetBrowser::setModalities(ThumbnailModel::Modalities m)
{
    modality_->setCurrentIndex(m == ThumbnailModel::Modalities::Photos ? 1 : m == ThumbnailModel::Modalities::Caricatures ? 2 : 0);
}

void DatasetBrowser::inspectRow(int row)
{
    if (row < 0 || row >= thumbModel_->rowCount()) return;
    grid_->setCurrentIndex(thumbModel_->index(row));
}

void DatasetBrowser::updateCounts()
{
    const int total = identityModel_->rowCount(), shown = proxy_->rowCount();
    const int selected = identities_->selectionModel() ? static_cast<int>(identities_->selectionModel()->selectedRows().size()) : 0;
    identityCount_->setText(total == 0           ? QString()
                                : shown == total ? QStringLiteral("%1 identities, %2 selected").arg(total).arg(selected)
                                                 : QStringLiteral("%1 of %2 identities, %3 selected").arg(shown).arg(total).arg(selected));
    imageCount_->setText(QStringLiteral("%1 image%2").arg(thumbModel_->rowCount()).arg(thumbModel_->rowCount() == 1 ? "" : "s"));
}

void DatasetBrowser::showEvent(QShowEvent* event)
{
    QWidget::showEvent(event);
    if (everOpened_) return;
    everOpened_ = true;
    if (!defaultRoot_.isEmpty() && QDir(defaultRoot_).exists()) {
        startLoading(defaultRoot_, QStringLiteral("auto"));  // keeps a notice (why this one opened)
    } else {
        // Where the path will be (the status beside it would squeeze this hint to nothing).
        path_->setText(QStringLiteral("No dataset open (the CariSynth demo opens here once made: carilab-cli synth)"));
    }
}

}  // namespace carilab::widgets
