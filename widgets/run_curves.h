#pragma once
// The curves of one run, as plain arrays the plots draw and the CSV export writes.
// Every point is kept: decimation is the plot's business when drawing, never the store's.
#include <nlohmann/json.hpp>

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
    int size() const { return int(step.size()); }
};

class RunCurves {
public:
    explicit RunCurves(QString name = {}) : name_(std::move(name)) {}

    // Adds a metrics.jsonl record: "train" records give weight/<task>, loss/<task>, total_loss,
    // images_per_s; "eval" records give eval/<metric>.
    void addRecord(const nlohmann::json& record);
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
    QString name_;
    QMap<QString, Curve> series_;
};

// Series keys, in display order.
QStringList weightKeys();
QStringList lossKeys();
QStringList evalKeys();

}  // namespace carilab::widgets
