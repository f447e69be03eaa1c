#pragma once
// The curves of one run, as plain arrays the plots draw and the CSV export writes.
// Every point is kept: decimation is the plot's business when drawing, never the store's.
#include "run/metrics_records.h"

#include <QMap>
#include <QString>
#include <QStringList>
#include <QVector>

namespace carilab::widgets {

struct Curve {
    QVector<double> step, epoch, time, value;
    void append(double s, double e, double t, double v)
    {
        step.push_back(s);
        epoch.push_back(e);
        time.push_back(t);
        value.push_back(v);
    }
    int size() const { return static_cast<int>(step.size()); }
};

class RunCurves {
public:
    explicit RunCurves(QString name = {}) : name_(std::move(name)) {}

    // A training step gives weight/<task>, loss/<task>, weight_raw/<task>, total_loss,
    // images_per_s and lr; on inspected steps grad_cos/<pair> and grad_norm/<task>; with
    // per-sample weights band/<modality>/<stat>/<task> (bandKey); a held-out evaluation gives
    // eval/<figure> (eval/verification_acc...). Values a record lacks (or holds as NaN) add no point.
    void addStep(const run::StepRecord& r);
    void addHeldOut(const run::HeldOutRecord& r);
    // A metrics.jsonl line, read by run::metricsRecordFromJson (throws its error); lines of
    // other types add nothing.
    void addRecord(const nlohmann::json& line);
    // Reads a whole run folder's metrics.jsonl (tolerates a torn last line). Throws on a
    // folder that is not a run.
    static RunCurves fromRunDir(const QString& dir);

    const QString& name() const { return name_; }
    void setName(const QString& n) { name_ = n; }
    const QMap<QString, Curve>& series() const { return series_; }
    const Curve* curve(const QString& key) const;
    int points() const;
    void clear() { series_.clear(); }
    // Removes every point past `step` (all of them for step 0).
    void dropAfter(double step);

private:
    void add(const QString& key, double step, double epoch, double time, double value);
    void add(const QString& group, const std::optional<run::TaskValues>& v, double step, double epoch, double time);
    void addDiagnostics(const run::StepRecord& r);

    QString name_;
    QMap<QString, Curve> series_;
};

// Series keys, in display order.
QStringList weightKeys();
QStringList lossKeys();
QStringList evalKeys();
QStringList gradCosKeys();  // grad_cos/<pair>, in run::kTaskPairNames order
QStringList gradNormKeys();  // grad_norm/<task>
// One statistic of one modality's per-sample weights: modality "caricature" | "photo", stat
// "mean" | "q10" | "q50" | "q90", task as in run::kTaskNames.
QString bandKey(const QString& modality, const QString& stat, const QString& task);

}  // namespace carilab::widgets
