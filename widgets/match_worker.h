#pragma once
// The Match view's engine: a QObject that lives in its own QThread and owns the run's network,
// the gallery (with its embeddings) and the face detector. Every slot runs on that thread, so
// torch, the detector and the decoding of dropped images never run on the GUI thread; results
// come back as queued signals carrying plain Qt values.
//
// Call the slots through QMetaObject::invokeMethod (queued): they run in call order. Two calls
// are thread-safe and meant for the GUI thread: interrupt(), which aborts an embedding in
// progress (the run or the gallery changed), and supersede(id), which makes queued queries with
// a smaller id return without work (the crop or k changed again before they ran).
#include <QImage>
#include <QMetaType>
#include <QObject>
#include <QPointF>
#include <QPolygonF>
#include <QRectF>
#include <QSize>
#include <QString>
#include <QVector>

#include <atomic>
#include <memory>
#include <optional>

namespace carilab::match {
class FaceFinder;
}

namespace carilab::widgets {

struct MatchRunInfo {
    QString runDir;  // or MatchWorker::kZeroShotModel
    bool zeroShot = false;  // the pretrained descriptor without training (no run, no checkpoints)
    bool ok = false;
    QString error;  // why the run was refused (ok false)
    QString checkpoint;  // the file loaded
    long long step = 0;
    QString backbone;
    QString dataset, format;  // the run's own dataset
    // The verdict's threshold: the run's evaluation's (match::runThreshold), or the zero-shot
    // descriptor's calibration (match/zero_shot_threshold.h); none: no verdict.
    std::optional<double> threshold;
    QString thresholdSource;
    // Every kept checkpoint (step, path), oldest first, and the one with the best held-out
    // verification accuracy in metrics.jsonl (empty when no evaluation covers a kept one).
    QVector<QPair<long long, QString>> checkpoints;
    QString bestCheckpoint;
    double bestAccuracy = 0;
};

struct MatchGalleryInfo {
    QString dataset;  // root
    QString modality;  // "photo" | "caricature" | "both"
    int images = 0;
    int unreadable = 0;
    QString cacheFile;
    bool fromCache = false;
    double seconds = 0;  // loading or embedding time
};

struct MatchQueryInfo {
    QString path;
    QImage preview;  // the decoded image, longer side at most kPreviewSide
    QSize fullSize;  // the file's pixels (crop rectangles are in these)
};

// How the query's face is cropped when the user has drawn no box.
enum class MatchCropMode {
    // An image of the gallery's dataset exactly as its gallery copy (the dataset's landmarks or
    // alignment file, or the whole image when it has none), so it scores 1 against itself; any
    // other image: the face detector.
    Automatic,
    Detect,  // the face detector on every query, dataset images included
    WholeImage,
};

struct MatchRequest {
    quint64 id = 0;
    int top = 10;
    MatchCropMode cropMode = MatchCropMode::Automatic;
    std::optional<QRectF> box;  // the user's crop, in query pixels
    QString identityHint;  // e.g. from the dataset browser's drag; the dataset wins
    // The query's modality as the view knows it: "photo", "caricature" or "" (unknown), and
    // where from: "stated" (the user's choice, which wins over the dataset's), "drag" (the
    // Dataset browser's drag), "folder" (the file's folder name) or "". The gallery's "auto"
    // modality is the other one; when it stays unknown, both.
    QString queryModality, queryModalitySource;
};

struct MatchHitInfo {
    int image = -1;
    QString identity, path;
    double score = 0;
    int rank = 0;
};

struct MatchOutcome {
    quint64 id = 0;
    QString queryPath;
    QVector<MatchHitInfo> hits;  // best first
    QString crop;  // "user box" | "dataset landmarks" | "dataset box" | "detected" | "whole image"
    QString cropDetail;  // "detected": how the face was cropped (match::MatchResult::cropDetail)
    QString detector;  // "face-api" | "haar" when a face was detected
    double detectionScore = 0;  // face-api's score
    std::optional<QRectF> box;  // the crop used, in query pixels
    QVector<QPointF> landmarks;  // the query's landmarks: the dataset's 5, or the 68 face-api found
    QPolygonF cropQuad;  // the crop's corners in query pixels (a rotated square when aligned)
    QImage networkInput;  // the crop the network saw (RGB888, the run's input size)
    // Why the crop is what it is, in words (e.g. "face-api's box for this image in the dataset's
    // alignment file (face_boxes.csv): the crop its gallery copy got; no detection run").
    QString cropSource;
    bool detectorRan = false;  // the face detector looked at the query (detectMs is its time)
    MatchCropMode cropMode = MatchCropMode::Automatic;
    QString queryIdentity;  // empty: unknown
    QString queryModality;  // "photo" | "caricature" | "" (unknown)
    // "dataset" (the query is an image of the gallery's dataset), or the request's source.
    QString queryModalitySource;
    bool identityFromDataset = false;
    int trueIdentityRank = 0;  // 0: the identity is unknown or not in the gallery
    MatchGalleryInfo gallery;
    double detectMs = 0, embedMs = 0, rankMs = 0;
};

class MatchWorker : public QObject {
    Q_OBJECT

public:
    static constexpr int kPreviewSide = 1024;
    // loadRun's "run" for the zero-shot baseline: face-resnet's pretrained descriptor, untrained.
    // It has no dataset of its own, so the gallery must name one.
    static constexpr const char* kZeroShotModel = "pretrained:face-resnet";

    MatchWorker();
    ~MatchWorker() override;

    // Thread-safe (any thread).
    void interrupt() { ++epoch_; }
    void supersede(quint64 id) { latest_ = id; }
    void shutdown()
    {
        stopping_ = true;
        ++epoch_;
    }

public Q_SLOTS:
    // checkpoint: "latest" or a step-*.pt path; runDir kZeroShotModel loads the zero-shot model
    // (checkpoint ignored). Emits runLoaded (ok or not; failed too when not).
    // Forgets the galleries held for the previous run.
    void loadRun(const QString& runDir, const QString& checkpoint);
    // dataset: "" = the run's own; modality "auto" (the other modality than the query's, as
    // carilab-cli match), "photo", "caricature" or "both". Embeds at once when the modality is
    // known and a run is loaded (progress, then galleryReady), else on the next query.
    void loadGallery(const QString& dataset, const QString& format, const QString& modality);
    // Decodes the file (refusing empty, non-image, truncated and oversized files): queryLoaded,
    // or failed with the decoder's message, keeping the previous query.
    void setQuery(const QString& path);
    // Matches the current query: resultReady, or failed.
    void query(const carilab::widgets::MatchRequest& request);

Q_SIGNALS:
    void runLoaded(const carilab::widgets::MatchRunInfo& info);
    void progress(int done, int total);
    void galleryReady(const carilab::widgets::MatchGalleryInfo& info);
    void galleryCancelled();
    void queryLoaded(const carilab::widgets::MatchQueryInfo& info);
    void resultReady(const carilab::widgets::MatchOutcome& outcome);
    void failed(const QString& message);

private:
    struct State;
    bool ensureGallery(const QString& modality);
    match::FaceFinder* faceFinder();
    std::unique_ptr<State> s_;
    std::atomic<quint64> epoch_{0};
    std::atomic<quint64> latest_{0};
    std::atomic<bool> stopping_{false};
};

}  // namespace carilab::widgets

Q_DECLARE_METATYPE(carilab::widgets::MatchRunInfo)
Q_DECLARE_METATYPE(carilab::widgets::MatchGalleryInfo)
Q_DECLARE_METATYPE(carilab::widgets::MatchQueryInfo)
Q_DECLARE_METATYPE(carilab::widgets::MatchRequest)
Q_DECLARE_METATYPE(carilab::widgets::MatchOutcome)
