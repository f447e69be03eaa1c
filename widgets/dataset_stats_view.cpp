#include "dataset_stats_view.h"

#include "elided_label.h"
#include "qcustomplot_include.h"

#include <QGridLayout>
#include <QHeaderView>
#include <QLabel>
#include <QListWidget>
#include <QScrollArea>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <climits>
#include <cmath>

namespace carilab::widgets {

namespace {

// The paper's colours: visual (photo) identification orange, caricature identification grey.
const QColor kPhoto(0xF2, 0x8E, 0x2B);
const QColor kCaricature(0x80, 0x80, 0x80);

struct Row {
    const char* key;
    const char* label;
};
const Row kRows[] = {{"format", "Format"},
                     {"identities", "Identities"},
                     {"identities_with_both", "With both modalities"},
                     {"images", "Images"},
                     {"photos", "Photos"},
                     {"caricatures", "Caricatures"},
                     {"with_landmarks", "With 5-point landmarks"},
                     {"with_face_box", "With a face box"},
                     {"photos_per_identity", "Photos per identity"},
                     {"caricatures_per_identity", "Caricatures per identity"},
                     {"protocols", "Protocol files"},
                     {"skipped", "Skipped files"},
                     {"warnings", "Warnings"},
                     {"root", "Folder"}};

QString number(const nlohmann::json& v)
{
    if (v.is_number_integer() || v.is_number_unsigned()) return QString::number(v.get<long long>());
    if (v.is_number()) return QString::number(v.get<double>(), 'f', 1);
    if (v.is_string()) return QString::fromStdString(v.get<std::string>());
    return QStringLiteral("—");
}

}  // namespace

DatasetStatsView::DatasetStatsView(QWidget* parent) : QWidget(parent)
{
    auto* grid = new QGridLayout;
    grid->setHorizontalSpacing(14);
    grid->setVerticalSpacing(3);
    int row = 0;
    for (const Row& r : kRows) {
        auto* name = new QLabel(QString::fromLatin1(r.label));
        name->setStyleSheet(QStringLiteral("color: #555555;"));
        // One line per row, elided in the middle (a path keeps its end) with the full text as
        // tooltip: a word-wrapped path has nowhere to break, and wrapped rows overlapped when
        // the panel was short (1024x700).
        auto* v = new ElidedLabel(QStringLiteral("—"), Qt::ElideMiddle);
        v->setTextInteractionFlags(Qt::TextSelectableByMouse);
        v->setObjectName(QString::fromLatin1(r.key));
        values_.insert(QString::fromLatin1(r.key), v);
        grid->addWidget(name, row, 0);
        grid->addWidget(v, row, 1);
        ++row;
    }
    grid->setColumnStretch(1, 1);
    auto* numbers = new QWidget;
    numbers->setLayout(grid);
    // The splitter never squeezes the numbers below one line per row (rows overlapped when it
    // shared out the room the folded tables gave back); the panel scrolls instead.
    numbers->setMinimumHeight(numbers->sizeHint().height());

    plot_ = new QCustomPlot;
    plot_->setMinimumHeight(180);
    plot_->xAxis->setLabel(QStringLiteral("images per identity"));
    plot_->yAxis->setLabel(QStringLiteral("identities"));
    plot_->plotLayout()->insertRow(0);
    plot_->plotLayout()->addElement(
        0, 0, new QCPTextElement(plot_, QStringLiteral("Images per identity"), QFont(font().family(), font().pointSize(), QFont::Bold)));
    // The legend in a row of its own under the axes, so it never hides a bar.
    plot_->legend->setVisible(true);
    plot_->axisRect()->insetLayout()->take(plot_->legend);
    plot_->axisRect()->insetLayout()->simplify();
    plot_->plotLayout()->addElement(2, 0, plot_->legend);
    plot_->plotLayout()->setRowStretchFactor(2, 0.001);
    plot_->legend->setFillOrder(QCPLegend::foColumnsFirst);
    plot_->legend->setBorderPen(Qt::NoPen);
    plot_->legend->setMargins(QMargins(0, 0, 0, 0));
    // Before a dataset opens, the plot says what will appear instead of showing empty axes.
    placeholder_ = new QCPItemText(plot_);
    placeholder_->setClipToAxisRect(false);
    placeholder_->position->setType(QCPItemPosition::ptViewportRatio);
    placeholder_->position->setCoords(0.5, 0.5);
    placeholder_->setText(QStringLiteral("Open a dataset to see how many\nphotos and caricatures each identity has"));
    placeholder_->setColor(QColor(0x77, 0x77, 0x77));

    skipped_ = new QTableWidget(0, 2);
    skipped_->setHorizontalHeaderLabels({QStringLiteral("File"), QStringLiteral("Reason")});
    skipped_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    skipped_->setSelectionBehavior(QAbstractItemView::SelectRows);
    skipped_->verticalHeader()->setVisible(false);
    skipped_->verticalHeader()->setDefaultSectionSize(skipped_->fontMetrics().height() + 6);
    skipped_->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Interactive);
    skipped_->horizontalHeader()->setStretchLastSection(true);
    skipped_->setWordWrap(false);
    skipped_->setTextElideMode(Qt::ElideMiddle);
    warnings_ = new QListWidget;
    warnings_->setWordWrap(true);
    skippedTitle_ = new QLabel;
    warningsTitle_ = new QLabel;

    auto titled = [](QLabel* title, QWidget* w) {
        auto* box = new QWidget;
        auto* l = new QVBoxLayout(box);
        l->setContentsMargins(0, 4, 0, 0);
        l->addWidget(title);
        l->addWidget(w);
        return box;
    };
    auto* split = new QSplitter(Qt::Vertical);
    split->addWidget(numbers);
    split->addWidget(plot_);
    skippedBox_ = titled(skippedTitle_, skipped_);
    warningsBox_ = titled(warningsTitle_, warnings_);
    split->addWidget(skippedBox_);
    split->addWidget(warningsBox_);
    split->setStretchFactor(1, 3);
    split->setStretchFactor(2, 1);
    split->setStretchFactor(3, 1);
    split->setChildrenCollapsible(false);
    // On a short screen (1024x700) the panel scrolls instead of making the window taller than
    // the screen (its content needs about 600 px).
    auto* scroll = new QScrollArea;
    scroll->setWidget(split);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(scroll);
    clear();
}

void DatasetStatsView::setValue(const QString& key, const QString& text, const QString& tip)
{
    if (ElidedLabel* l = values_.value(key)) {
        l->setFullText(text);
        l->setExtraToolTip(tip);
    }
}

bool DatasetStatsView::showsPlaceholder() const { return placeholder_->visible(); }

QString DatasetStatsView::value(const QString& key) const
{
    const ElidedLabel* l = values_.value(key);
    return l ? l->fullText() : QString();
}

void DatasetStatsView::clear()
{
    for (ElidedLabel* l : std::as_const(values_)) l->setFullText(QStringLiteral("—"));
    skipped_->setRowCount(0);
    warnings_->clear();
    // Nothing to list yet: the titles alone, so the histogram keeps the room.
    skippedTitle_->setText(QStringLiteral("<b>Skipped files</b>: —"));
    warningsTitle_->setText(QStringLiteral("<b>Warnings</b>: —"));
    for (QWidget* w : {static_cast<QWidget*>(skipped_), static_cast<QWidget*>(warnings_)}) w->hide();
    skippedBox_->setMaximumHeight(skippedTitle_->sizeHint().height() + 6);
    warningsBox_->setMaximumHeight(warningsTitle_->sizeHint().height() + 6);
    bins_ = {};
    plot_->clearPlottables();
    showPlotAxes(false);
    plot_->replot();
}

void DatasetStatsView::showPlotAxes(bool on)
{
    plot_->xAxis->setVisible(on);
    plot_->yAxis->setVisible(on);
    plot_->legend->setVisible(on);
    placeholder_->setVisible(!on);
}

void DatasetStatsView::setSummary(const nlohmann::json& s, const std::vector<std::array<int, 2>>& counts)
{
    for (const char* k :
         {"root", "format", "identities", "identities_with_both", "images", "photos", "caricatures", "with_landmarks", "with_face_box"})
        setValue(QString::fromLatin1(k), number(s.value(k, nlohmann::json())));
    const QString protocols = QString::fromStdString(s.value("protocols", std::string()));
    setValue(QStringLiteral("protocols"), protocols.isEmpty() ? QStringLiteral("none") : protocols);
    for (const char* m : {"photo", "caricature"}) {
        const auto& p = s["per_identity"][m];
        setValue(QString::fromLatin1(m) + QStringLiteral("s_per_identity"),
                 QStringLiteral("%1 – %2, mean %3").arg(number(p["min"]), number(p["max"]), number(p["mean"])));
    }
    const auto& skipped = s["skipped"];
    const auto& warnings = s["warnings"];
    setValue(QStringLiteral("skipped"), QString::number(skipped.size()));
    setValue(QStringLiteral("warnings"), QString::number(warnings.size()));

    skipped_->setSortingEnabled(false);
    // A folder of thousands of non-images need not become thousands of rows; the count says all.
    constexpr int kMaxRows = 5000;
    const int shown = std::min(static_cast<int>(skipped.size()), kMaxRows);
    skipped_->setRowCount(shown + (shown < static_cast<int>(skipped.size()) ? 1 : 0));
    if (shown < static_cast<int>(skipped.size())) {
        skipped_->setItem(shown, 0, new QTableWidgetItem(QStringLiteral("… %1 more").arg(skipped.size() - static_cast<size_t>(shown))));
        skipped_->setItem(shown, 1, new QTableWidgetItem(QStringLiteral("carilab-cli dataset info --json lists every one")));
    }
    for (int i = 0; i < shown; ++i) {
        const QString path = QString::fromStdString(skipped[static_cast<size_t>(i)]["path"].get<std::string>());
        const QString reason = QString::fromStdString(skipped[static_cast<size_t>(i)]["reason"].get<std::string>());
        auto* a = new QTableWidgetItem(path);
        a->setToolTip(path);
        auto* b = new QTableWidgetItem(reason);
        b->setToolTip(reason);
        skipped_->setItem(i, 0, a);
        skipped_->setItem(i, 1, b);
    }
    skipped_->setSortingEnabled(shown == static_cast<int>(skipped.size()));
    skipped_->resizeColumnToContents(0);
    skipped_->setColumnWidth(0, std::min(skipped_->columnWidth(0), 320));
    skippedTitle_->setText(skipped.empty() ? QStringLiteral("<b>Skipped files</b>: none")
                                           : QStringLiteral("<b>Skipped files (%1)</b>").arg(skipped.size()));
    skipped_->setVisible(!skipped.empty());
    skippedBox_->setMaximumHeight(skipped.empty() ? skippedTitle_->sizeHint().height() + 6 : QWIDGETSIZE_MAX);
    warnings_->clear();
    for (const auto& w : warnings) warnings_->addItem(QString::fromStdString(w.get<std::string>()));
    warningsTitle_->setText(warnings.empty() ? QStringLiteral("<b>Warnings</b>: none") : QStringLiteral("<b>Warnings (%1)</b>").arg(warnings.size()));
    warnings_->setVisible(!warnings.empty());
    warningsBox_->setMaximumHeight(warnings.empty() ? warningsTitle_->sizeHint().height() + 6 : QWIDGETSIZE_MAX);
    drawHistogram(counts);
}

void DatasetStatsView::drawHistogram(const std::vector<std::array<int, 2>>& counts)
{
    plot_->clearPlottables();
    showPlotAxes(true);
    int maxCount = 0, minCount = counts.empty() ? 0 : INT_MAX;
    for (const auto& c : counts) {
        maxCount = std::max({maxCount, c[0], c[1]});
        minCount = std::min({minCount, c[0], c[1]});
    }
    // Whole-image bins while they fit, else about 30 bins.
    binWidth_ = maxCount <= 40 ? 1 : static_cast<int>(std::ceil((maxCount + 1) / 30.0));
    const int nBins = maxCount / binWidth_ + 1;
    for (auto& b : bins_) b = QVector<double>(nBins, 0.0);
    for (const auto& c : counts)
        for (int m = 0; m < 2; ++m) bins_[static_cast<size_t>(m)][c[static_cast<size_t>(m)] / binWidth_] += 1.0;

    auto* group = new QCPBarsGroup(plot_);
    group->setSpacingType(QCPBarsGroup::stAbsolute);
    group->setSpacing(1);
    double top = 0;
    for (int m = 0; m < 2; ++m) {
        QVector<double> x(nBins), y = bins_[static_cast<size_t>(m)];
        for (int b = 0; b < nBins; ++b) {
            x[b] = b * binWidth_ + (binWidth_ - 1) / 2.0;
            top = std::max(top, y[b]);
        }
        auto* bars = new QCPBars(plot_->xAxis, plot_->yAxis);
        bars->setWidthType(QCPBars::wtPlotCoords);
        bars->setWidth(binWidth_ * 0.42);
        bars->setData(x, y, true);
        const QColor c = m == 0 ? kPhoto : kCaricature;
        bars->setBrush(c);
        bars->setPen(QPen(c.darker(125), 0.8));
        bars->setName(m == 0 ? QStringLiteral("photos") : QStringLiteral("caricatures"));
        bars->setBarsGroup(group);
    }
    // Counts are whole numbers: ticks on integers (multiples of the bin width on x).
    auto ticker = [](double step) {
        QSharedPointer<QCPAxisTickerFixed> t(new QCPAxisTickerFixed);
        t->setTickStep(step);
        t->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
        return t;
    };
    plot_->xAxis->setTicker(ticker(binWidth_));
    plot_->yAxis->setTicker(ticker(1.0));
    // From 0 unless every identity has many images (CariSynth's 20 + 20: one bin at 20).
    const int firstBin = minCount / binWidth_ > 5 ? minCount / binWidth_ - 1 : 0;
    plot_->xAxis->setRange(firstBin * binWidth_ - binWidth_ * 0.8, nBins * binWidth_ - binWidth_ * 0.2);
    plot_->yAxis->setRange(0, top > 0 ? top * 1.15 : 1.0);
    plot_->xAxis->setLabel(binWidth_ == 1 ? QStringLiteral("images per identity")
                                          : QStringLiteral("images per identity (bins of %1)").arg(binWidth_));
    plot_->replot();
}

}  // namespace carilab::widgets
