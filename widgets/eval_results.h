#pragma once
// A run's protocol evaluations (eval.json: "protocols", and "all_images" for every image of the
// dataset; written by carilab-cli eval and the Evaluation view) as the Evaluation view draws
// them: Qt strings, NaN or -1 for a value the file lacks (NaN is stored as null). eval.json is
// read once, by run::readEvalFile (run/eval_records.h); this is its view-side copy.
#include <QMap>
#include <QPointF>
#include <QString>
#include <QStringList>
#include <QVector>

#include <limits>
#include <optional>

namespace carilab::widgets {

// Metric name (as in eval.json: "auc", "val_far_0.1%", "rank1", ...) -> value. Absent when the
// file has no number for it, so a table cell can tell "not computed" from 0.
using Metrics = QMap<QString, double>;

struct VerificationFold {
    QString fold;
    Metrics metrics;  // auc, eer, accuracy, val_far_0.1%, val_far_1%, threshold
    long long pairs = -1, positives = -1, negatives = -1;
    QString thresholdFrom;
};

struct Verification {
    QVector<VerificationFold> folds;
    Metrics mean, stdev, pooled;  // pooled: the metrics over all folds' pairs at once
    long long pooledPairs = -1;
    QVector<QPointF> roc;  // pooled ROC as (FAR, TAR), FAR ascending; FAR may be 0
    double histMin = 0, histMax = 1;
    QVector<double> genuine, impostor;  // pooled score histogram, counts per equal-width bin
};

struct IdentificationFold {
    QString fold;
    Metrics metrics;  // rank1, rank5, rank10
    long long probes = -1, gallery = -1, probesWithoutMate = -1;
};

struct Identification {
    QString direction;  // C2P or P2C
    QVector<IdentificationFold> folds;
    Metrics mean, stdev;
    QVector<double> cmc;  // cmc[k-1] = rank-k identification rate (NaN when unknown)
};

struct Classification {
    double caricatureAcc = std::numeric_limits<double>::quiet_NaN();
    double visualAcc = std::numeric_limits<double>::quiet_NaN();
    long long caricatures = -1, photos = -1, unknownIdentities = -1;
    // Softmax over the protocol's own identities only (the official code's classes); -1 = absent.
    double caricatureAccListed = std::numeric_limits<double>::quiet_NaN();
    double visualAccListed = std::numeric_limits<double>::quiet_NaN();
    long long listedIdentities = -1;
};

struct ProtocolResult {
    QString key;  // "cavi/testing_1", "webcari-restricted/view2", ...
    QString protocol, name, dataset, checkpoint, scoresCsv;
    int view = 0;  // WebCaricature only
    bool mirror = false;  // test-time views the result was computed with
    QVector<double> zoomOut;
    long long step = -1, images = -1, unreadableImages = -1, skipped = 0;
    QStringList issues;  // the first ones only; skipped counts them all
    std::optional<Verification> verification;
    std::optional<Identification> identification;
    std::optional<Classification> classification;

    QString label() const;  // "cavi testing_1.txt — step 60", for the protocol selector
};

// `carilab-cli eval --protocol images` (eval.json "all_images", "all_images+mirror"): every image
// of a dataset, caricature-photo and photo-photo pairs (all positives, one seeded negative each).
struct ImagesVerification {
    double accuracy = std::numeric_limits<double>::quiet_NaN();  // mean over 10 folds
    double accuracyStd = std::numeric_limits<double>::quiet_NaN();
    double auc = std::numeric_limits<double>::quiet_NaN();
    double threshold = std::numeric_limits<double>::quiet_NaN();
    long long pairs = -1;
};

struct ImagesResult {
    QString key;  // "all_images", "all_images+mirror", "all_images+mirror+zoom1.1"
    QString dataset, model, precision;
    bool mirror = false;
    QVector<double> zoomOut;
    long long caricatures = -1, photos = -1;
    std::optional<ImagesVerification> caricaturePhoto, photoPhoto;  // absent: no such pairs
    double caricatureAcc = std::numeric_limits<double>::quiet_NaN();  // closed set, caricature branch
    double visualAcc = std::numeric_limits<double>::quiet_NaN();  // closed set, visual branch

    QString label() const;  // "all images — step-20.pt", for the protocol selector
};

struct RunEvaluation {
    QString runDir;
    QVector<ProtocolResult> protocols;  // in eval.json's key order
    QVector<ImagesResult> images;  // all_images, then all_images+mirror
    QString error;  // why eval.json could not be read; empty when fine or absent
    const ProtocolResult* find(const QString& key) const;
    const ImagesResult* findImages(const QString& key) const;
};

// Never throws: an absent eval.json is an empty result, an unreadable one (not JSON, or a known
// key of the wrong type) sets error, naming the file and the key.
RunEvaluation loadRunEvaluation(const QString& runDir);

// Table text. Rates as percentages; "–" for anything that is not a finite number.
QString formatPercent(double rate);
QString formatMeanStd(const Metrics& mean, const Metrics& stdev, const QString& metric);
QString formatCount(long long n);

// Long-format CSV of every number in the results (protocol,section,row,metric,value), the
// shape writeCurvesCsv uses for the curves. Rates stay fractions, as in eval.json.
QString resultsCsv(const ProtocolResult& r);

}  // namespace carilab::widgets
