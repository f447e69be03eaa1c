#include "run_curves.h"

#include "run/metrics_log.h"

#include <QDir>

#include <stdexcept>

namespace carilab::widgets {

QStringList weightKeys() { return {QStringLiteral("weight/verification"), QStringLiteral("weight/caricature"), QStringLiteral("weight/visual")}; }
QStringList lossKeys() { return {QStringLiteral("loss/verification"), QStringLiteral("loss/caricature"), QStringLiteral("loss/visual")}; }
QStringList evalKeys() { return {QStringLiteral("eval/verification_acc"), QStringLiteral("eval/caricature_acc"), QStringLiteral("eval/visual_acc")}; }

void RunCurves::addRecord(const nlohmann::json& r)
{
    if (!r.is_object() || !r.contains("step")) return;
    const double step = r.value("step", 0.0), epoch = r.value("epoch", 0.0), time = r.value("time_s", 0.0);
    const std::string type = r.value("type", r.contains("loss") ? "train" : "");
    if (type == "train") {
        for (const char* group : {"weight", "loss", "weight_raw"}) {
            if (!r.contains(group) || !r[group].is_object()) continue;
            for (auto it = r[group].begin(); it != r[group].end(); ++it)
                if (it.value().is_number())
                    series_[QString::fromLatin1(group) + QLatin1Char('/') + QString::fromStdString(it.key())].append(step, epoch, time,
                                                                                                                     it.value().get<double>());
        }
        for (const char* scalar : {"total_loss", "images_per_s", "lr"})
            if (r.contains(scalar) && r[scalar].is_number()) series_[QString::fromLatin1(scalar)].append(step, epoch, time, r[scalar].get<double>());
    } else if (type == "eval") {
        for (auto it = r.begin(); it != r.end(); ++it)
            if (it.value().is_number() && it.key() != "step" && it.key() != "epoch")
                series_[QStringLiteral("eval/") + QString::fromStdString(it.key())].append(step, epoch, time, it.value().get<double>());
    }
}

RunCurves RunCurves::fromRunDir(const QString& dir)
{
    const QString metrics = QDir(dir).filePath(QStringLiteral("metrics.jsonl"));
    if (!QDir(dir).exists(QStringLiteral("config.json"))) throw std::runtime_error(dir.toStdString() + ": not a run folder (no config.json)");
    const auto file = run::readMetricsFile(metrics.toStdString());
    RunCurves c(QDir(dir).dirName());
    // Train and eval records interleave in time; plots index by step so order within type suffices.
    for (const auto& r : file.train) c.addRecord(r);
    for (const auto& r : file.eval) c.addRecord(r);
    return c;
}

void RunCurves::dropAfter(double step)
{
    for (auto it = series_.begin(); it != series_.end();) {
        Curve& c = it.value();
        int keep = 0;
        while (keep < c.size() && c.step[keep] <= step) ++keep;  // each curve is in step order
        c.step.resize(keep);
        c.epoch.resize(keep);
        c.time.resize(keep);
        c.value.resize(keep);
        it = keep == 0 ? series_.erase(it) : std::next(it);
    }
}

const Curve* RunCurves::curve(const QString& key) const
{
    auto it = series_.constFind(key);
    return it == series_.constEnd() ? nullptr : &it.value();
}

int RunCurves::points() const
{
    int n = 0;
    for (const auto& c : series_) n += c.size();
    return n;
}

}  // namespace carilab::widgets
