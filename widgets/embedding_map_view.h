#pragma once
// The Embeddings tab: a dataset's embeddings as a 2-D map (PCA or t-SNE), for the run selected
// in the Runs view at any kept checkpoint, or for the zero-shot pretrained descriptor. It runs
// what `carilab-cli project` runs on an EmbeddingMapWorker thread and shows the map's
// trustworthiness and k-NN identity accuracies beside it. Clicking a point asks the main window
// to show the image in the Datasets inspector (inspectRequested) or to use it as a Match query
// (matchQueryRequested). Exports: PNG/PDF/SVG figures and the points as CSV.
#include "embedding_map_worker.h"

#include <QThread>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace carilab::widgets {

class ElidedLabel;
class EmbeddingMapPlot;

class EmbeddingMapView : public QWidget {
    Q_OBJECT

public:
    explicit EmbeddingMapView(QWidget* parent = nullptr);
    ~EmbeddingMapView() override;  // cancels a map in progress and waits for its thread

    // The run the "Run" model choice uses (the Runs view's selection; "" = none).
    void setRun(const QString& runDir);
    QString runDir() const { return runDir_; }
    // The dataset to map; "" = the run's own (the pretrained model then takes the offered one).
    void setDataset(const QString& root, const QString& format = QStringLiteral("auto"));
    QString dataset() const { return dataset_; }
    // The Datasets tab's current dataset: what the pretrained model maps when none was chosen.
    void offerDataset(const QString& root, const QString& format);
    void usePretrained(bool on);  // the model choice: face-resnet (zero-shot) or the run

    QComboBox* modelChoice() const { return model_; }
    QComboBox* checkpointChoice() const { return checkpoint_; }
    QComboBox* methodChoice() const { return method_; }
    QDoubleSpinBox* perplexityBox() const { return perplexity_; }
    QSpinBox* seedBox() const { return seed_; }
    QSpinBox* maxPointsBox() const { return maxPoints_; }
    QCheckBox* linesBox() const { return lines_; }
    QPushButton* computeButton() const { return compute_; }
    QPushButton* cancelButton() const { return cancel_; }
    QPushButton* exportButton() const { return export_; }
    QProgressBar* progressBar() const { return progress_; }
    QString status() const;
    EmbeddingMapPlot* plot() const { return plot_; }
    EmbeddingMapPtr map() const { return map_; }
    bool isComputing() const { return computing_; }

    void compute();
    void cancel();
    // .png/.pdf/.svg/.csv by the suffix; width/height 0 = on-screen size. False with lastError().
    bool exportTo(const QString& path, int width = 0, int height = 0, int dpi = 200);
    QString lastError() const { return lastError_; }

Q_SIGNALS:
    void mapShown();
    void computeFailed(const QString& message);
    void inspectRequested(const QString& datasetRoot, const QString& format, const QString& imagePath, const QString& identity);
    void matchQueryRequested(const QString& imagePath, const QString& identity, const QString& modality);

private:
    QWidget* buildPanel();
    QWidget* buildOptionsRow();
    void updatePanel();
    void setStatus(const QString& text, bool error = false);
    void onProgress(quint64 id, const QString& stage, int done, int total);
    void onFinished(quint64 id, const EmbeddingMapPtr& map);
    void browseDataset();
    void exportInteractively(bool csv);
    void forwardPoint(int point, bool asQuery);

    QThread thread_;
    EmbeddingMapWorker* worker_;
    quint64 jobId_ = 0;
    bool computing_ = false;
    bool statusIsHint_ = true;  // the status line says what to do next, not a result or an error
    QString runDir_, dataset_, format_ = QStringLiteral("auto"), offered_, offeredFormat_ = QStringLiteral("auto");
    QString lastError_, warnings_;
    EmbeddingMapPtr map_;  // the map shown

    QComboBox* model_;
    QComboBox* checkpoint_;
    ElidedLabel* datasetLabel_;
    QPushButton* browse_;
    QPushButton* ownDataset_;
    QComboBox* method_;
    QDoubleSpinBox* perplexity_;
    QSpinBox* seed_;
    QSpinBox* maxPoints_;
    QCheckBox* lines_;
    QPushButton* compute_;
    QPushButton* cancel_;
    QPushButton* export_;
    QProgressBar* progress_;
    QLabel* status_;
    EmbeddingMapPlot* plot_;
};

}  // namespace carilab::widgets
