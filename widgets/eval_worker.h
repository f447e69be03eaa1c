#pragma once
// The Evaluation view's engine: a QObject that lives in its own QThread and runs
// run::evaluateRun (what `carilab-cli eval --run` runs), so torch and the dataset's indexing
// never run on the GUI thread. Results come back as queued signals carrying plain Qt values;
// the result itself is read back from the run's eval.json.
//
// It also analyses a run's failures on a CaVI pair list (run::analyseFailures, what
// `carilab-cli failures` runs) and converts the crops to QImages there, off the GUI thread.
//
// Call the slots through QMetaObject::invokeMethod (queued). cancel() is thread-safe and meant
// for the GUI thread: the evaluation or analysis in progress stops after its current batch,
// writes nothing and emits cancelled() / failuresCancelled(); clearCancel() before queuing the next one.
#include "run/failure_gallery.h"
#include "run/run_evaluation.h"

#include <QHash>
#include <QImage>
#include <QMetaType>
#include <QObject>
#include <QPair>
#include <QString>
#include <QStringList>
#include <QVector>

#include <atomic>
#include <memory>

namespace carilab::widgets {

// What can be evaluated for a run on a dataset: the protocols that fit the dataset, and the
// run's checkpoints to evaluate.
struct EvalChoices {
    quint64 id = 0;  // the request's, so an answer for an older selection can be ignored
    QString runDir;
    QString dataset, format;  // as resolved: the run's own when none was given
    bool ownDataset = true;
    QStringList protocols;  // "cavi", "webcari-…", always "images" last
    QStringList caviPairLists;  // testing_1 and/or validation, when present
    QVector<QPair<long long, QString>> checkpoints;  // kept step-*.pt files, oldest first
    bool hasBest = false;  // checkpoints/best holds the run's model selection
    QString error;  // why the run or dataset could not be read (protocols then empty)
};

// A failure gallery as the GUI shows it: the core's result (kept whole: "Save page" writes it
// as the CLI does) and its crops as QImages, converted on the worker thread.
struct FailureResult {
    run::FailureRequest request;
    run::FailureGallery gallery;
    QHash<int, QImage> crops;  // dataset image index -> RGB crop the network saw
    QStringList warnings;  // what analyseFailures warned about (unreadable images)
};
using FailureResultPtr = std::shared_ptr<const FailureResult>;

class EvalWorker : public QObject {
    Q_OBJECT

public:
    EvalWorker();

    // Thread-safe (any thread).
    void cancel() { cancel_ = true; }
    void clearCancel() { cancel_ = false; }

public Q_SLOTS:
    // dataset: "" = the run's own (from its config). Emits choicesReady, also on failure (error set).
    void listChoices(quint64 id, const QString& runDir, const QString& dataset, const QString& format);
    // Emits progress while embedding, then finished(eval.json key), cancelled() or failed(message).
    void evaluate(const carilab::run::EvaluationRequest& request);
    // Emits progress while embedding, then failuresReady, failuresCancelled() or failuresFailed(message).
    void analyseFailures(const carilab::run::FailureRequest& request);

Q_SIGNALS:
    void choicesReady(const carilab::widgets::EvalChoices& choices);
    void progress(int done, int total);
    void finished(const QString& runDir, const QString& key);
    void cancelled();
    void failed(const QString& message);
    void failuresReady(const carilab::widgets::FailureResultPtr& result);
    void failuresCancelled();
    void failuresFailed(const QString& message);

private:
    std::atomic<bool> cancel_{false};
};

}  // namespace carilab::widgets

Q_DECLARE_METATYPE(carilab::widgets::EvalChoices)
Q_DECLARE_METATYPE(carilab::widgets::FailureResultPtr)
