#include "embedding_map_view.h"

#include "elided_label.h"
#include "embedding_map_export.h"
#include "embedding_map_plot.h"
#include "export_dialog.h"

#include "run/checkpoint.h"
#include "run/embedding_map.h"
#include "run/model_selection.h"
#include "run/run_directory.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QMenu>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

namespace carilab::widgets {

namespace {

QString mapViewText(const std::string& s) { return QString::fromStdString(s); }

}  // namespace

EmbeddingMapView::EmbeddingMapView(QWidget* parent) : QWidget(parent), worker_(new EmbeddingMapWorker)
{
    worker_->moveToThread(&thread_);
    thread_.setObjectName(QStringLiteral("embedding map worker"));
    thread_.start(QThread::LowPriority);
    connect(worker_, &EmbeddingMapWorker::progress, this, &EmbeddingMapView::onProgress);
    connect(worker_, &EmbeddingMapWorker::finished, this, &EmbeddingMapView::onFinished);
    connect(worker_, &EmbeddingMapWorker::warning, this, [this](quint64 id, const QString& w) {
        if (id == jobId_) warnings_ += (warnings_.isEmpty() ? QString() : QStringLiteral("\n")) + w;
    });
    connect(worker_, &EmbeddingMapWorker::cancelled, this, [this](quint64 id) {
        if (id != jobId_) return;
        computing_ = false;
        setStatus(QStringLiteral("Cancelled; the map shown (if any) is the previous one."));
        updatePanel();
    });
    connect(worker_, &EmbeddingMapWorker::failed, this, [this](quint64 id, const QString& message) {
        if (id != jobId_) return;
        computing_ = false;
        setStatus(message, true);
        updatePanel();
        Q_EMIT computeFailed(message);
    });

    plot_ = new EmbeddingMapPlot;
    connect(plot_, &EmbeddingMapPlot::inspectRequested, this, [this](int p) { forwardPoint(p, false); });
    connect(plot_, &EmbeddingMapPlot::matchQueryRequested, this, [this](int p) { forwardPoint(p, true); });
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(buildPanel());
    layout->addWidget(plot_, 1);
    setRun(QString());
}

EmbeddingMapView::~EmbeddingMapView()
{
    worker_->cancel();
    thread_.quit();
    thread_.wait();
    delete worker_;
}

QWidget* EmbeddingMapView::buildPanel()
{
    auto* panel = new QWidget;
    auto* rows = new QVBoxLayout(panel);
    rows->setContentsMargins(0, 0, 0, 0);
    auto* top = new QHBoxLayout;
    model_ = new QComboBox;
    model_->addItems({QStringLiteral("Run selected in Runs"), QStringLiteral("Pretrained face-resnet (zero-shot)")});
    checkpoint_ = new QComboBox;
    checkpoint_->setToolTip(QStringLiteral("Which of the run's checkpoints embeds the images"));
    datasetLabel_ = new ElidedLabel;
    browse_ = new QPushButton(QStringLiteral("Dataset…"));
    ownDataset_ = new QPushButton(QStringLiteral("Run's own"));
    ownDataset_->setToolTip(QStringLiteral("Map the dataset the run trained on"));
    top->addWidget(new QLabel(QStringLiteral("Model")));
    top->addWidget(model_);
    top->addWidget(checkpoint_);
    top->addWidget(new QLabel(QStringLiteral("Dataset")));
    top->addWidget(datasetLabel_, 1);
    top->addWidget(browse_);
    top->addWidget(ownDataset_);
    rows->addLayout(top);
    rows->addWidget(buildOptionsRow());
    auto* bottom = new QHBoxLayout;
    progress_ = new QProgressBar;
    progress_->setMaximumWidth(220);
    status_ = new QLabel;
    status_->setWordWrap(true);
    status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    bottom->addWidget(progress_);
    bottom->addWidget(status_, 1);
    rows->addLayout(bottom);

    connect(model_, qOverload<int>(&QComboBox::currentIndexChanged), this, [this] { updatePanel(); });
    connect(browse_, &QPushButton::clicked, this, &EmbeddingMapView::browseDataset);
    connect(ownDataset_, &QPushButton::clicked, this, [this] { setDataset(QString()); });
    return panel;
}

QWidget* EmbeddingMapView::buildOptionsRow()
{
    auto* row = new QWidget;
    auto* h = new QHBoxLayout(row);
    h->setContentsMargins(0, 0, 0, 0);
    method_ = new QComboBox;
    method_->addItem(QStringLiteral("t-SNE"), QStringLiteral("tsne"));
    method_->addItem(QStringLiteral("PCA"), QStringLiteral("pca"));
    perplexity_ = new QDoubleSpinBox;
    perplexity_->setRange(2, 1000);
    perplexity_->setValue(30);
    perplexity_->setToolTip(QStringLiteral("t-SNE: effective neighbours per point"));
    seed_ = new QSpinBox;
    seed_->setRange(0, 1000000);
    seed_->setValue(1);
    seed_->setToolTip(QStringLiteral("Seed of the random sample and of t-SNE's initial layout"));
    maxPoints_ = new QSpinBox;
    maxPoints_->setRange(0, 10000000);
    maxPoints_->setSpecialValueText(QStringLiteral("all"));
    maxPoints_->setValue(run::kDefaultTsneMaxPoints);
    maxPoints_->setToolTip(QStringLiteral("Images mapped at most (a seeded random sample beyond): exact t-SNE is quadratic, "
                                          "3000 points take about half a minute on two cores"));
    lines_ = new QCheckBox(QStringLiteral("Centroid lines"));
    lines_->setToolTip(QStringLiteral("Join each caricature to the centroid of its identity's photos on the map"));
    compute_ = new QPushButton(QStringLiteral("Compute map"));
    cancel_ = new QPushButton(QStringLiteral("Cancel"));
    export_ = new QPushButton(QStringLiteral("Export…"));
    auto* menu = new QMenu(export_);
    menu->addAction(QStringLiteral("Figure (PNG, PDF, SVG)…"), this, [this] { exportInteractively(false); });
    menu->addAction(QStringLiteral("Points (CSV)…"), this, [this] { exportInteractively(true); });
    export_->setMenu(menu);
    for (QWidget* w :
         std::initializer_list<QWidget*>{new QLabel(QStringLiteral("Projection")), method_, new QLabel(QStringLiteral("Perplexity")), perplexity_,
                                         new QLabel(QStringLiteral("Seed")), seed_, new QLabel(QStringLiteral("Max points")), maxPoints_, lines_})
        h->addWidget(w);
    h->addStretch(1);
    h->addWidget(compute_);
    h->addWidget(cancel_);
    h->addWidget(export_);
    connect(method_, qOverload<int>(&QComboBox::currentIndexChanged), this, [this] { updatePanel(); });
    connect(lines_, &QCheckBox::toggled, this, [this](bool on) { plot_->setCentroidLines(on); });
    connect(compute_, &QPushButton::clicked, this, &EmbeddingMapView::compute);
    connect(cancel_, &QPushButton::clicked, this, &EmbeddingMapView::cancel);
    return row;
}

void EmbeddingMapView::setRun(const QString& runDir)
{
    runDir_ = runDir;
    checkpoint_->clear();
    checkpoint_->addItem(QStringLiteral("latest"), QStringLiteral("latest"));
    if (!runDir.isEmpty()) {
        try {
            const auto rd = run::RunDirectory::open(runDir.toStdString());
            if (!run::listCheckpoints(run::bestCheckpointDir(rd)).empty()) checkpoint_->addItem(QStringLiteral("best"), QStringLiteral("best"));
            const auto kept = run::listCheckpoints(rd.checkpointsDir());
            for (auto it = kept.rbegin(); it != kept.rend(); ++it)
                checkpoint_->addItem(QStringLiteral("step %1").arg(it->first), mapViewText(it->second));
        } catch (const std::exception&) {
            // Not a run (yet): compute() says why, with the core's message.
        }
    }
    updatePanel();
}

void EmbeddingMapView::setDataset(const QString& root, const QString& format)
{
    dataset_ = root;
    format_ = format.isEmpty() ? QStringLiteral("auto") : format;
    updatePanel();
}

void EmbeddingMapView::offerDataset(const QString& root, const QString& format)
{
    offered_ = root;
    offeredFormat_ = format.isEmpty() ? QStringLiteral("auto") : format;
    updatePanel();
}

void EmbeddingMapView::usePretrained(bool on) { model_->setCurrentIndex(on ? 1 : 0); }

QString EmbeddingMapView::status() const { return status_->text(); }

void EmbeddingMapView::updatePanel()
{
    const bool pretrained = model_->currentIndex() == 1;
    checkpoint_->setEnabled(!pretrained && !computing_);
    const QString shown = !dataset_.isEmpty() ? QDir::toNativeSeparators(dataset_)
        : pretrained && !offered_.isEmpty()   ? QDir::toNativeSeparators(offered_) + QStringLiteral(" (Datasets tab)")
        : pretrained                          ? QStringLiteral("choose a dataset")
                                              : QStringLiteral("the run's own");
    datasetLabel_->setText(shown);
    ownDataset_->setEnabled(!dataset_.isEmpty() && !computing_);
    perplexity_->setEnabled(method_->currentData().toString() == QLatin1String("tsne"));
    const bool canRun = pretrained ? !(dataset_.isEmpty() && offered_.isEmpty()) : !runDir_.isEmpty();
    compute_->setEnabled(canRun && !computing_);
    cancel_->setEnabled(computing_);
    export_->setEnabled(map() != nullptr);
    progress_->setVisible(computing_);
    // The hint follows the choices until a map, a progress line or an error takes its place.
    if (!computing_ && !map() && statusIsHint_) {
        setStatus(canRun ? QStringLiteral("Press Compute map.")
                         : QStringLiteral("Select a run in the Runs tab, or choose the pretrained model and a dataset."));
        statusIsHint_ = true;
    }
}

void EmbeddingMapView::setStatus(const QString& text, bool error)
{
    statusIsHint_ = false;
    status_->setText(text);
    status_->setStyleSheet(error ? QStringLiteral("color: #b00020;") : QString());
}

void EmbeddingMapView::compute()
{
    if (computing_) return;
    run::EmbeddingMapRequest r;
    const bool pretrained = model_->currentIndex() == 1;
    if (pretrained)
        r.pretrained = "face-resnet";
    else
        r.runDir = runDir_.toStdString();
    r.checkpoint = checkpoint_->currentData().toString().toStdString();
    const bool useOffered = pretrained && dataset_.isEmpty();
    r.dataset = (useOffered ? offered_ : dataset_).toStdString();
    r.format = (useOffered ? offeredFormat_ : format_).toStdString();
    r.method = method_->currentData().toString().toStdString();
    r.perplexity = perplexity_->value();
    r.seed = static_cast<std::uint64_t>(seed_->value());
    r.maxPoints = maxPoints_->value();
    computing_ = true;
    warnings_.clear();
    progress_->setRange(0, 0);  // busy until the first batch: the model and the dataset load first
    setStatus(QStringLiteral("Loading the model and the dataset…"));
    updatePanel();
    worker_->clearCancel();  // no map is being computed now, so no cancel is lost
    const quint64 id = ++jobId_;
    QMetaObject::invokeMethod(
        worker_, [w = worker_, id, r] { w->compute(id, r); }, Qt::QueuedConnection);
}

void EmbeddingMapView::cancel()
{
    if (!computing_) return;
    worker_->cancel();
    cancel_->setEnabled(false);
    setStatus(QStringLiteral("Cancelling after the current batch or iteration…"));
}

void EmbeddingMapView::onProgress(quint64 id, const QString& stage, int done, int total)
{
    if (id != jobId_ || total <= 0) return;
    progress_->setRange(0, total);
    progress_->setValue(done);
    setStatus(stage == QLatin1String("embedding")        ? QStringLiteral("Embedding images: %1 of %2").arg(done).arg(total)
                  : stage == QLatin1String("projecting") ? QStringLiteral("Projecting: %1 of %2").arg(done).arg(total)
                                                         : QStringLiteral("Loading…"));
}

void EmbeddingMapView::onFinished(quint64 id, const EmbeddingMapPtr& map)
{
    if (id != jobId_) return;
    computing_ = false;
    map_ = map;
    plot_->setMap(map);
    plot_->setCentroidLines(lines_->isChecked());
    progress_->setRange(0, 1);
    progress_->setValue(1);
    setStatus(mapViewText(run::describeMethod(*map)) + QStringLiteral(": ") + mapViewText(run::describeQuality(map->quality)) +
              QStringLiteral(" (embedding %1 s, projection %2 s)").arg(map->embedSeconds, 0, 'f', 1).arg(map->projectSeconds, 0, 'f', 1) +
              (warnings_.isEmpty() ? QString() : QStringLiteral("\n") + warnings_));
    updatePanel();
    Q_EMIT mapShown();
}

void EmbeddingMapView::browseDataset()
{
    const QString d = QFileDialog::getExistingDirectory(this, QStringLiteral("Dataset to map"), dataset_.isEmpty() ? offered_ : dataset_);
    if (!d.isEmpty()) setDataset(d);
}

bool EmbeddingMapView::exportTo(const QString& path, int width, int height, int dpi)
{
    lastError_.clear();
    const auto m = map();
    if (!m) {
        lastError_ = QStringLiteral("no map to export: compute one first");
        return false;
    }
    try {
        if (QFileInfo(path).suffix().toLower() == QLatin1String("csv"))
            exportEmbeddingMap(*m, path, 0, 0, 0, false);
        else
            plot_->exportImage(path, width, height, dpi);
    } catch (const std::exception& e) {
        lastError_ = mapViewText(e.what());
        return false;
    }
    return true;
}

void EmbeddingMapView::exportInteractively(bool csv)
{
    const auto m = map();
    if (!m) return;
    const QString base = QStringLiteral("embedding-map-%1.%2").arg(mapViewText(m->method), csv ? QStringLiteral("csv") : QStringLiteral("png"));
    FigureExportDialog dialog(csv ? FigureExportDialog::Kind::Csv : FigureExportDialog::Kind::Figure,
                              csv ? QStringLiteral("Export map points") : QStringLiteral("Export map"), base, QSize(1400, 1000), 200, this);
    if (dialog.exec() != QDialog::Accepted) return;
    if (exportTo(dialog.path(), dialog.pixelSize().width(), dialog.pixelSize().height(), dialog.dpi()))
        announceExport(this, dialog);
    else
        QMessageBox::warning(this, QStringLiteral("Export"), lastError_);
}

void EmbeddingMapView::forwardPoint(int point, bool asQuery)
{
    const auto m = map();
    if (!m || point < 0 || static_cast<size_t>(point) >= m->points.size()) return;
    const auto& p = m->points[static_cast<size_t>(point)];
    const QString identity = mapViewText(m->identities[static_cast<size_t>(p.identity)]);
    if (asQuery)
        Q_EMIT matchQueryRequested(mapViewText(p.absolutePath), identity, mapViewText(p.modality));
    else
        Q_EMIT inspectRequested(mapViewText(m->dataset), mapViewText(m->format), mapViewText(p.absolutePath), identity);
}

}  // namespace carilab::widgets
