#include "train_view.h"

#include "run/presets.h"
#include "run/run_directory.h"
#include "run/trainer.h"

#include "training_controller.h"
#include "training_plots.h"

#include "data/carisynth.h"
#include "io/user_paths.h"
#include "nn/backbone.h"
#include "nn/inference_precision.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QDoubleSpinBox>
#include <QFile>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QSettings>
#include <QShowEvent>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QSplitter>
#include <QThread>
#include <QTimer>

#include <QVBoxLayout>
#include <algorithm>

#include <cmath>

namespace carilab::widgets {

namespace {

const QString kDemoEntry = QStringLiteral("Demo (CariSynth)");

QSpinBox* makeProcessesBox()
{
    auto* box = new QSpinBox;
    box->setObjectName(QStringLiteral("processes"));
    box->setRange(1, 64);
    box->setToolTip(QStringLiteral("Data-parallel ranks on this machine (carilab-cli train --nproc-per-node): each a process of its own, "
                                   "talking Gloo over loopback; the batch is split across them and the cores shared out. 1: train in this "
                                   "window's process. More than 1 has no pause; Stop still ends at a step with a checkpoint."));
    return box;
}

QCheckBox* makeSyncBnBox()
{
    auto* box = new QCheckBox(QStringLiteral("Sync batch norm"));
    box->setObjectName(QStringLiteral("syncBn"));
    box->setToolTip(QStringLiteral("With several processes: batch norm normalises by the statistics of every process's images together "
                                   "(train --sync-bn) instead of each process's share of the batch; worth it when a share is a handful "
                                   "of images. Costs two small all-reduces per layer and step."));
    return box;
}

// strategy-backbone-time; a second run started within the same second gets "-2", "-3"... (the
// trainer refuses a folder that holds a run, and a user's name is never changed behind their back).
QString automaticRunDir(const QString& runsDir, const nlohmann::json& config)
{
    const auto& s = config["strategy"];
    const QString base = QStringLiteral("%1-%2-%3")
                             .arg(QString::fromStdString(s.is_object() ? s.value("name", std::string("run")) : std::string("run"))
                                      .replace(QLatin1Char(':'), QLatin1Char('_'))
                                      .replace(QLatin1Char(','), QLatin1Char('_')),
                                  QString::fromStdString(config.value("backbone", std::string("tiny"))),
                                  QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss")));
    QString dir = QDir(runsDir).filePath(base);
    for (int n = 2; QFileInfo::exists(dir); ++n) dir = QDir(runsDir).filePath(base + QStringLiteral("-%1").arg(n));
    return dir;
}

QString formatEta(double s)
{
    if (!(s >= 0) || s > 1e7) return QStringLiteral("--:--");
    const long t = static_cast<long>(s);
    return t >= 3600 ? QStringLiteral("%1:%2:%3").arg(t / 3600).arg(t / 60 % 60, 2, 10, QLatin1Char('0')).arg(t % 60, 2, 10, QLatin1Char('0'))
                     : QStringLiteral("%1:%2").arg(t / 60, 2, 10, QLatin1Char('0')).arg(t % 60, 2, 10, QLatin1Char('0'));
}

}  // namespace

TrainView::TrainView(QWidget* parent)
    : QWidget(parent), controller_(new TrainingController(this)), plots_(new TrainingPlots(this)),
      runsDir_(QString::fromStdString(io::defaultRunsDir())), demoDir_(QString::fromStdString(io::defaultDemoDatasetDir()))
{
    auto* splitter = new QSplitter(Qt::Horizontal, this);
    // The form scrolls; Start/Pause/Stop and the progress stay in sight under it, whatever the
    // window's height. The column is as wide as the form needs: no sideways scrolling.
    auto* form = new QWidget;
    buildForm(form);
    auto* scroll = new QScrollArea;
    scroll->setWidget(form);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    scroll->setMinimumWidth(form->minimumSizeHint().width() + scroll->verticalScrollBar()->sizeHint().width());
    auto* left = new QWidget;
    auto* leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    leftLayout->addWidget(scroll, 1);
    auto* controls = new QWidget;
    buildControls(controls);
    leftLayout->addWidget(controls);
    splitter->addWidget(left);

    auto* right = new QWidget;
    auto* rl = new QVBoxLayout(right);
    auto* toolbar = new QHBoxLayout;
    xAxis_ = new QComboBox;
    xAxis_->addItems({QStringLiteral("step"), QStringLiteral("epoch"), QStringLiteral("wall time")});
    smoothing_ = new QDoubleSpinBox;
    smoothing_->setRange(0, 0.99);
    smoothing_->setSingleStep(0.05);
    smoothing_->setValue(0.6);
    logY_ = new QCheckBox(QStringLiteral("log-scale losses"));
    auto* fit = new QPushButton(QStringLiteral("Fit all"));
    toolbar->addWidget(new QLabel(QStringLiteral("x axis")));
    toolbar->addWidget(xAxis_);
    toolbar->addWidget(new QLabel(QStringLiteral("smoothing")));
    toolbar->addWidget(smoothing_);
    toolbar->addWidget(logY_);
    toolbar->addWidget(plots_->makeShowButton(right));
    toolbar->addStretch();
    toolbar->addWidget(fit);
    rl->addLayout(toolbar);
    rl->addWidget(plots_, 1);
    log_ = new QPlainTextEdit;
    log_->setReadOnly(true);
    log_->setMaximumBlockCount(5000);
    log_->setMaximumHeight(120);
    rl->addWidget(log_);
    splitter->addWidget(right);
    splitter->setStretchFactor(1, 1);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(splitter);

    plots_->setRuns({&controller_->curves()});
    connect(xAxis_, qOverload<int>(&QComboBox::currentIndexChanged), this, [this](int i) { plots_->setXAxis(static_cast<TrainingPlots::XAxis>(i)); });
    connect(smoothing_, qOverload<double>(&QDoubleSpinBox::valueChanged), plots_, &TrainingPlots::setSmoothing);
    connect(logY_, &QCheckBox::toggled, plots_, &TrainingPlots::setLogLoss);
    connect(fit, &QPushButton::clicked, plots_, &TrainingPlots::fitAll);

    // Live replots are coalesced to a few per second: every replot steals CPU from LibTorch's
    // threads (which stall together at each parallel region), and the curves move little in
    // 300 ms. Hover, zoom and pan still replot at once.
    replotTimer_ = new QTimer(this);
    replotTimer_->setInterval(kLiveReplotMs);
    replotTimer_->setSingleShot(true);
    connect(replotTimer_, &QTimer::timeout, this, [this] { flushLiveUpdates(); });
    connect(controller_, &TrainingController::curvesChanged, this, [this] {
        plotsDirty_ = true;
        if (!replotTimer_->isActive()) replotTimer_->start();
    });
    // The progress bar repaints with the plots, not on every step (each repaint is CPU the
    // trainer's threads would otherwise have).
    connect(controller_, &TrainingController::progress, this, [this](long long step, long long total, double ips, double eta) {
        pendingProgress_ = QStringLiteral("step %1 / %2 — %3 img/s — ETA %4").arg(step).arg(total).arg(ips, 0, 'f', 0).arg(formatEta(eta));
        pendingStep_ = step;
        pendingTotal_ = total;
        if (!replotTimer_->isActive()) replotTimer_->start();
    });
    connect(controller_, &TrainingController::logLine, this, &TrainView::appendLog);
    connect(controller_, &TrainingController::started, this, [this](const QString& dir, long long) {
        status_->setText(QStringLiteral("running — ") + dir);
        Q_EMIT runStarted(dir);
    });
    connect(controller_, &TrainingController::stateChanged, this, [this](const QString& s) {
        pause_->setText(s == QLatin1String("paused") ? QStringLiteral("Resume") : QStringLiteral("Pause"));
        status_->setText(s + QStringLiteral(" — ") + controller_->runDir());
        // Images/s and the ETA mean nothing while nothing trains; the log says when it stopped.
        if (s == QLatin1String("paused") || s == QLatin1String("stopping")) {
            showStoppedProgress(s);
            appendLog(QStringLiteral("%1 at step %2").arg(s).arg(controller_->step()));
        } else if (s == QLatin1String("running") && lastState_ == QLatin1String("paused")) {
            appendLog(QStringLiteral("resumed at step %1").arg(controller_->step()));
        }
        lastState_ = s;
    });
    connect(controller_, &TrainingController::finished, this, [this](const QString& state) {
        replotTimer_->stop();
        flushLiveUpdates();
        replotTimer_->stop();
        showStoppedProgress(state);
        plotsDirty_ = false;
        setRunning(false);
        status_->setText(state + QStringLiteral(" — ") + controller_->runDir());
        plots_->refresh();
        plots_->fitAll();
        Q_EMIT runEnded(controller_->runDir(), state);
    });
    connect(controller_, &TrainingController::failed, this, [this](const QString& message) {
        setRunning(false);
        status_->setText(QStringLiteral("failed — ") + message);
        Q_EMIT runEnded(controller_->runDir(), QStringLiteral("failed"));
    });
    setRunning(false);
    restoreSettings();
}

TrainView::~TrainView() { saveSettings(); }

void TrainView::buildForm(QWidget* host)
{
    auto* v = new QVBoxLayout(host);
    auto* dataBox = new QGroupBox(QStringLiteral("Data"));
    auto* df = new QFormLayout(dataBox);
    preset_ = new QComboBox;
    preset_->setObjectName(QStringLiteral("preset"));
    preset_->addItem(QStringLiteral("(custom)"));
    preset_->addItems(presetNames());
    dataset_ = new QComboBox;
    dataset_->setEditable(true);
    dataset_->addItem(kDemoEntry);
    dataset_->setToolTip(QStringLiteral("A dataset folder, or the built-in CariSynth demo (generated on first use)"));
    auto* browse = new QPushButton(QStringLiteral("…"));
    browse->setMaximumWidth(32);
    auto* dsRow = new QHBoxLayout;
    dsRow->addWidget(dataset_, 1);
    dsRow->addWidget(browse);
    df->addRow(QStringLiteral("Preset"), preset_);
    df->addRow(QStringLiteral("Dataset"), dsRow);
    format_ = new QComboBox;
    format_->addItems({QStringLiteral("auto"), QStringLiteral("folder"), QStringLiteral("cavi"), QStringLiteral("webcaricature")});
    format_->setToolTip(QStringLiteral("The dataset's layout; auto detects CaVI, WebCaricature and the generic folder layout"));
    df->addRow(QStringLiteral("Format"), format_);
    split_ = new QComboBox;
    split_->addItems({QStringLiteral("auto"), QStringLiteral("image"), QStringLiteral("identity"), QStringLiteral("protocol"),
                      QStringLiteral("official"), QStringLiteral("refit")});
    split_->setToolTip(QStringLiteral("auto: the dataset's protocol split (CaVI: every image not in testing_1.txt; WebCaricature: "
                                      "RestrictedView1 DevTrain/DevTest), else an image-level split; official: the official CaVI code's "
                                      "split; refit: CaVI's protocol split with validation's images trained on and nothing held out "
                                      "(retraining a recipe chosen on validation)"));
    df->addRow(QStringLiteral("Split"), split_);
    faceCrop_ = new QComboBox;
    faceCrop_->addItems({QStringLiteral("auto"), QStringLiteral("align"), QStringLiteral("box"), QStringLiteral("face-api")});
    faceCrop_->setToolTip(QStringLiteral("auto: the backbone's own (face-api for face-resnet, else align); align: 5-point similarity "
                                         "alignment from the landmarks; box: the official WebCaricature crop (landmark box, width x1.5, "
                                         "height x1.2); face-api: face-api's aligned face box from `dataset align`, padded to a square"));
    df->addRow(QStringLiteral("Face crop"), faceCrop_);
    runName_ = new QLineEdit;
    runName_->setPlaceholderText(QStringLiteral("automatic"));
    df->addRow(QStringLiteral("Run name"), runName_);
    v->addWidget(dataBox);

    auto* model = new QGroupBox(QStringLiteral("Model and weighting"));
    auto* mf = new QFormLayout(model);
    backbone_ = new QComboBox;
    for (const auto& name : nn::backboneNames()) backbone_->addItem(QString::fromStdString(name));
    backbone_->setToolTip(QStringLiteral("face-resnet starts from the pretrained face network (fetch it with carilab-cli pretrained fetch)"));
    strategy_ = new QComboBox;
    strategy_->setEditable(true);
    strategy_->addItems({QStringLiteral("dynamic"), QStringLiteral("naive"), QStringLiteral("equal"), QStringLiteral("static:0.55,0.15,0.30"),
                         QStringLiteral("single:verification"), QStringLiteral("single:caricature"), QStringLiteral("single:visual"),
                         QStringLiteral("uncertainty"), QStringLiteral("gradnorm"), QStringLiteral("dwa")});
    strategy_->setToolTip(
        QStringLiteral("static:a,b,c weighs verification, caricature id, visual id (0.55,0.15,0.30: the official code's fixed weights)"));
    temperature_ = new QDoubleSpinBox;
    temperature_->setRange(0.05, 20);
    temperature_->setValue(1.0);
    temperature_->setToolTip(QStringLiteral("Scale of the L2-normalised weight logits (official: 1 CaVI, 2 WebCaricature, 0.5 naive)"));
    normalizeLogits_ = new QCheckBox(QStringLiteral("L2-normalise weight logits"));
    normalizeLogits_->setChecked(true);
    detachWeights_ = new QCheckBox(QStringLiteral("w constant for θ (paper)"));
    detachWeights_->setChecked(true);
    psiLrMultiplier_ = new QDoubleSpinBox;
    psiLrMultiplier_->setRange(0.01, 100);
    psiLrMultiplier_->setValue(1.0);
    mf->addRow(QStringLiteral("Backbone"), backbone_);
    mf->addRow(QStringLiteral("Strategy"), strategy_);
    mf->addRow(QStringLiteral("Temperature"), temperature_);
    mf->addRow(QString(), normalizeLogits_);
    mf->addRow(QString(), detachWeights_);
    mf->addRow(QStringLiteral("ψ lr ×"), psiLrMultiplier_);
    v->addWidget(model);

    auto* opt = new QGroupBox(QStringLiteral("Optimisation"));
    auto* of = new QFormLayout(opt);
    optimizer_ = new QComboBox;
    optimizer_->addItems({QStringLiteral("rmsprop"), QStringLiteral("adam"), QStringLiteral("sgd")});
    lr_ = new QDoubleSpinBox;
    lr_->setDecimals(5);
    lr_->setRange(1e-5, 10);
    lr_->setValue(0.1);
    batch_ = new QSpinBox;
    batch_->setObjectName(QStringLiteral("batch"));
    batch_->setRange(2, 1024);
    batch_->setValue(64);
    steps_ = new QSpinBox;
    steps_->setRange(1, 10'000'000);
    steps_->setValue(400);
    device_ = new QComboBox;
    device_->addItems({QStringLiteral("cpu"), QStringLiteral("cuda")});
    precision_ = new QComboBox;
    precision_->setObjectName(QStringLiteral("precision"));
    precision_->addItems({QStringLiteral("fp32"), QStringLiteral("bf16"), QStringLiteral("fp16")});
    precision_->setToolTip(QStringLiteral("Arithmetic of the network's convolutions and linear layers (--precision). bf16: on CPUs with "
                                          "AMX or AVX-512 BF16, or CUDA; fp16: CUDA only, with a loss scaler. Losses, weights and "
                                          "the optimiser stay fp32."));
    connect(device_, &QComboBox::currentTextChanged, this, [this] { enablePrecisions(); });
    enablePrecisions();
    threads_ = new QSpinBox;
    threads_->setRange(0, 256);
    // 0 keeps the process's count (carilab --threads, else all cores) rather than overriding it.
    threads_->setSpecialValueText(QStringLiteral("as launched (%1)").arg(run::Trainer::configuredThreads()));
    seed_ = new QSpinBox;
    seed_->setRange(0, INT_MAX);
    seed_->setValue(1);
    of->addRow(QStringLiteral("Optimiser"), optimizer_);
    of->addRow(QStringLiteral("Learning rate"), lr_);
    of->addRow(QStringLiteral("Batch"), batch_);
    of->addRow(QStringLiteral("Steps"), steps_);
    of->addRow(QStringLiteral("Device"), device_);
    of->addRow(QStringLiteral("Precision"), precision_);
    of->addRow(QStringLiteral("Threads"), threads_);
    processes_ = makeProcessesBox();
    of->addRow(QStringLiteral("Processes"), processes_);
    syncBn_ = makeSyncBnBox();
    of->addRow(QString(), syncBn_);
    const auto enableSyncBn = [this] { syncBn_->setEnabled(processes_->value() > 1); };
    connect(processes_, &QSpinBox::valueChanged, this, enableSyncBn);
    enableSyncBn();
    of->addRow(QStringLiteral("Seed"), seed_);
    v->addWidget(opt);
    v->addStretch();

    connect(preset_, &QComboBox::textActivated, this, &TrainView::applyPreset);
    // The preset box follows the form: a preset edited afterwards shows "(custom)", and a form
    // set by hand to a preset's values shows that preset.
    const auto sync = [this] { syncPresetBox(); };
    for (auto* box : host->findChildren<QComboBox*>())
        if (box != preset_) connect(box, &QComboBox::currentTextChanged, this, sync);
    for (auto* spin : host->findChildren<QSpinBox*>()) connect(spin, &QSpinBox::valueChanged, this, sync);
    for (auto* spin : host->findChildren<QDoubleSpinBox*>()) connect(spin, &QDoubleSpinBox::valueChanged, this, sync);
    for (auto* check : host->findChildren<QCheckBox*>()) connect(check, &QCheckBox::toggled, this, sync);
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, QStringLiteral("Dataset folder"));
        if (!dir.isEmpty()) dataset_->setCurrentText(dir);
    });
}

void TrainView::buildControls(QWidget* host)
{
    auto* v = new QVBoxLayout(host);
    auto* buttons = new QHBoxLayout;
    start_ = new QPushButton(QStringLiteral("Start"));
    pause_ = new QPushButton(QStringLiteral("Pause"));
    stop_ = new QPushButton(QStringLiteral("Stop"));
    start_->setObjectName(QStringLiteral("start"));
    pause_->setObjectName(QStringLiteral("pause"));
    stop_->setObjectName(QStringLiteral("stop"));
    start_->setToolTip(QStringLiteral("Start a new run with this form (Ctrl+Return)"));
    pause_->setToolTip(QStringLiteral("Pause the run after this step, or resume it (Ctrl+P)"));
    stop_->setToolTip(QStringLiteral("Stop after this step and write a checkpoint; the run can be resumed from the Runs tab (Ctrl+.)"));
    buttons->addWidget(start_);
    buttons->addWidget(pause_);
    buttons->addWidget(stop_);
    v->addLayout(buttons);
    progress_ = new QProgressBar;
    progress_->setTextVisible(true);
    progress_->setFormat(QStringLiteral("idle"));
    progress_->setValue(0);
    v->addWidget(progress_);
    status_ = new QLabel(QStringLiteral("idle"));
    status_->setWordWrap(true);
    v->addWidget(status_);
    connect(start_, &QPushButton::clicked, this, &TrainView::startTraining);
    connect(pause_, &QPushButton::clicked, this, &TrainView::pauseOrResume);
    connect(stop_, &QPushButton::clicked, this, &TrainView::stopTraining);
}

QStringList TrainView::presetNames()
{
    QStringList names;
    for (const auto& p : run::builtinPresets()) names << QString::fromStdString(p.name);
    return names;
}

namespace {

// The form's strategy fields for a strategy given by name only: that strategy's defaults, as
// the config parser gives them (naive: the official temperature 0.5).
nlohmann::json strategyFields(const std::string& name)
{
    return {
        {"name", name}, {"temperature", name == "naive" ? 0.5 : 1.0}, {"normalize_logits", true}, {"detach_weights", true}, {"lr_multiplier", 1.0}};
}

// Writes the fields preset `name` fixes (run/presets.h, the same files as `carilab-cli train
// --preset`) into c; false when there is no such preset.
bool writePresetFields(const QString& name, nlohmann::json& c)
{
    const run::Preset* preset = nullptr;
    for (const auto& p : run::builtinPresets())
        if (QString::fromStdString(p.name) == name) preset = &p;
    if (!preset) return false;
    for (auto it = preset->fields.begin(); it != preset->fields.end(); ++it) c[it.key()] = it.value();
    if (c.contains("strategy") && c["strategy"].is_string()) c["strategy"] = strategyFields(c["strategy"].get<std::string>());
    if (preset->demoDataset) c["dataset"] = kDemoEntry.toStdString();
    return true;
}

}  // namespace

void TrainView::applyPreset(const QString& name)
{
    nlohmann::json c = formFields();
    if (writePresetFields(name, c)) setFormConfig(c);
    syncPresetBox();
}

QString TrainView::matchingPreset() const
{
    const nlohmann::json now = formConfig();
    for (const auto& name : presetNames()) {
        nlohmann::json c = formFields();
        if (writePresetFields(name, c) && c == now) return name;
    }
    return {};
}

void TrainView::syncPresetBox()
{
    const QSignalBlocker quiet(preset_);
    const QString name = matchingPreset();
    preset_->setCurrentIndex(name.isEmpty() ? 0 : std::max(0, preset_->findText(name)));
}

nlohmann::json TrainView::formConfig() const
{
    nlohmann::json c = formFields();
    for (auto it = extraKeys_.begin(); it != extraKeys_.end(); ++it) {
        if (!c.contains(it.key())) {
            c[it.key()] = it.value();
        } else if (c[it.key()].is_object() && it.value().is_object()) {
            // Sub-keys the form has no field for (optimizer.eps) ride along inside their object.
            for (auto sub = it.value().begin(); sub != it.value().end(); ++sub)
                if (!c[it.key()].contains(sub.key())) c[it.key()][sub.key()] = sub.value();
        }
    }
    return c;
}

nlohmann::json TrainView::formFields() const
{
    nlohmann::json c;
    const QString ds = dataset_->currentText();
    c["dataset"] = ds.toStdString();
    c["format"] = format_->currentText().toStdString();
    c["split"] = split_->currentText().toStdString();
    c["face_crop"] = faceCrop_->currentText().toStdString();
    c["backbone"] = backbone_->currentText().toStdString();
    c["strategy"] = {{"name", strategy_->currentText().toStdString()},
                     {"temperature", temperature_->value()},
                     {"normalize_logits", normalizeLogits_->isChecked()},
                     {"detach_weights", detachWeights_->isChecked()},
                     {"lr_multiplier", psiLrMultiplier_->value()}};
    c["optimizer"] = {{"kind", optimizer_->currentText().toStdString()}, {"lr", lr_->value()}};
    c["batch"] = batch_->value();
    c["steps"] = steps_->value();
    c["device"] = device_->currentText().toStdString();
    c["precision"] = precision_->currentText().toStdString();
    c["threads"] = threads_->value();
    c["seed"] = seed_->value();
    c["sync_bn"] = syncBn_->isChecked();
    return c;
}

void TrainView::setFormConfig(const nlohmann::json& config)
{
    nlohmann::json c = config;
    c.erase("distributed");  // how a run was launched (config.json's record), not part of its recipe
    if (c.contains("strategy") && c["strategy"].is_string()) c["strategy"] = strategyFields(c["strategy"].get<std::string>());
    const nlohmann::json fields = formFields();
    extraKeys_ = nlohmann::json::object();
    for (auto it = c.begin(); it != c.end(); ++it) {
        if (!fields.contains(it.key())) {
            extraKeys_[it.key()] = it.value();
        } else if (it.value().is_object() && fields[it.key()].is_object()) {
            for (auto sub = it.value().begin(); sub != it.value().end(); ++sub)
                if (!fields[it.key()].contains(sub.key())) extraKeys_[it.key()][sub.key()] = sub.value();
        }
    }
    auto str = [&](const char* k, const std::string& d) {
        return QString::fromStdString(c.contains(k) && c[k].is_string() ? c[k].get<std::string>() : d);
    };
    dataset_->setCurrentText(str("dataset", kDemoEntry.toStdString()));
    format_->setCurrentText(str("format", "auto"));
    split_->setCurrentText(str("split", "auto"));
    faceCrop_->setCurrentText(str("face_crop", "auto"));
    backbone_->setCurrentText(str("backbone", "tiny"));
    if (c.contains("strategy") && c["strategy"].is_object()) {
        const auto& s = c["strategy"];
        strategy_->setCurrentText(QString::fromStdString(s.value("name", std::string("dynamic"))));
        temperature_->setValue(s.value("temperature", 1.0));
        normalizeLogits_->setChecked(s.value("normalize_logits", true));
        detachWeights_->setChecked(s.value("detach_weights", true));
        psiLrMultiplier_->setValue(s.value("lr_multiplier", 1.0));
    }
    if (c.contains("optimizer") && c["optimizer"].is_object()) {
        optimizer_->setCurrentText(QString::fromStdString(c["optimizer"].value("kind", std::string("rmsprop"))));
        lr_->setValue(c["optimizer"].value("lr", 0.1));
    }
    batch_->setValue(c.value("batch", 64));
    steps_->setValue(static_cast<int>(c.value("steps", 400LL)));
    device_->setCurrentText(str("device", "cpu"));
    precision_->setCurrentText(str("precision", "fp32"));
    enablePrecisions();  // a config's precision the device cannot run falls back to fp32
    threads_->setValue(c.value("threads", 0));
    seed_->setValue(static_cast<int>(c.value("seed", 1LL)));
    syncBn_->setChecked(c.value("sync_bn", false));
}

// Greys the precisions the chosen device cannot run (the trainer would refuse them), saying why.
void TrainView::enablePrecisions()
{
    auto* model = qobject_cast<QStandardItemModel*>(precision_->model());
    const bool cuda = device_->currentText().startsWith(QLatin1String("cuda"));
    const bool bf16 = cuda || nn::cpuHasNativeBf16();
    model->item(1)->setEnabled(bf16);
    model->item(1)->setToolTip(bf16 ? QStringLiteral("bfloat16 convolutions and linear layers")
                                    : QStringLiteral("This CPU has neither AMX nor AVX-512 BF16: bf16 would be emulated, slower than fp32"));
    model->item(2)->setEnabled(cuda);
    model->item(2)->setToolTip(cuda ? QStringLiteral("float16 with a loss scaler") : QStringLiteral("fp16 runs on CUDA only"));
    if (!model->item(precision_->currentIndex())->isEnabled()) precision_->setCurrentIndex(0);
}

void TrainView::saveSettings() const
{
    QSettings s;
    s.setValue(QStringLiteral("train/form"), QString::fromStdString(formConfig().dump()));
    s.setValue(QStringLiteral("train/processes"), processes_->value());
}

void TrainView::restoreSettings()
{
    QSettings s;
    const auto text = s.value(QStringLiteral("train/form")).toString().toStdString();
    const auto j = nlohmann::json::parse(text, nullptr, false);
    if (!text.empty() && j.is_object())
        setFormConfig(j);
    else
        applyPreset(QStringLiteral("Figure 3 demo"));
    processes_->setValue(s.value(QStringLiteral("train/processes"), 1).toInt());
}

void TrainView::flushLiveUpdates()
{
    // Nobody sees a hidden tab or a minimised window: drawing it would only take CPU from the
    // run. The updates wait; showEvent() catches up with every point at once.
    if (!isVisible() || window()->isMinimized()) return;
    if (pendingTotal_ > 0) {
        progress_->setMaximum(static_cast<int>(std::min<long long>(pendingTotal_, INT_MAX)));
        progress_->setValue(static_cast<int>(pendingStep_));
        progress_->setFormat(pendingProgress_);
    }
    if (!plotsDirty_) return;
    if (sinceLivePlot_.isValid() && sinceLivePlot_.elapsed() < livePlotMs_) {
        if (!replotTimer_->isActive()) replotTimer_->start();
        return;
    }
    QElapsedTimer cost;
    cost.start();
    plots_->refresh();
    plots_->fitAll();
    // The replot itself is queued; the previous one's drawing time stands in for this one's.
    const double ms = static_cast<double>(cost.nsecsElapsed()) / 1e6 + plots_->lastReplotMs();
    livePlotMs_ = std::clamp(static_cast<int>(ms * kPlotBudget), kLiveReplotMs, kMaxLivePlotMs);
    sinceLivePlot_.restart();
    plotsDirty_ = false;
}

void TrainView::showEvent(QShowEvent* event)
{
    QWidget::showEvent(event);
    if (plotsDirty_ || pendingTotal_ > 0) {
        sinceLivePlot_.invalidate();  // the catch-up draws now, not after the live interval
        flushLiveUpdates();
    }
}

QString TrainView::statusText() const { return status_->text(); }

int TrainView::processes() const { return processes_->value(); }

void TrainView::setProcesses(int n) { processes_->setValue(n); }

void TrainView::appendLog(const QString& line) { log_->appendPlainText(QDateTime::currentDateTime().toString(QStringLiteral("HH:mm:ss  ")) + line); }

void TrainView::showStoppedProgress(const QString& state)
{
    const long long step = controller_->step(), total = controller_->totalSteps();
    pendingProgress_ = QStringLiteral("%1 at step %2 / %3").arg(state).arg(step).arg(total);
    pendingStep_ = step;
    if (total > 0) {
        progress_->setMaximum(static_cast<int>(std::min<long long>(total, INT_MAX)));
        progress_->setValue(static_cast<int>(std::min<long long>(step, INT_MAX)));
    }
    progress_->setFormat(pendingProgress_);
}

void TrainView::setRunning(bool running)
{
    start_->setEnabled(!running && !generating_);
    pause_->setEnabled(running);
    stop_->setEnabled(running);
    pause_->setText(QStringLiteral("Pause"));
}

void TrainView::startTraining()
{
    if (controller_->isActive() || generating_) return;
    nlohmann::json config = formConfig();
    saveSettings();
    if (config["dataset"].get<std::string>() != kDemoEntry.toStdString()) {
        launch(config);
        return;
    }
    config["dataset"] = demoDir_.toStdString();
    const data::CariSynthOptions opts;
    if (data::isCariSynthSet(demoDir_.toStdString(), opts)) {
        launch(config);
        return;
    }
    // First use of the demo: generate it off the GUI thread, then start.
    generating_ = true;
    setRunning(false);
    status_->setText(QStringLiteral("generating the CariSynth demo dataset…"));
    appendLog(QStringLiteral("generating the CariSynth demo dataset in ") + demoDir_);
    const std::string dir = demoDir_.toStdString();
    QThread* worker = QThread::create([this, dir, opts, config] {
        QString error;
        try {
            data::generateCariSynth(dir, opts);
        } catch (const std::exception& e) {
            error = QString::fromStdString(e.what());
        }
        QMetaObject::invokeMethod(
            this,
            [this, error, config] {
                generating_ = false;
                if (!error.isEmpty()) {
                    setRunning(false);
                    status_->setText(QStringLiteral("failed — ") + error);
                    appendLog(QStringLiteral("error: ") + error);
                    return;
                }
                launch(config);
            },
            Qt::QueuedConnection);
    });
    connect(worker, &QThread::finished, worker, &QObject::deleteLater);
    worker->start();
}

void TrainView::launch(const nlohmann::json& config)
{
    const QString name = runName_->text().trimmed();
    const QString dir = name.isEmpty() ? automaticRunDir(runsDir_, config) : QDir(runsDir_).filePath(name);
    try {
        if (processes_->value() > 1)
            controller_->startProcesses(config, dir, processes_->value());
        else
            controller_->start(config, dir);
    } catch (const std::exception& e) {
        status_->setText(QStringLiteral("cannot start — ") + QString::fromStdString(e.what()));
        appendLog(QStringLiteral("error: ") + QString::fromStdString(e.what()));
        return;
    }
    plots_->setRuns({&controller_->curves()});
    progress_->setValue(0);
    setRunning(true);
    pause_->setEnabled(!controller_->isMultiProcess());  // a paused rank would stall the others into their timeout
}

bool TrainView::followRun(const QString& runDir)
{
    if (controller_->isActive()) {
        status_->setText(QStringLiteral("A run is active in this window: stop it before following another."));
        return false;
    }
    try {
        controller_->follow(runDir);
    } catch (const std::exception& e) {
        status_->setText(QStringLiteral("Cannot follow %1: %2").arg(runDir, QString::fromStdString(e.what())));
        return false;
    }
    plots_->setRuns({&controller_->curves()});
    try {
        setFormConfig(run::RunDirectory::open(runDir.toStdString()).config());  // the form shows what it trains
    } catch (const std::exception&) {
        // follow() read the run already; a config the form cannot show leaves the form as it was
    }
    start_->setEnabled(false);
    pause_->setEnabled(false);
    stop_->setEnabled(false);
    if (controller_->isFollowing())
        status_->setText(QStringLiteral("following (read-only; another process trains it) — ") + controller_->runDir());
    return true;
}

void TrainView::resumeRun(const QString& runDir)
{
    if (controller_->isActive()) {
        QMessageBox::information(this, QStringLiteral("CariLab"), QStringLiteral("Stop the current run first."));
        return;
    }
    try {
        controller_->resumeRun(runDir);
    } catch (const std::exception& e) {
        status_->setText(QStringLiteral("cannot resume — ") + QString::fromStdString(e.what()));
        return;
    }
    plots_->setRuns({&controller_->curves()});
    setRunning(true);
}

void TrainView::pauseOrResume()
{
    if (!controller_->isActive()) return;
    if (controller_->isPaused())
        controller_->resume();
    else
        controller_->pause();
}

void TrainView::stopTraining()
{
    if (!controller_->isActive()) return;
    status_->setText(QStringLiteral("stopping after this step (writing a checkpoint)…"));
    controller_->stop();
}

}  // namespace carilab::widgets
