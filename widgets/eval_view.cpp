#include "eval_view.h"

#include "eval_worker.h"
#include "export_dialog.h"
#include "failure_gallery_view.h"
#include "plot_file.h"
#include "qcustomplot_include.h"

#include "io/atomic_file.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QListWidget>
#include <QMenu>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollBar>
#include <QSplitter>
#include <QStackedWidget>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace carilab::widgets {

namespace {

const QColor kGenuine(0x1F, 0x77, 0xB4);  // the project's verification blue
const QColor kImpostor(0xD6, 0x27, 0x28);
const QColor kChance(0x99, 0x99, 0x99);
constexpr int kEvalColumns = 7;
// Marks the rows that name a section and its columns (the table shows no header of its own).
constexpr int kSectionRole = Qt::UserRole + 1;

QString protocolsHint() { return QStringLiteral("cavi|webcari-restricted|webcari-unrestricted|webcari-c2p|webcari-p2c|images"); }

// Each plot gets a title row above its axis rect, which also says why a plot is empty, and
// its legend in a row below: inside the rect it would cover the curve somewhere, since where
// the curves run depends on how good the model is.
void setupPlot(QCustomPlot* plot, const QString& xLabel, const QString& yLabel)
{
    plot->plotLayout()->insertRow(0);
    auto* title = new QCPTextElement(plot, QString(), QFont(plot->font().family(), 10, QFont::Bold));
    plot->plotLayout()->addElement(0, 0, title);
    plot->xAxis->setLabel(xLabel);
    plot->yAxis->setLabel(yLabel);
    auto* legend = plot->legend;
    plot->axisRect()->insetLayout()->take(legend);
    plot->plotLayout()->addElement(2, 0, legend);
    plot->plotLayout()->setRowStretchFactor(2, 0.001);
    legend->setVisible(true);
    legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
    legend->setWrap(3);
    legend->setBorderPen(Qt::NoPen);
    legend->setMargins(QMargins(0, 0, 0, 2));
    plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    plot->setMinimumSize(300, 220);
}

void setTitle(QCustomPlot* plot, const QString& text)
{
    if (auto* t = qobject_cast<QCPTextElement*>(plot->plotLayout()->element(0, 0))) t->setText(text);
}

void clearPlot(QCustomPlot* plot)
{
    plot->clearPlottables();
    plot->clearItems();
}

QString fileKey(const QString& key)
{
    QString k = key;
    k.replace(QLatin1Char('/'), QLatin1Char('-'));
    return k;
}

// A row naming a section and its columns (bold, shaded).
void addSectionRow(QTableWidget* table, const QStringList& cells)
{
    const QColor sectionBg = table->palette().color(QPalette::AlternateBase).darker(104);
    const int row = table->rowCount();
    table->insertRow(row);
    QFont bold = table->font();
    bold.setBold(true);
    for (int c = 0; c < kEvalColumns; ++c) {
        auto* item = new QTableWidgetItem(cells.value(c));
        item->setFont(bold);
        item->setBackground(sectionBg);
        item->setData(kSectionRole, true);
        if (c > 0) item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        table->setItem(row, c, item);
    }
}

// A row of numbers: the cell's text as shown, its value (a fraction, or a count) as UserRole.
struct Cell {
    QString text;
    double value = std::nan("");
};

int addLine(QTableWidget* table, const QString& label, const QVector<Cell>& cells, const QString& tip)
{
    const int row = table->rowCount();
    table->insertRow(row);
    auto* first = new QTableWidgetItem(label);
    first->setToolTip(tip);
    table->setItem(row, 0, first);
    for (int c = 0; c < cells.size() && c + 1 < kEvalColumns; ++c) {
        auto* item = new QTableWidgetItem(cells[c].text);
        item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        if (std::isfinite(cells[c].value)) item->setData(Qt::UserRole, cells[c].value);
        item->setToolTip(tip);
        table->setItem(row, c + 1, item);
    }
    return row;
}

}  // namespace

EvalView::EvalView(QWidget* parent) : QWidget(parent), worker_(new EvalWorker)
{
    worker_->moveToThread(&thread_);
    thread_.setObjectName(QStringLiteral("eval worker"));
    thread_.start();

    buildPanel();  // the panel's widgets and the gallery page, before setRun
    message_ = new QLabel;
    message_->setAlignment(Qt::AlignCenter);
    message_->setWordWrap(true);
    message_->setTextInteractionFlags(Qt::TextSelectableByMouse);  // the command is meant to be copied
    message_->setMargin(24);

    protocol_ = new QComboBox;
    protocol_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    summary_ = new QLabel;
    summary_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    summary_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);  // long paths must not widen the window
    normalize_ = new QCheckBox(QStringLiteral("Histogram per class"));
    normalize_->setChecked(normalized_);
    normalize_->setToolTip(QStringLiteral("Bars as each class's fraction of pairs (genuine and impostor pairs are rarely equally many)"));
    auto* exportButton = new QPushButton(QStringLiteral("Export"));
    auto* menu = new QMenu(exportButton);
    menu->addAction(QStringLiteral("ROC figure…"), this, [this] { exportInteractively(QStringLiteral("roc")); });
    menu->addAction(QStringLiteral("CMC figure…"), this, [this] { exportInteractively(QStringLiteral("cmc")); });
    menu->addAction(QStringLiteral("Score histogram figure…"), this, [this] { exportInteractively(QStringLiteral("histogram")); });
    menu->addSeparator();
    menu->addAction(QStringLiteral("Table as CSV…"), this, [this] { exportInteractively(QStringLiteral("csv")); });
    exportButton->setMenu(menu);

    auto* bar = new QHBoxLayout;
    bar->addWidget(new QLabel(QStringLiteral("Protocol")));
    bar->addWidget(protocol_);
    bar->addWidget(summary_, 1);
    bar->addWidget(normalize_);
    bar->addWidget(exportButton);

    table_ = new QTableWidget(0, kEvalColumns);
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->setSelectionMode(QAbstractItemView::ContiguousSelection);
    table_->setWordWrap(false);
    table_->setShowGrid(false);
    // Each section brings its own column names (verification and identification measure
    // different things), so the rows carry the headers.
    table_->horizontalHeader()->hide();
    table_->verticalHeader()->hide();
    table_->verticalHeader()->setDefaultSectionSize(table_->fontMetrics().height() + 8);
    table_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    // No stretched last column: fitTable() sizes the pane from the columns' widths.
    issuesTitle_ = new QLabel;
    issues_ = new QListWidget;
    issues_->setMaximumHeight(110);

    roc_ = new QCustomPlot;
    setupPlot(roc_, QStringLiteral("false accept rate (FAR)"), QStringLiteral("true accept rate (TAR)"));
    roc_->xAxis->setScaleType(QCPAxis::stLogarithmic);
    QSharedPointer<QCPAxisTickerLog> logTicker(new QCPAxisTickerLog);
    logTicker->setSubTickCount(8);
    roc_->xAxis->setTicker(logTicker);
    roc_->xAxis->setNumberFormat(QStringLiteral("eb"));  // 10^-3 as a superscript power
    roc_->xAxis->setNumberPrecision(0);
    cmc_ = new QCustomPlot;
    setupPlot(cmc_, QStringLiteral("rank"), QStringLiteral("identification rate"));
    QSharedPointer<QCPAxisTickerFixed> rankTicker(new QCPAxisTickerFixed);
    rankTicker->setTickStep(1.0);
    rankTicker->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);  // whole ranks only
    cmc_->xAxis->setTicker(rankTicker);
    histogram_ = new QCustomPlot;
    setupPlot(histogram_, QStringLiteral("score (cosine similarity)"), QString());

    // Table over histogram on the left, ROC over CMC on the right: the table is wide and
    // the histogram's 40 bins like width too, while ROC and CMC read well nearly square.
    auto* tablePane = new QWidget;
    auto* tl = new QVBoxLayout(tablePane);
    tl->setContentsMargins(0, 0, 0, 0);
    tl->addWidget(table_, 1);
    tl->addWidget(issuesTitle_);
    tl->addWidget(issues_);
    left_ = new QSplitter(Qt::Vertical);
    left_->addWidget(tablePane);
    left_->addWidget(histogram_);
    left_->setStretchFactor(1, 1);
    auto* right = new QSplitter(Qt::Vertical);
    right->addWidget(roc_);
    right->addWidget(cmc_);
    split_ = new QSplitter(Qt::Horizontal);
    split_->addWidget(left_);
    split_->addWidget(right);
    split_->setStretchFactor(1, 1);
    for (auto* s : {left_, right, split_}) s->setChildrenCollapsible(false);
    connect(split_, &QSplitter::splitterMoved, this, [this] { widthMoved_ = true; });
    connect(left_, &QSplitter::splitterMoved, this, [this] { heightMoved_ = true; });

    auto* content = new QWidget;
    auto* cl = new QVBoxLayout(content);
    cl->setContentsMargins(0, 0, 0, 0);
    cl->addLayout(bar);
    cl->addWidget(split_, 1);
    pages_ = new QStackedWidget;
    pages_->addWidget(message_);
    pages_->addWidget(content);
    pages_->addWidget(gallery_);  // page 2, made by buildPanel()
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(panel_);
    layout->addWidget(pages_, 1);

    connect(protocol_, qOverload<int>(&QComboBox::currentIndexChanged), this, [this](int) { showProtocol(); });
    connect(normalize_, &QCheckBox::toggled, this, &EvalView::setHistogramNormalized);
    setRun(QString());
}

EvalView::~EvalView()
{
    // The evaluation stops after its current batch and writes nothing; queued work is dropped.
    worker_->cancel();
    thread_.quit();
    thread_.wait();
    delete worker_;
}

void EvalView::setRun(const QString& runDir)
{
    const bool sameRun = runDir == results_.runDir;
    const QString keep = sameRun ? currentKey() : QString();
    results_ = runDir.isEmpty() ? RunEvaluation{} : loadRunEvaluation(runDir);
    {
        const QSignalBlocker block(protocol_);
        protocol_->clear();
        for (const auto& p : results_.protocols) {
            protocol_->addItem(p.label(), p.key);
            protocol_->setItemData(protocol_->count() - 1, p.key, Qt::ToolTipRole);
        }
        for (const auto& r : results_.images) {
            protocol_->addItem(r.label(), r.key);
            protocol_->setItemData(protocol_->count() - 1, r.key, Qt::ToolTipRole);
        }
        const int i = protocol_->findData(keep);
        protocol_->setCurrentIndex(i >= 0 ? i : 0);
    }
    if (!sameRun) {
        evalDataset_.clear();
        evalFormat_ = QStringLiteral("auto");
        requestChoices();
    }
    updatePanel();
    if (runDir.isEmpty())
        showMessage(QStringLiteral("Select a single run in the Runs tab to see its protocol evaluation."));
    else if (!results_.error.isEmpty())
        showMessage(QStringLiteral("Could not read the evaluation results: ") + results_.error);
    else if (results_.protocols.isEmpty() && results_.images.isEmpty())
        showMessage(QStringLiteral("No protocol evaluation yet: choose a protocol above and press Evaluate.\n\nThe same from a terminal:\n"
                                   "carilab-cli eval --run %1 --protocol %2\n(then press Reload).")
                        .arg(QDir::toNativeSeparators(runDir), protocolsHint()));
    else
        showProtocol();
}

QStringList EvalView::protocolKeys() const
{
    QStringList keys;
    for (const auto& p : results_.protocols) keys << p.key;
    for (const auto& r : results_.images) keys << r.key;
    return keys;
}

QString EvalView::currentKey() const { return protocol_->currentData().toString(); }

bool EvalView::setCurrentKey(const QString& key)
{
    const int i = protocol_->findData(key);
    if (i < 0) return false;
    protocol_->setCurrentIndex(i);
    return true;
}

const ProtocolResult* EvalView::current() const { return results_.find(currentKey()); }

const ImagesResult* EvalView::currentImages() const { return results_.findImages(currentKey()); }

bool EvalView::hasResults() const { return pages_->currentIndex() != 0; }

QString EvalView::message() const { return hasResults() ? QString() : message_->text(); }

void EvalView::showMessage(const QString& text)
{
    message_->setText(text);
    pages_->setCurrentIndex(0);
    for (auto* p : {roc_, cmc_, histogram_}) clearPlot(p);
    table_->setRowCount(0);
    issues_->clear();
}

void EvalView::showProtocol()
{
    if (const ImagesResult* images = currentImages()) {
        showImages(*images);
        return;
    }
    const ProtocolResult* r = current();
    if (!r) return;
    pages_->setCurrentIndex(1);
    histogram_->show();
    split_->widget(1)->show();
    normalize_->show();
    fillSummary(*r);
    fillTable(*r);
    fillIssues(*r);
    fitTable();
    drawRoc(*r);
    drawCmc(*r);
    drawHistogram(*r);
    Q_EMIT protocolShown(r->key);
}

void EvalView::showImages(const ImagesResult& r)
{
    pages_->setCurrentIndex(1);
    QStringList parts;
    if (!r.dataset.isEmpty()) parts << QStringLiteral("dataset %1").arg(QDir(r.dataset).dirName());
    if (!r.model.isEmpty()) parts << QStringLiteral("checkpoint %1").arg(QFileInfo(r.model).fileName());
    parts << QStringLiteral("%1 caricatures, %2 photos").arg(formatCount(r.caricatures), formatCount(r.photos));
    summary_->setText(parts.join(QStringLiteral("  ·  ")));
    summary_->setToolTip(QStringList{r.key, QStringLiteral("dataset: ") + r.dataset, QStringLiteral("model: ") + r.model}.join(QLatin1Char('\n')));
    normalize_->hide();  // no histogram here
    fillImagesTable(r);
    issuesTitle_->setText(QStringLiteral("Every image of the dataset; pairs: all positives and one seeded negative each, 10 folds."));
    issues_->clear();
    issues_->hide();
    fitTable();
    // This evaluation keeps its figures only, no pair scores: nothing to plot, the table gets the room.
    for (auto* p : {roc_, cmc_, histogram_}) clearPlot(p);
    histogram_->hide();
    split_->widget(1)->hide();
    Q_EMIT protocolShown(r.key);
}

void EvalView::fillImagesTable(const ImagesResult& r)
{
    table_->clearContents();
    table_->setRowCount(0);
    addSectionRow(table_,
                  {QStringLiteral("All images: verification"), QStringLiteral("Accuracy"), QStringLiteral("AUC"), QStringLiteral("Pairs"),
                   QStringLiteral("Threshold")});
    auto pairsRow = [&](const QString& label, const std::optional<ImagesVerification>& v, const QString& tip) {
        if (!v) {
            addLine(table_, label, {Cell{QStringLiteral("–")}, Cell{QStringLiteral("–")}, Cell{QStringLiteral("0")}},
                    tip + QStringLiteral(" (no pairs)"));
            return;
        }
        const QString acc = std::isfinite(v->accuracyStd)
            ? formatPercent(v->accuracy) + QStringLiteral(" ± ") + QString::number(100.0 * v->accuracyStd, 'f', 2)
            : formatPercent(v->accuracy);
        addLine(table_, label,
                {Cell{acc, v->accuracy}, Cell{formatPercent(v->auc), v->auc},
                 Cell{formatCount(v->pairs), v->pairs >= 0 ? static_cast<double>(v->pairs) : std::nan("")},
                 Cell{std::isfinite(v->threshold) ? QString::number(v->threshold, 'f', 4) : QStringLiteral("–"), v->threshold}},
                tip);
    };
    pairsRow(QStringLiteral("caricature-photo"), r.caricaturePhoto, QStringLiteral("10-fold accuracy (mean ± std, threshold from the other folds)"));
    pairsRow(QStringLiteral("photo-photo"), r.photoPhoto, QStringLiteral("the same on photo pairs: the reference for the modality gap"));
    if (std::isfinite(r.caricatureAcc) || std::isfinite(r.visualAcc)) {
        addSectionRow(table_, {QStringLiteral("Closed set"), QStringLiteral("Accuracy"), QStringLiteral("Images")});
        addLine(table_, QStringLiteral("caricature branch"),
                {Cell{formatPercent(r.caricatureAcc), r.caricatureAcc}, Cell{formatCount(r.caricatures), static_cast<double>(r.caricatures)}},
                QStringLiteral("the caricature identification branch on every caricature"));
        addLine(table_, QStringLiteral("visual branch"),
                {Cell{formatPercent(r.visualAcc), r.visualAcc}, Cell{formatCount(r.photos), static_cast<double>(r.photos)}},
                QStringLiteral("the visual identification branch on every photo"));
    }
    table_->resizeColumnsToContents();
}

void EvalView::fillSummary(const ProtocolResult& r)
{
    QStringList parts;
    if (!r.dataset.isEmpty()) parts << QStringLiteral("dataset %1").arg(QDir(r.dataset).dirName());
    if (!r.checkpoint.isEmpty()) parts << QStringLiteral("checkpoint %1").arg(QFileInfo(r.checkpoint).fileName());
    // Unreadable images are worth the room only when there are some (the bar is narrow at 1024 px).
    if (r.images >= 0)
        parts << (r.unreadableImages > 0 ? QStringLiteral("%1 images (%2 unreadable)").arg(r.images).arg(r.unreadableImages)
                                         : QStringLiteral("%1 images").arg(r.images));
    if (r.skipped > 0) parts << QStringLiteral("%1 skipped").arg(r.skipped);
    summary_->setText(parts.join(QStringLiteral("  ·  ")));
    QStringList tip = {r.key};
    if (!r.dataset.isEmpty()) tip << QStringLiteral("dataset: ") + r.dataset;
    if (!r.checkpoint.isEmpty()) tip << QStringLiteral("checkpoint: ") + r.checkpoint;
    if (!r.scoresCsv.isEmpty()) tip << QStringLiteral("pair scores: ") + r.scoresCsv;
    summary_->setToolTip(tip.join(QLatin1Char('\n')));
    normalize_->setEnabled(r.verification.has_value());
}

void EvalView::fillTable(const ProtocolResult& r)
{
    table_->clearContents();
    table_->setRowCount(0);
    auto header = [&](const QStringList& cells) { addSectionRow(table_, cells); };
    auto line = [&](const QString& label, const QVector<Cell>& cells, const QString& tip = {}) { return addLine(table_, label, cells, tip); };
    auto pct = [](const Metrics& m, const char* k) {
        const QString key = QString::fromLatin1(k);
        return Cell{formatPercent(m.value(key, std::nan(""))), m.value(key, std::nan(""))};
    };
    auto num = [](long long n) { return Cell{formatCount(n), n >= 0 ? static_cast<double>(n) : std::nan("")}; };
    // The std under the mean: one line each keeps the columns narrow enough for the table to
    // fit beside the plots at 1024 px.
    auto meanStd = [](const Metrics& mean, const Metrics& sd, const char* k) {
        const QString key = QString::fromLatin1(k);
        return Cell{formatMeanStd(mean, sd, key).replace(QStringLiteral(" ± "), QStringLiteral("\n± ")), mean.value(key, std::nan(""))};
    };
    auto twoLines = [&](int row) { table_->setRowHeight(row, 2 * table_->fontMetrics().height() + 8); };
    auto bold = [&](int row) {
        for (int c = 0; c < kEvalColumns; ++c)
            if (auto* item = table_->item(row, c)) {
                QFont f = item->font();
                f.setBold(true);
                item->setFont(f);
            }
    };

    if (const auto& v = r.verification) {
        header({QStringLiteral("Verification"), QStringLiteral("AUC"), QStringLiteral("VAL@FAR=0.1%"), QStringLiteral("VAL@FAR=1%"),
                QStringLiteral("Accuracy"), QStringLiteral("EER"), QStringLiteral("Pairs")});
        for (const auto& f : v->folds) {
            const QString tip = QStringLiteral("%1 genuine, %2 impostor pairs; accuracy at threshold %3 (chosen on %4)")
                                    .arg(formatCount(f.positives), formatCount(f.negatives))
                                    .arg(f.metrics.value(QStringLiteral("threshold"), std::nan("")), 0, 'f', 4)
                                    .arg(f.thresholdFrom.isEmpty() ? QStringLiteral("?") : f.thresholdFrom);
            line(QStringLiteral("fold ") + f.fold,
                 {pct(f.metrics, "auc"), pct(f.metrics, "val_far_0.1%"), pct(f.metrics, "val_far_1%"), pct(f.metrics, "accuracy"),
                  pct(f.metrics, "eer"), num(f.pairs)},
                 tip);
        }
        long long pairs = 0;
        for (const auto& f : v->folds) pairs += std::max(0LL, f.pairs);
        const int meanRow =
            line(QStringLiteral("mean ± std"),
                 {meanStd(v->mean, v->stdev, "auc"), meanStd(v->mean, v->stdev, "val_far_0.1%"), meanStd(v->mean, v->stdev, "val_far_1%"),
                  meanStd(v->mean, v->stdev, "accuracy"), meanStd(v->mean, v->stdev, "eer"), num(pairs)},
                 QStringLiteral("mean ± standard deviation over the %1 folds, in percent").arg(v->folds.size()));
        bold(meanRow);
        twoLines(meanRow);
        line(QStringLiteral("pooled"),
             {pct(v->pooled, "auc"), pct(v->pooled, "val_far_0.1%"), pct(v->pooled, "val_far_1%"), Cell{QStringLiteral("–")}, pct(v->pooled, "eer"),
              num(v->pooledPairs)},
             QStringLiteral("all folds' pairs scored together (the ROC and histograms show these)"));
    }
    if (const auto& id = r.identification) {
        header({QStringLiteral("Identification %1").arg(id->direction), QStringLiteral("Rank-1"), QStringLiteral("Rank-5"), QStringLiteral("Rank-10"),
                QStringLiteral("Probes"), QStringLiteral("Gallery"), QStringLiteral("No mate")});
        for (const auto& f : id->folds)
            line(
                QStringLiteral("fold ") + f.fold,
                {pct(f.metrics, "rank1"), pct(f.metrics, "rank5"), pct(f.metrics, "rank10"), num(f.probes), num(f.gallery), num(f.probesWithoutMate)},
                QStringLiteral("probes without a gallery image of their identity count as misses"));
        const int meanRow =
            line(QStringLiteral("mean ± std"),
                 {meanStd(id->mean, id->stdev, "rank1"), meanStd(id->mean, id->stdev, "rank5"), meanStd(id->mean, id->stdev, "rank10")},
                 QStringLiteral("mean ± standard deviation over the %1 fold(s), in percent").arg(id->folds.size()));
        bold(meanRow);
        twoLines(meanRow);
    }
    if (const auto& c = r.classification) {
        header({QStringLiteral("Softmax classification"), QStringLiteral("Accuracy"), QStringLiteral("Images")});
        line(QStringLiteral("caricature branch"), {Cell{formatPercent(c->caricatureAcc), c->caricatureAcc}, num(c->caricatures)},
             QStringLiteral("the caricature identification branch on the protocol's caricatures"));
        line(QStringLiteral("visual branch"), {Cell{formatPercent(c->visualAcc), c->visualAcc}, num(c->photos)},
             QStringLiteral("the visual identification branch on the protocol's photos"));
        if (c->listedIdentities > 0) {
            const QString among =
                QStringLiteral("softmax over the %1 identities the list holds only, as the official code's %1-class heads").arg(c->listedIdentities);
            line(QStringLiteral("caricature, listed"), {Cell{formatPercent(c->caricatureAccListed), c->caricatureAccListed}, num(c->caricatures)},
                 among);
            line(QStringLiteral("visual, listed"), {Cell{formatPercent(c->visualAccListed), c->visualAccListed}, num(c->photos)}, among);
        }
        if (c->unknownIdentities > 0)
            line(QStringLiteral("not scored"), {Cell{QStringLiteral("–")}, num(c->unknownIdentities)},
                 QStringLiteral("images of identities the run was not trained on"));
    }
    if (table_->rowCount() == 0) line(QStringLiteral("This result holds no metrics."), {});
    table_->resizeColumnsToContents();
}

void EvalView::fitTable()
{
    // The table gets the room its cells need, up to about 60% of a wide view: splitters left to
    // their defaults squeeze it to two columns. Once the user drags a splitter, it is theirs.
    if (width() < 200 || height() < 200) return;
    if (!widthMoved_) {
        int w = 2 * table_->frameWidth() + table_->verticalScrollBar()->sizeHint().width() + 4;
        for (int c = 0; c < table_->columnCount(); ++c) w += table_->columnWidth(c);
        // Our width less the layout's margins: what the splitter will get (setSizes scales sizes
        // that add up to more). Plots stay readable at about 330 px, so a narrow window gives the
        // table the rest.
        const QMargins m = layout() ? layout()->contentsMargins() : QMargins();
        const int avail = width() - m.left() - m.right();
        w = std::min(w, std::max(static_cast<int>(avail * 0.62), avail - 330));
        split_->setSizes({w, std::max(1, avail - w - split_->handleWidth())});
    }
    if (!heightMoved_) {
        int h = 2 * table_->frameWidth() + table_->horizontalScrollBar()->sizeHint().height() + 4;
        for (int r = 0; r < table_->rowCount(); ++r) h += table_->rowHeight(r);
        h += issuesTitle_->sizeHint().height() + (issues_->isVisibleTo(this) ? issues_->maximumHeight() : 0) + 8;
        // Our own height, not the splitter's: in a resize event the children are not resized yet.
        const int total = height() - std::max(split_->y(), 30);
        h = std::min(h, static_cast<int>(total * 0.6));
        left_->setSizes({h, std::max(1, total - h - left_->handleWidth())});
    }
}

void EvalView::resizeEvent(QResizeEvent* event)
{
    QWidget::resizeEvent(event);
    if (hasResults()) fitTable();
}

void EvalView::fillIssues(const ProtocolResult& r)
{
    issues_->clear();
    if (r.skipped <= 0) {
        issuesTitle_->setText(QStringLiteral("No pair or probe skipped."));
        issues_->hide();
        return;
    }
    issuesTitle_->setText(QStringLiteral("%1 item(s) of the protocol skipped:").arg(r.skipped));
    issues_->addItems(r.issues);
    if (r.skipped > r.issues.size())
        issues_->addItem(QStringLiteral("… and %1 more (carilab-cli eval prints the first ones only)").arg(r.skipped - r.issues.size()));
    issues_->show();
}

void EvalView::drawRoc(const ProtocolResult& r)
{
    clearPlot(roc_);
    if (!r.verification || r.verification->roc.isEmpty()) {
        setTitle(roc_, QStringLiteral("ROC — no verification pairs in this protocol"));
        roc_->replot();
        return;
    }
    const auto& v = *r.verification;
    // A log axis cannot show FAR = 0: the axis starts at 1e-4, or lower when the data has
    // smaller FARs, and zero FARs sit at that left end (TAR there is a lower bound anyway).
    double minFar = 1.0;
    for (const auto& p : v.roc)
        if (p.x() > 0) minFar = std::min(minFar, p.x());
    const double lower = std::min(1e-4, std::pow(10.0, std::floor(std::log10(minFar))));
    QVector<double> far, tar;
    for (const auto& p : v.roc) {
        far << std::max(p.x(), lower);
        tar << p.y();
    }
    auto* g = roc_->addGraph();
    g->setData(far, tar, /*alreadySorted=*/true);
    g->setPen(QPen(kGenuine, 2));
    g->setName(QStringLiteral("pooled, AUC %1, EER %2")
                   .arg(formatPercent(v.pooled.value(QStringLiteral("auc"), std::nan(""))),
                        formatPercent(v.pooled.value(QStringLiteral("eer"), std::nan("")))));
    QVector<double> cx, cy;
    for (double x = lower; x <= 1.0 + 1e-12; x *= std::pow(10.0, 0.25)) {
        cx << x;
        cy << x;
    }
    auto* chance = roc_->addGraph();
    chance->setData(cx, cy, true);
    chance->setPen(QPen(kChance, 1, Qt::DashLine));
    chance->setName(QStringLiteral("chance"));
    roc_->xAxis->setRange(lower, 1.0);
    roc_->yAxis->setRange(0.0, 1.02);
    setTitle(roc_, QStringLiteral("ROC (%1 pairs)").arg(formatCount(v.pooledPairs)));
    roc_->replot();
}

void EvalView::drawCmc(const ProtocolResult& r)
{
    clearPlot(cmc_);
    if (!r.identification || r.identification->cmc.isEmpty()) {
        setTitle(cmc_, QStringLiteral("CMC — no identification in this protocol"));
        cmc_->replot();
        return;
    }
    const auto& id = *r.identification;
    QVector<double> rank, rate;
    for (int k = 0; k < id.cmc.size(); ++k)
        if (std::isfinite(id.cmc[k])) {
            rank << k + 1;
            rate << id.cmc[k];
        }
    auto* g = cmc_->addGraph();
    g->setData(rank, rate, true);
    g->setPen(QPen(kGenuine, 2));
    if (id.cmc.size() <= 60) g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, 4));
    g->setName(QStringLiteral("%1, Rank-1 %2, Rank-10 %3")
                   .arg(id.direction, formatPercent(id.mean.value(QStringLiteral("rank1"), std::nan(""))),
                        formatPercent(id.mean.value(QStringLiteral("rank10"), std::nan("")))));
    // Let the fixed ticker thin the labels out on long CMCs instead of printing every rank.
    auto ticker = cmc_->xAxis->ticker().dynamicCast<QCPAxisTickerFixed>();
    if (ticker) ticker->setTickStep(id.cmc.size() > 20 ? 5.0 : 1.0);
    cmc_->xAxis->setRange(0.5, id.cmc.size() + 0.5);
    cmc_->yAxis->setRange(0.0, 1.02);
    setTitle(cmc_, QStringLiteral("CMC (%1)").arg(id.direction));
    cmc_->replot();
}

void EvalView::drawHistogram(const ProtocolResult& r)
{
    clearPlot(histogram_);
    if (!r.verification || (r.verification->genuine.isEmpty() && r.verification->impostor.isEmpty())) {
        setTitle(histogram_, QStringLiteral("Scores — no verification pairs in this protocol"));
        histogram_->yAxis->setLabel(QString());
        histogram_->replot();
        return;
    }
    const auto& v = *r.verification;
    const int bins = static_cast<int>(std::max(v.genuine.size(), v.impostor.size()));
    const double width = (v.histMax - v.histMin) / bins;
    double ymax = 0;
    auto addBars = [&](const QVector<double>& counts, const QColor& color, const QString& what) {
        double total = 0;
        for (double c : counts) total += std::isfinite(c) ? c : 0;
        QVector<double> x, y;
        for (int i = 0; i < counts.size(); ++i) {
            x << v.histMin + (i + 0.5) * width;
            const double c = std::isfinite(counts[i]) ? counts[i] : 0;
            y << (normalized_ && total > 0 ? c / total : c);
            ymax = std::max(ymax, y.back());
        }
        auto* bars = new QCPBars(histogram_->xAxis, histogram_->yAxis);
        bars->setWidthType(QCPBars::wtPlotCoords);
        bars->setWidth(width);
        bars->setData(x, y, true);
        QColor fill = color;
        fill.setAlpha(110);  // both classes stay visible where they overlap
        bars->setBrush(fill);
        bars->setPen(QPen(color.darker(120), 0.8));
        bars->setName(QStringLiteral("%1 (%2 pairs)").arg(what).arg(static_cast<qlonglong>(total)));
    };
    addBars(v.genuine, kGenuine, QStringLiteral("genuine"));
    addBars(v.impostor, kImpostor, QStringLiteral("impostor"));
    // The mean decision threshold shows where the folds cut the two distributions; a graph
    // rather than an item so the legend names it instead of a label the bars may hide.
    const double top = ymax > 0 ? ymax * 1.15 : 1.0;
    if (const double t = v.mean.value(QStringLiteral("threshold"), std::nan("")); std::isfinite(t)) {
        auto* line = histogram_->addGraph();
        line->setData(QVector<double>{t, t}, QVector<double>{0.0, top}, true);
        line->setPen(QPen(QColor(60, 60, 60), 1.2, Qt::DashLine));
        line->setName(QStringLiteral("mean threshold %1").arg(t, 0, 'f', 3));
    }
    histogram_->xAxis->setRange(v.histMin - width, v.histMax + width);
    histogram_->yAxis->setRange(0.0, top);
    histogram_->yAxis->setLabel(normalized_ ? QStringLiteral("fraction of the class's pairs") : QStringLiteral("pairs"));
    setTitle(histogram_, QStringLiteral("Genuine vs impostor scores (pooled, %1 bins)").arg(bins));
    histogram_->replot();
}

void EvalView::setHistogramNormalized(bool on)
{
    normalized_ = on;
    if (normalize_->isChecked() != on) normalize_->setChecked(on);
    if (const auto* r = current(); r && hasResults()) drawHistogram(*r);
}

QCustomPlot* EvalView::plotNamed(const QString& which) const
{
    if (which == QLatin1String("roc")) return roc_;
    if (which == QLatin1String("cmc")) return cmc_;
    if (which == QLatin1String("histogram")) return histogram_;
    return nullptr;
}

bool EvalView::exportPlot(const QString& which, const QString& file, int width, int height, int dpi)
{
    lastError_.clear();
    QCustomPlot* plot = plotNamed(which);
    if (!plot) {
        lastError_ = which + QStringLiteral(": no such plot (roc, cmc or histogram)");
        return false;
    }
    if (!hasResults()) {
        lastError_ = QStringLiteral("no evaluation results to export");
        return false;
    }
    if (currentImages()) {
        lastError_ = QStringLiteral("the all-images evaluation keeps no curves to export");
        return false;
    }
    // A plot that was never shown has no useful size of its own.
    const int w = width > 0 ? width : plot->isVisible() ? plot->width() : 900;
    const int h = height > 0 ? height : plot->isVisible() ? plot->height() : 650;
    try {
        writePlotFile(plot, file, w, h, dpi, QStringLiteral("CariLab %1 — %2").arg(which, currentKey()));
    } catch (const std::exception& e) {
        lastError_ = QString::fromStdString(e.what());
        return false;
    }
    return true;
}

bool EvalView::exportTableCsv(const QString& file)
{
    lastError_.clear();
    const ProtocolResult* r = hasResults() ? current() : nullptr;
    if (!r) {
        lastError_ = QStringLiteral("no evaluation results to export");
        return false;
    }
    try {
        io::writeFileAtomic(file.toStdString(), resultsCsv(*r).toStdString());
    } catch (const std::exception& e) {
        lastError_ = QString::fromStdString(e.what());
        return false;
    }
    return true;
}

void EvalView::exportInteractively(const QString& which)
{
    if (!hasResults()) return;
    const bool csv = which == QLatin1String("csv");
    const QString base =
        QDir(runDir()).filePath(fileKey(currentKey()) + QLatin1Char('-') + (csv ? QStringLiteral("table.csv") : which + QStringLiteral(".png")));
    FigureExportDialog dialog(csv ? FigureExportDialog::Kind::Csv : FigureExportDialog::Kind::Figure,
                              csv ? QStringLiteral("Export table") : QStringLiteral("Export figure"), base, QSize(1000, 720), 200, this);
    if (dialog.exec() != QDialog::Accepted) return;
    const QSize size = dialog.pixelSize();
    const bool ok = csv ? exportTableCsv(dialog.path()) : exportPlot(which, dialog.path(), size.width(), size.height(), dialog.dpi());
    if (ok)
        announceExport(this, dialog);
    else
        QMessageBox::warning(this, QStringLiteral("Export"), lastError_);
}

}  // namespace carilab::widgets
