#include "failure_gallery_view.h"

#include "eval_worker.h"
#include "run/failure_page.h"

#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QStandardItemModel>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QUrl>
#include <QVBoxLayout>

#include <optional>

namespace carilab::widgets {

namespace {

// Pixels a crop is drawn at: both pair lists side by side need ~4.6 crop widths each, so a
// narrow view (1024 px) draws them smaller; a wide one near the network's own 112-150 px.
constexpr int kGalleryCropLarge = 120, kGalleryCropSmall = 88;
constexpr int kGalleryWideView = 1300;
constexpr int kGalleryCropMargin = 4;

QString galleryString(const std::string& s) { return QString::fromStdString(s); }

QString galleryPercent(const std::optional<double>& v) { return v ? QStringLiteral("%1%").arg(100.0 * *v, 0, 'f', 1) : QString(); }

QString galleryHtml(const std::string& s) { return galleryString(s).toHtmlEscaped(); }

// A right-aligned numeric cell that sorts by value; no value: an empty cell that sorts last.
QStandardItem* galleryNumberItem(const QString& text, const std::optional<double>& value, const QString& tip = QString())
{
    auto* item = new QStandardItem(text);
    item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    if (value) item->setData(*value, Qt::UserRole);
    if (!tip.isEmpty()) item->setToolTip(tip);
    item->setEditable(false);
    return item;
}

QStandardItem* galleryNameItem(const QString& text, const QString& tip = QString())
{
    auto* item = new QStandardItem(text);
    item->setData(text.toLower(), Qt::UserRole);
    if (!tip.isEmpty()) item->setToolTip(tip);
    item->setEditable(false);
    return item;
}

QTableView* gallerySortableTable(QSortFilterProxyModel* proxy)
{
    auto* t = new QTableView;
    t->setModel(proxy);
    // No sort until one is asked for: the core's order (confusions: most frequent first).
    t->horizontalHeader()->setSortIndicator(-1, Qt::AscendingOrder);
    t->setSortingEnabled(true);
    t->setEditTriggers(QAbstractItemView::NoEditTriggers);
    t->setSelectionBehavior(QAbstractItemView::SelectRows);
    t->setAlternatingRowColors(true);
    t->verticalHeader()->hide();
    t->horizontalHeader()->setSectionsClickable(true);
    return t;
}

QSortFilterProxyModel* galleryNumericProxy(QStandardItemModel* model, QObject* parent)
{
    auto* proxy = new QSortFilterProxyModel(parent);
    proxy->setSourceModel(model);
    proxy->setSortRole(Qt::UserRole);  // fractions and counts, not their text
    return proxy;
}

QLabel* galleryCropLabel(const QImage& crop, int side)
{
    auto* l = new QLabel;
    l->setAlignment(Qt::AlignCenter);
    l->setMargin(kGalleryCropMargin / 2);
    if (crop.isNull())
        l->setText(QStringLiteral("(no crop)"));
    else
        l->setPixmap(QPixmap::fromImage(crop.scaled(side, side, Qt::KeepAspectRatio, Qt::SmoothTransformation)));
    // The table under it takes the clicks (double-click opens the image) and shows the tooltip.
    l->setAttribute(Qt::WA_TransparentForMouseEvents);
    return l;
}

QTableWidgetItem* galleryCropItem(const QImage& crop, const run::FailureImage& image)
{
    auto* item = new QTableWidgetItem;
    item->setToolTip(QStringLiteral("%1 of %2\n%3\n(as the network saw it, %4×%5 px; double-click to open it in Match)")
                         .arg(galleryString(image.modality), galleryString(image.identity), QDir::toNativeSeparators(galleryString(image.path)))
                         .arg(crop.width())
                         .arg(crop.height()));
    return item;
}

QTableWidget* galleryPairTable()
{
    auto* t = new QTableWidget(0, FailureGalleryView::PairColumns);
    t->setHorizontalHeaderLabels({QStringLiteral("#"), QStringLiteral("Caricature"), QStringLiteral("Photo"), QStringLiteral("Identities"),
                                  QStringLiteral("Score"), QStringLiteral("− threshold")});
    t->horizontalHeaderItem(FailureGalleryView::PairMargin)->setToolTip(QStringLiteral("How far the score is on the wrong side of the threshold"));
    t->setEditTriggers(QAbstractItemView::NoEditTriggers);
    t->setSelectionBehavior(QAbstractItemView::SelectRows);
    t->verticalHeader()->hide();
    t->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    t->horizontalHeader()->setSectionResizeMode(FailureGalleryView::PairImageA, QHeaderView::Fixed);
    t->horizontalHeader()->setSectionResizeMode(FailureGalleryView::PairImageB, QHeaderView::Fixed);
    // Identities wrap onto two lines; the numbers stay as wide as they need.
    t->horizontalHeader()->setSectionResizeMode(FailureGalleryView::PairIdentities, QHeaderView::Stretch);
    t->setWordWrap(true);
    return t;
}

QLabel* galleryListTitle()
{
    auto* l = new QLabel;
    l->setWordWrap(true);
    l->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    return l;
}

QWidget* galleryTitled(QLabel* title, QWidget* body)
{
    auto* w = new QWidget;
    auto* l = new QVBoxLayout(w);
    l->setContentsMargins(0, 2, 0, 0);
    l->addWidget(title);
    l->addWidget(body, 1);
    return w;
}

}  // namespace

FailureGalleryView::FailureGalleryView(QWidget* parent) : QWidget(parent)
{
    header_ = new QLabel;
    header_->setWordWrap(true);
    header_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    header_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);  // long paths must not widen the window
    notes_ = new QLabel;
    notes_->setWordWrap(true);
    notes_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    notes_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    saved_ = new QLabel;
    saved_->setWordWrap(true);
    saved_->setOpenExternalLinks(true);
    saved_->setTextInteractionFlags(Qt::TextBrowserInteraction);
    saved_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    save_ = new QPushButton(QStringLiteral("Save page…"));
    save_->setToolTip(QStringLiteral("Write the gallery as carilab-cli failures --out does: index.html, crops/*.png, pairs.csv, "
                                     "identities.csv and confusions.csv"));
    back_ = new QPushButton(QStringLiteral("Back to the results"));
    back_->setToolTip(QStringLiteral("The protocol results (the gallery stays until the next analysis)"));

    falseAccepts_ = galleryPairTable();
    falseRejects_ = galleryPairTable();
    faTitle_ = galleryListTitle();
    frTitle_ = galleryListTitle();
    pairs_ = new QSplitter(Qt::Horizontal);
    pairs_->addWidget(galleryTitled(faTitle_, falseAccepts_));
    pairs_->addWidget(galleryTitled(frTitle_, falseRejects_));
    pairs_->setChildrenCollapsible(false);
    identityModel_ = new QStandardItemModel(0, IdColumns, this);
    identityModel_->setHorizontalHeaderLabels({QStringLiteral("Identity"), QStringLiteral("Pairs"), QStringLiteral("Right"),
                                               QStringLiteral("Verification"), QStringLiteral("Caricatures"), QStringLiteral("Caricature id."),
                                               QStringLiteral("Photos"), QStringLiteral("Visual id.")});
    const QStringList identityTips{
        QStringLiteral("Click a heading to sort; an empty cell is a figure not measured"),
        QStringLiteral("Pairs of the list involving the identity (a negative pair counts for both of its identities)"),
        QStringLiteral("Of them, decided right at the threshold"),
        QStringLiteral("Verification accuracy at the threshold"),
        QStringLiteral("The identity's caricatures in the list"),
        QStringLiteral("Caricature branch: closed-set identification accuracy on them (empty: not one of the run's classes)"),
        QStringLiteral("The identity's photos in the list"),
        QStringLiteral("Visual branch: closed-set identification accuracy on them (empty: not one of the run's classes)")};
    for (int c = 0; c < IdColumns; ++c) identityModel_->horizontalHeaderItem(c)->setToolTip(identityTips[c]);
    identityProxy_ = galleryNumericProxy(identityModel_, this);
    identities_ = gallerySortableTable(identityProxy_);
    confusionModel_ = new QStandardItemModel(0, 3, this);
    confusionModel_->setHorizontalHeaderLabels({QStringLiteral("Caricature of"), QStringLiteral("Identified as"), QStringLiteral("Caricatures")});
    confusionProxy_ = galleryNumericProxy(confusionModel_, this);
    confusions_ = gallerySortableTable(confusionProxy_);

    tabs_ = new QTabWidget;
    tabs_->addTab(pairs_, QStringLiteral("Pairs"));
    tabs_->addTab(identities_, QStringLiteral("Identities"));
    tabs_->addTab(confusions_, QStringLiteral("Confusions"));

    auto* top = new QHBoxLayout;
    top->addWidget(header_, 1);
    auto* buttons = new QVBoxLayout;
    buttons->addWidget(save_);
    buttons->addWidget(back_);
    buttons->addStretch(1);
    top->addLayout(buttons);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(top);
    layout->addWidget(notes_);
    layout->addWidget(saved_);
    layout->addWidget(tabs_, 1);

    connect(save_, &QPushButton::clicked, this, &FailureGalleryView::savePageInteractively);
    for (QTableWidget* t : {falseAccepts_, falseRejects_})
        connect(t, &QTableWidget::cellDoubleClicked, this, [this, t](int row, int column) { openCell(t, row, column); });
    connect(back_, &QPushButton::clicked, this, &FailureGalleryView::backRequested);
    setResult(nullptr);
}

void FailureGalleryView::setResult(const FailureResultPtr& result)
{
    result_ = result;
    saved_->clear();
    saved_->hide();
    save_->setEnabled(result_ != nullptr);
    fillHeader();
    fillPairLists();
    fillIdentities();
    fillConfusions();
    if (!result_) return;
    const auto& g = result_->gallery;
    tabs_->setTabText(0, QStringLiteral("Pairs (%1 false accepts, %2 false rejects)").arg(g.falseAcceptCount).arg(g.falseRejectCount));
    tabs_->setTabText(1, QStringLiteral("Identities (%1)").arg(g.identities.size()));
    tabs_->setTabText(2, QStringLiteral("Confusions (%1)").arg(g.confusions.size()));
    const QString t = QString::number(g.threshold, 'f', 4);
    faTitle_->setText(QStringLiteral("<b>False accepts</b>: the %1 highest of %2 — impostor pairs scored at or above %3")
                          .arg(g.falseAccepts.size())
                          .arg(g.falseAcceptCount)
                          .arg(t));
    frTitle_->setText(QStringLiteral("<b>False rejects</b>: the %1 lowest of %2 — genuine pairs scored below %3")
                          .arg(g.falseRejects.size())
                          .arg(g.falseRejectCount)
                          .arg(t));
}

void FailureGalleryView::fillHeader()
{
    if (!result_) {
        header_->setText(QStringLiteral("No failure gallery yet."));
        notes_->hide();
        return;
    }
    const auto& g = result_->gallery;
    const auto& e = result_->request.evaluation;
    const QString run = QDir(galleryString(g.run)).dirName().toHtmlEscaped();
    QString text = QStringLiteral("<b>Failures of %1</b> — %2, step %3 (%4), pair list %5<br>")
                       .arg(run, galleryHtml(g.key))
                       .arg(g.step)
                       .arg(QFileInfo(galleryString(g.checkpoint)).fileName().toHtmlEscaped(), QFileInfo(galleryString(g.pairsFile)).fileName().toHtmlEscaped());
    text += QStringLiteral("<b>Threshold %1</b>: %2<br>").arg(g.threshold, 0, 'f', 4).arg(galleryHtml(g.thresholdSource));
    text += QStringLiteral("%1 pairs scored (%2 positive, %3 negative): <b>%4 false accepts</b>, <b>%5 false rejects</b>; the worst %6 of each listed")
                .arg(g.pairs)
                .arg(g.positives)
                .arg(g.negatives)
                .arg(g.falseAcceptCount)
                .arg(g.falseRejectCount)
                .arg(result_->request.top);
    if (g.unreadableImages > 0 || g.pairsDropped > 0)
        text += QStringLiteral("; %1 unreadable images, %2 pairs dropped").arg(g.unreadableImages).arg(g.pairsDropped);
    header_->setText(text);
    header_->setToolTip(QStringLiteral("run %1\ncheckpoint %2\ndataset %3\npairs %4\ntest views: %5")
                            .arg(QDir::toNativeSeparators(galleryString(g.run)), QDir::toNativeSeparators(galleryString(g.checkpoint)),
                                 QDir::toNativeSeparators(galleryString(g.dataset)), QDir::toNativeSeparators(galleryString(g.pairsFile)),
                                 e.views.mirror || !e.views.zoomOut.empty() ? galleryHtml(g.key) : QStringLiteral("the plain crop")));
    QStringList notes;
    for (const auto& n : g.notes) notes << QStringLiteral("• ") + galleryString(n);
    for (const auto& w : result_->warnings) notes << QStringLiteral("• ") + w;
    notes_->setText(notes.join(QLatin1Char('\n')));
    notes_->setVisible(!notes.isEmpty());
}

void FailureGalleryView::fillPairs(QTableWidget* table, bool falseAccepts)
{
    static const std::vector<run::FailurePair> none;
    const std::vector<run::FailurePair>& pairs = !result_ ? none : falseAccepts ? result_->gallery.falseAccepts : result_->gallery.falseRejects;
    table->clearContents();
    table->setRowCount(static_cast<int>(pairs.size()));
    if (!pairs.empty()) {
        // CaVI's pairs are caricature then photo; the headings follow what the list holds.
        auto heading = [](const std::string& m) { return m.empty() ? QString() : galleryString(m).left(1).toUpper() + galleryString(m).mid(1); };
        table->horizontalHeaderItem(PairImageA)->setText(heading(pairs.front().a.modality));
        table->horizontalHeaderItem(PairImageB)->setText(heading(pairs.front().b.modality));
    }
    const double t = result_ ? result_->gallery.threshold : 0;
    for (int row = 0; row < static_cast<int>(pairs.size()); ++row) {
        const run::FailurePair& p = pairs[row];
        auto* rank = new QTableWidgetItem(QString::number(p.rank));
        rank->setTextAlignment(Qt::AlignCenter);
        table->setItem(row, PairRank, rank);
        for (const auto& [column, image] : {std::pair{int(PairImageA), &p.a}, std::pair{int(PairImageB), &p.b}}) {
            const QImage crop = result_->crops.value(image->image);
            table->setItem(row, column, galleryCropItem(crop, *image));
            table->setCellWidget(row, column, galleryCropLabel(crop, cropSide_));
        }
        const QString who = p.positive ? QStringLiteral("%1\n(same identity)").arg(galleryString(p.a.identity))
                                       : QStringLiteral("%1\nvs %2").arg(galleryString(p.a.identity), galleryString(p.b.identity));
        auto* ids = new QTableWidgetItem(who);
        ids->setToolTip(QStringLiteral("%1: %2\n%3: %4")
                            .arg(galleryString(p.a.modality), QDir::toNativeSeparators(galleryString(p.a.path)), galleryString(p.b.modality),
                                 QDir::toNativeSeparators(galleryString(p.b.path))));
        table->setItem(row, PairIdentities, ids);
        auto* score = new QTableWidgetItem(QString::number(p.score, 'f', 4));
        score->setData(Qt::UserRole, p.score);
        score->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        table->setItem(row, PairScore, score);
        const double margin = p.score - t;
        auto* vs = new QTableWidgetItem(QStringLiteral("%1%2").arg(margin >= 0 ? QStringLiteral("+") : QStringLiteral("-")).arg(std::abs(margin), 0, 'f', 4));
        vs->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        vs->setData(Qt::UserRole, margin);
        vs->setToolTip((p.positive ? QStringLiteral("A genuine pair scored below the threshold %1: rejected")
                                   : QStringLiteral("An impostor pair scored at or above the threshold %1: accepted"))
                           .arg(t, 0, 'f', 4));
        table->setItem(row, PairMargin, vs);
    }
}

void FailureGalleryView::fillPairLists()
{
    cropSide_ = width() >= kGalleryWideView ? kGalleryCropLarge : kGalleryCropSmall;
    fillPairs(falseAccepts_, /*falseAccepts=*/true);
    fillPairs(falseRejects_, /*falseAccepts=*/false);
    sizePairColumns(falseAccepts_);
    sizePairColumns(falseRejects_);
}

void FailureGalleryView::sizePairColumns(QTableWidget* table)
{
    const int cell = cropSide_ + kGalleryCropMargin + 4;
    table->verticalHeader()->setDefaultSectionSize(cell);
    for (int r = 0; r < table->rowCount(); ++r) table->setRowHeight(r, cell);
    table->setColumnWidth(PairImageA, cell);
    table->setColumnWidth(PairImageB, cell);
}

void FailureGalleryView::resizeEvent(QResizeEvent* event)
{
    QWidget::resizeEvent(event);
    // Crossing the wide/narrow line redraws the crops at the other size (a few dozen pixmaps).
    const int side = width() >= kGalleryWideView ? kGalleryCropLarge : kGalleryCropSmall;
    if (side != cropSide_ && result_) fillPairLists();
    cropSide_ = side;
}

QWidget* FailureGalleryView::pairsPage() const { return pairs_; }

void FailureGalleryView::openCell(QTableWidget* table, int row, int column)
{
    if (!result_ || (column != PairImageA && column != PairImageB)) return;
    const auto& list = table == falseAccepts_ ? result_->gallery.falseAccepts : result_->gallery.falseRejects;
    if (row < 0 || row >= static_cast<int>(list.size())) return;
    const run::FailureImage& image = column == PairImageA ? list[static_cast<size_t>(row)].a : list[static_cast<size_t>(row)].b;
    // The index stores CaVI's paths relative to the dataset root.
    const QString path = QDir(galleryString(result_->gallery.dataset)).filePath(galleryString(image.path));
    Q_EMIT matchQueryRequested(path, galleryString(image.identity), galleryString(image.modality));
}

void FailureGalleryView::fillIdentities()
{
    identityModel_->removeRows(0, identityModel_->rowCount());
    if (!result_) return;
    const QString unknown = QStringLiteral("not one of the run's classes: no identification figures");
    for (const auto& f : result_->gallery.identities) {
        QList<QStandardItem*> row;
        row << galleryNameItem(galleryString(f.identity), f.knownToRun ? QString() : unknown);
        row << galleryNumberItem(QString::number(f.pairs), static_cast<double>(f.pairs), QStringLiteral("pairs of the list involving this identity"));
        row << galleryNumberItem(QString::number(f.pairsCorrect), static_cast<double>(f.pairsCorrect), QStringLiteral("of them decided right at the threshold"));
        row << galleryNumberItem(galleryPercent(f.verificationAccuracy()), f.verificationAccuracy(), QStringLiteral("verification accuracy at the threshold"));
        const auto count = [&](long long n) { return f.knownToRun ? std::optional<double>(static_cast<double>(n)) : std::nullopt; };
        row << galleryNumberItem(f.knownToRun ? QString::number(f.caricatures) : QString(), count(f.caricatures), f.knownToRun ? QString() : unknown);
        row << galleryNumberItem(galleryPercent(f.caricatureAccuracy()), f.caricatureAccuracy(),
                          f.knownToRun ? QStringLiteral("caricature branch's closed-set accuracy on this identity's caricatures") : unknown);
        row << galleryNumberItem(f.knownToRun ? QString::number(f.photos) : QString(), count(f.photos), f.knownToRun ? QString() : unknown);
        row << galleryNumberItem(galleryPercent(f.visualAccuracy()), f.visualAccuracy(),
                          f.knownToRun ? QStringLiteral("visual branch's closed-set accuracy on this identity's photos") : unknown);
        identityModel_->appendRow(row);
    }
    // Worst verified first: the identities that fail are the question.
    identities_->sortByColumn(IdVerification, Qt::AscendingOrder);
    identities_->resizeColumnsToContents();
}

void FailureGalleryView::fillConfusions()
{
    confusionModel_->removeRows(0, confusionModel_->rowCount());
    if (!result_) return;
    for (const auto& c : result_->gallery.confusions)
        confusionModel_->appendRow({galleryNameItem(galleryString(c.trueIdentity)), galleryNameItem(galleryString(c.predicted)),
                                    galleryNumberItem(QString::number(c.count), static_cast<double>(c.count))});
    confusions_->resizeColumnsToContents();
}

bool FailureGalleryView::savePage(const QString& dir)
{
    lastError_.clear();
    if (!result_) {
        lastError_ = QStringLiteral("no failure gallery to save: press Failures… first");
        return false;
    }
    try {
        // Writing PNGs and CSVs only (OpenCV's encoder): quick enough for the GUI thread.
        run::checkFailurePageFolder(dir.toStdString());
        const run::FailurePageFiles files = run::writeFailurePage(result_->gallery, dir.toStdString());
        const QString index = galleryString(files.index);
        saved_->setText(QStringLiteral("Saved <a href=\"%1\">%2</a> with %3 crops and pairs.csv, identities.csv, confusions.csv in %4")
                            .arg(QUrl::fromLocalFile(index).toString(), QStringLiteral("index.html"))
                            .arg(files.crops)
                            .arg(QDir::toNativeSeparators(QFileInfo(index).absolutePath()).toHtmlEscaped()));
        saved_->show();
        Q_EMIT pageSaved(index);
        return true;
    } catch (const std::exception& e) {
        lastError_ = galleryString(e.what());
        return false;
    }
}

QString FailureGalleryView::savedMessage() const { return saved_->text(); }

void FailureGalleryView::savePageInteractively()
{
    if (!result_) return;
    // A previous page in the run's failures/ folder, else the run's folder (where one makes a new folder).
    const QDir run(galleryString(result_->gallery.run));
    const QString suggested = run.exists(QStringLiteral("failures")) ? run.filePath(QStringLiteral("failures")) : run.path();
    const QString dir = QFileDialog::getExistingDirectory(this, QStringLiteral("Folder for the failure page (new, empty, or a previous page)"), suggested);
    if (dir.isEmpty()) return;
    if (!savePage(dir)) QMessageBox::warning(this, QStringLiteral("Save page"), lastError_);
}

}  // namespace carilab::widgets
