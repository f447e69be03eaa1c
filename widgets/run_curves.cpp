#include "run_curves.h"

#include "run/metrics_log.h"

#include <QDir>

#include <array>
#include <cmath>
#include <stdexcept>
#include <utility>

namespace carilab::widgets {

QStringList weightKeys() { return {QStringLiteral("weight/verification"), QStringLiteral("weight/caricature"), QStringLiteral("weight/visual")}; }
QStringList lossKeys() { return {QStringLiteral("loss/verification"), QStringLiteral("loss/caricature"), QStringLiteral("loss/visual")}; }
QStringList evalKeys() { return {QStringLiteral("eval/verification_acc"), QStringLiteral("eval/caricature_acc"), QStringLiteral("eval/visual_acc")}; }

QStringList gradCosKeys()
{
    QStringList keys;
    for (const char* pair : run::kTaskPairNames) keys << QStringLiteral("grad_cos/") + QLatin1String(pair);
    return keys;
}

QStringList gradNormKeys()
{
    QStringList keys;
    for (const char* task : run::kTaskNames) keys << QStringLiteral("grad_norm/") + QLatin1String(task);
    return keys;
}

QString bandKey(const QString& modality, const QString& stat, const QString& task) { return QStringLiteral("band/%1/%2/%3").arg(modality, stat, task); }

void RunCurves::add(const QString& key, double step, double epoch, double time, double value)
{
    if (std::isfinite(value)) series_[key].append(step, epoch, time, value);
}

void RunCurves::add(const QString& group, const std::optional<run::TaskValues>& v, double step, double epoch, double time)
{
    if (!v) return;
    for (size_t t = 0; t < run::kTaskNames.size(); ++t) add(group + QLatin1Char('/') + QLatin1String(run::kTaskNames[t]), step, epoch, time, (*v)[t]);
}

void RunCurves::addStep(const run::StepRecord& r)
{
    const double s = static_cast<double>(r.step), e = r.epoch, t = r.timeS;
    add(QStringLiteral("weight"), r.weight, s, e, t);
    add(QStringLiteral("loss"), r.loss, s, e, t);
    add(QStringLiteral("weight_raw"), r.weightRaw, s, e, t);
    if (r.totalLoss) add(QStringLiteral("total_loss"), s, e, t, *r.totalLoss);
    if (r.imagesPerS) add(QStringLiteral("images_per_s"), s, e, t, *r.imagesPerS);
    if (r.lr) add(QStringLiteral("lr"), s, e, t, *r.lr);
    addDiagnostics(r);
}

void RunCurves::addDiagnostics(const run::StepRecord& r)
{
    const double s = static_cast<double>(r.step), e = r.epoch, t = r.timeS;
    if (r.grad) {
        const QStringList cos = gradCosKeys();
        for (size_t k = 0; k < r.grad->cos.size(); ++k) add(cos[static_cast<int>(k)], s, e, t, r.grad->cos[k]);
        add(QStringLiteral("grad_norm"), r.grad->norm, s, e, t);
    }
    if (!r.weightByModality) return;
    auto modality = [&](const QString& name, const std::optional<run::ModalityWeights>& m) {
        if (!m) return;
        const std::array<std::pair<const char*, const run::TaskValues*>, 4> stats = {{{"mean", &m->mean}, {"q10", &m->q10}, {"q50", &m->q50}, {"q90", &m->q90}}};
        for (const auto& [stat, values] : stats)
            for (size_t k = 0; k < run::kTaskNames.size(); ++k)
                add(bandKey(name, QLatin1String(stat), QLatin1String(run::kTaskNames[k])), s, e, t, (*values)[k]);
    };
    modality(QStringLiteral("caricature"), r.weightByModality->caricature);
    modality(QStringLiteral("photo"), r.weightByModality->photo);
}

void RunCurves::addHeldOut(const run::HeldOutRecord& r)
{
    const double s = static_cast<double>(r.step), e = r.epoch, t = r.timeS;
    const run::HeldOutFigures& f = r.figures;
    auto figure = [&](const char* name, double v) { add(QStringLiteral("eval/") + QLatin1String(name), s, e, t, v); };
    auto pairs = [&](const std::string& prefix, const std::optional<run::PairFigures>& p) {
        if (!p) return;
        const std::array<std::pair<const char*, double>, 4> values = {
            {{"_acc", p->acc}, {"_acc_std", p->accStd}, {"_threshold", p->threshold}, {"_auc", p->auc}}};
        for (const auto& [suffix, v] : values) figure((prefix + suffix).c_str(), v);
    };
    if (!f.error.empty()) return;
    pairs("verification", f.verification);
    pairs("photo_verification", f.photoVerification);
    if (f.verificationIdAcc) figure("verification_id_acc", *f.verificationIdAcc);
    if (f.caricatureAcc) figure("caricature_acc", *f.caricatureAcc);
    if (f.visualAcc) figure("visual_acc", *f.visualAcc);
    figure("pairs", static_cast<double>(f.pairs));
    figure("photo_pairs", static_cast<double>(f.photoPairs));
    figure("caricatures", static_cast<double>(f.caricatures));
    figure("photos", static_cast<double>(f.photos));
}

void RunCurves::addRecord(const nlohmann::json& line)
{
    const run::MetricsRecord r = run::metricsRecordFromJson(line);
    if (const auto* s = std::get_if<run::StepRecord>(&r)) addStep(*s);
    if (const auto* h = std::get_if<run::HeldOutRecord>(&r)) addHeldOut(*h);
}

RunCurves RunCurves::fromRunDir(const QString& dir)
{
    const QString metrics = QDir(dir).filePath(QStringLiteral("metrics.jsonl"));
    if (!QDir(dir).exists(QStringLiteral("config.json"))) throw std::runtime_error(dir.toStdString() + ": not a run folder (no config.json)");
    const auto file = run::readMetricsFile(metrics.toStdString());
    RunCurves c(QDir(dir).dirName());
    // Train and eval records interleave in time; plots index by step so order within type suffices.
    for (const auto& r : file.train) c.addStep(r);
    for (const auto& r : file.heldOut) c.addHeldOut(r);
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
