#pragma once
// The Match view: drop a photo or caricature (or open one, or drag it from the Dataset browser)
// and rank a gallery against it with a trained run, as carilab-cli match does.
//
// Query panel: the image with the crop the match used, editable by mouse; editing it, or changing
// k, matches again. "Crop": automatic (an image of the gallery's dataset is cropped as its
// gallery copy -- the dataset's landmarks or alignment file, no detection -- any other image by
// the face detector), always detect, or the whole image; the line under the image says which was
// done and why. "Query is": the query's modality -- its dataset's, the drag's or its folder's
// (match_query_modality.h) or as stated; unknown, the "other modality" gallery holds both.
// Choices: the run (runs under the runs folder, "Pretrained face-resnet (zero-shot)" -- the
// untrained baseline, which needs a gallery dataset -- or "Open run…") and its checkpoint
// (latest, best held-out, or any kept one), the gallery's dataset and modality (by default the
// other modality than the query's), in boxes that elide their texts in narrow windows
// (match_combo_box.h). Results: the top-k gallery images with thumbnail, identity, score and
// rank, the identity column as wide as its names; the selected one beside the query's network
// input; the rank of the query's true identity when it is known; and a "same person?" verdict
// against the threshold (the run's evaluation, or the slider's).
//
// Everything heavy runs on the MatchWorker's thread (network, gallery embedding with its
// progress bar, face detection, decoding the query) or on a small thread pool (thumbnails).
// Bad input (a non-image, an empty, truncated or oversized file, a folder, several files)
// gives a message in the banner, and the previous query stays.
#include "match_compare_panel.h"
#include "match_query_modality.h"
#include "match_worker.h"

#include <QThread>
#include <QThreadPool>
#include <QTimer>
#include <QWidget>

#include <optional>

class QComboBox;
class QLabel;
class QLayout;
class QMimeData;
class QProgressBar;
class QPushButton;
class QSlider;
class QSpinBox;
class QTableWidget;

namespace carilab::widgets {

class CropEditor;

class MatchView : public QWidget {
    Q_OBJECT

public:
    // The Dataset browser's drag format: JSON {"path","identity","modality","dataset"}.
    static constexpr const char* kImageMimeType = "application/x-carilab-image";

    explicit MatchView(QWidget* parent = nullptr);
    ~MatchView() override;

    void setRunsDir(const QString& dir);
    QString runsDir() const { return runsDir_; }
    void refreshRuns();
    // checkpoint: "latest" or a checkpoint file. Shown in the run list even when it is not
    // under the runs folder. MatchWorker::kZeroShotModel chooses the zero-shot baseline.
    void setRun(const QString& runDir, const QString& checkpoint = QStringLiteral("latest"));
    // A run folder was renamed (to: the new path) or deleted (to: empty) elsewhere: the list
    // follows, and the run in use is reloaded from its new place (or dropped).
    void runMoved(const QString& from, const QString& to);
    QString runDir() const { return runDir_; }
    bool runReady() const { return runReady_; }
    const MatchRunInfo& runInfo() const { return runInfo_; }
    // dataset: "" = the run's own dataset; modality: "auto", "photo", "caricature" or "both".
    void setGallery(const QString& dataset, const QString& modality = QStringLiteral("auto"));
    // Lists a dataset among the gallery choices without switching to it (the one open in Datasets).
    void offerGallery(const QString& dataset);

    // The query, with the checks a drop gets. False (and message()) when refused at once; a
    // file that does not decode is refused a moment later by the worker, with a message too.
    // modalityHint: "photo" or "caricature" when the caller knows (a drag), else guessed.
    bool openQuery(const QString& path, const QString& identityHint = QString(), const QString& modalityHint = QString());
    // What dropEvent does with the drop's data.
    bool handleDrop(const QMimeData* mime);
    QString queryPath() const { return queryPath_; }

    void setTop(int k);
    int top() const;
    // The user's crop (query pixels), as if drawn; nullopt goes back to the automatic crop.
    void setUserCrop(const std::optional<QRectF>& box);
    double threshold() const;
    void setThreshold(double t);

    bool hasResult() const { return hasResult_; }
    const MatchOutcome& lastOutcome() const { return outcome_; }
    // The banner's text ("" when none).
    QString message() const { return message_; }

    MatchWorker* worker() const { return worker_; }
    CropEditor* cropEditor() const { return crop_; }
    // Columns: rank, thumbnail (its Qt::UserRole says "loaded" once the thumbnail is there, or
    // "failed"), identity (ticked when it is the query's), score (Qt::UserRole: the number).
    QTableWidget* resultsTable() const { return results_; }
    QSpinBox* topSpin() const { return top_; }
    QSlider* thresholdSlider() const { return compare_->thresholdSlider(); }
    QComboBox* runCombo() const { return runCombo_; }
    QComboBox* checkpointCombo() const { return checkpoint_; }
    QComboBox* galleryCombo() const { return gallery_; }
    QComboBox* modalityCombo() const { return modality_; }
    // "Crop": data MatchCropMode as int; "Query is": data "", "photo" or "caricature".
    QComboBox* cropModeCombo() const { return cropMode_; }
    QComboBox* queryModalityCombo() const { return queryKind_; }
    QLabel* queryInfoLabel() const { return queryInfo_; }
    QLabel* timingLabel() const { return compare_->timingLabel(); }
    QLabel* statusLabel() const { return status_; }
    QProgressBar* progressBar() const { return progress_; }
    QLabel* cropLabel() const { return cropLabel_; }
    QLabel* trueRankLabel() const { return compare_->trueRankLabel(); }
    QLabel* verdictLabel() const { return compare_->verdictLabel(); }
    QLabel* thresholdLabel() const { return compare_->thresholdLabel(); }
    MatchComparePanel* comparePanel() const { return compare_; }
    QLabel* galleryLabel() const { return galleryInfo_; }
    QLabel* messageLabel() const { return banner_; }

Q_SIGNALS:
    void resultShown();
    void messageShown(const QString& message);

protected:
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dragMoveEvent(QDragMoveEvent* event) override;
    void dragLeaveEvent(QDragLeaveEvent* event) override;
    void dropEvent(QDropEvent* event) override;
    void showEvent(QShowEvent* event) override;

private:
    void buildUi();
    QLayout* buildBar();
    QWidget* buildQueryPanel();
    QWidget* buildResultsPanel();
    void connectUi();
    void fillResults(const MatchOutcome& o);
    void fitIdentityColumn();
    void describeQuery(const MatchOutcome& o);
    void describeCrop(const MatchOutcome& o);
    void showMessage(const QString& text);
    void clearMessage();
    void clearResults();
    void scheduleQuery();
    void issueQuery();
    void galleryChosen(int index);
    void runChosen(int index);
    void onRunLoaded(const MatchRunInfo& info);
    void onQueryLoaded(const MatchQueryInfo& info);
    void onResult(const MatchOutcome& o);
    void onFailed(const QString& message);
    void showSelected();
    void loadImageAsync(const QString& path, int side, quint64 generation);
    void imageLoaded(const QString& path, int side, quint64 generation, const QImage& image, const QString& error);
    QString currentGalleryDataset() const;
    QString currentModality() const;

    QThread thread_;
    MatchWorker* worker_;
    QThreadPool pool_;
    QTimer requery_;

    QString runsDir_;
    QString runDir_;
    QString checkpointChoice_ = QStringLiteral("latest");
    bool runReady_ = false;
    bool runsScanned_ = false;
    bool shownOnce_ = false;
    MatchRunInfo runInfo_;
    QString queryPath_, pendingPath_, identityHint_, pendingHint_;
    QString pendingModalityHint_;
    QueryModalityGuess modalityGuess_;  // the query's, from the drag or its folder
    std::optional<QRectF> userBox_;
    quint64 requestId_ = 0;
    quint64 thumbGeneration_ = 0;
    bool hasResult_ = false;
    MatchOutcome outcome_;
    QString message_;

    QComboBox* runCombo_;
    QComboBox* checkpoint_;
    QComboBox* gallery_;
    QComboBox* modality_;
    QSpinBox* top_;
    QLabel* runSummary_;
    QLabel* banner_;
    CropEditor* crop_;
    QPushButton* openImage_;
    QPushButton* resetCrop_;
    QComboBox* cropMode_;
    QComboBox* queryKind_;
    QLabel* cropLabel_;
    QLabel* queryInfo_;
    QTableWidget* results_;
    QLabel* status_;
    QProgressBar* progress_;
    QLabel* galleryInfo_;
    MatchComparePanel* compare_;
};

}  // namespace carilab::widgets
