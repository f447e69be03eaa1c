#pragma once
// The Train view: a form for everything `carilab-cli train` takes, run control, progress,
// the run's log, and the live Figure 3 plots.
#include <nlohmann/json.hpp>

#include <QElapsedTimer>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTimer;

namespace carilab::widgets {

class TrainingController;
class TrainingPlots;

class TrainView : public QWidget {
    Q_OBJECT

public:
    explicit TrainView(QWidget* parent = nullptr);
    ~TrainView() override;

    // The form as config.json keys (dataset resolved: the demo entry becomes its folder).
    nlohmann::json formConfig() const;
    void setFormConfig(const nlohmann::json& config);
    void applyPreset(const QString& name);
    static QStringList presetNames();
    // The preset whose settings the form holds now (the first, if several), or empty: the
    // preset box shows it, and "(custom)" as soon as a field differs.
    QString matchingPreset() const;

    TrainingController* controller() const { return controller_; }
    TrainingPlots* plots() const { return plots_; }
    QString runsDir() const { return runsDir_; }
    void setRunsDir(const QString& dir) { runsDir_ = dir; }
    QString demoDatasetDir() const { return demoDir_; }
    void setDemoDatasetDir(const QString& dir) { demoDir_ = dir; }
    QString statusText() const;
    int processes() const;
    void setProcesses(int n);

    void saveSettings() const;
    void restoreSettings();

public Q_SLOTS:
    void startTraining();  // generates the demo dataset first when it is chosen and missing
    void pauseOrResume();
    void stopTraining();
    void resumeRun(const QString& runDir);
    // Follows a run another process writes (carilab --attach): plots, progress and log update as
    // it grows; Start/Pause/Stop stay off until it ends. False (and the status says why) when
    // a run of this window is active or dir is not a run.
    bool followRun(const QString& runDir);

Q_SIGNALS:
    void runStarted(const QString& runDir);
    void runEnded(const QString& runDir, const QString& state);

protected:
    void showEvent(QShowEvent* event) override;

private:
    void buildForm(QWidget* host);  // the form's groups (scrolls)
    void buildControls(QWidget* host);  // Start/Pause/Stop, progress and status (always in sight)
    // The keys the form's fields hold (formConfig() adds extraKeys_).
    nlohmann::json formFields() const;
    void syncPresetBox();
    void enablePrecisions();
    void launch(const nlohmann::json& config);
    void setRunning(bool running);
    void appendLog(const QString& line);
    void showStoppedProgress(const QString& state);  // "paused at step N / T", without img/s or ETA
    void flushLiveUpdates();

    TrainingController* controller_;
    TrainingPlots* plots_;
    QString lastState_;  // the controller's last state, to tell a resume from a start
    // Config keys the form has no field for (a file preset's lr_multipliers, sampler, ...): set
    // by setFormConfig, sent with every run, dropped when another preset is chosen.
    nlohmann::json extraKeys_ = nlohmann::json::object();
    QComboBox* dataset_;
    QComboBox* format_;
    QComboBox* split_;
    QComboBox* faceCrop_;
    QComboBox* preset_;
    QComboBox* backbone_;
    QComboBox* strategy_;
    QDoubleSpinBox* temperature_;
    QCheckBox* detachWeights_;
    QCheckBox* normalizeLogits_;
    QDoubleSpinBox* psiLrMultiplier_;
    QComboBox* optimizer_;
    QDoubleSpinBox* lr_;
    QSpinBox* batch_;
    QSpinBox* steps_;
    QComboBox* device_;
    QComboBox* precision_;  // "fp32", "bf16", "fp16"; the ones the device cannot run are greyed
    QSpinBox* threads_;
    QSpinBox* processes_;  // local data-parallel ranks; 1: the trainer runs in this process
    QCheckBox* syncBn_;  // sync_bn: batch norm over every rank's images (enabled with processes > 1)
    QSpinBox* seed_;
    QLineEdit* runName_;
    QPushButton* start_;
    QPushButton* pause_;
    QPushButton* stop_;
    QProgressBar* progress_;
    QLabel* status_;
    QPlainTextEdit* log_;
    QComboBox* xAxis_;
    QDoubleSpinBox* smoothing_;
    QCheckBox* logY_;
    QTimer* replotTimer_ = nullptr;
    QString pendingProgress_;
    long long pendingStep_ = 0, pendingTotal_ = 0;
    bool plotsDirty_ = false;
    QElapsedTimer sinceLivePlot_;
    int livePlotMs_ = kLiveReplotMs;
    static constexpr int kLiveReplotMs = 300;
    // While training, live replots may take at most 1/kPlotBudget of one core: on 2 cores the
    // GUI thread's painting displaces one of LibTorch's threads and the other waits for it at
    // the next parallel region, so every ms spent painting costs the run up to 2 ms.
    static constexpr double kPlotBudget = 80.0;
    static constexpr int kMaxLivePlotMs = 2000;
    QString runsDir_;
    QString demoDir_;
    bool generating_ = false;
};

}  // namespace carilab::widgets
