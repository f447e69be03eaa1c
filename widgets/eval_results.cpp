#include "eval_results.h"

#include "run/eval_records.h"

#include <QDir>
#include <QFileInfo>
#include <QStringList>

#include <cmath>

namespace carilab::widgets {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

QString q(const std::string& s) { return QString::fromStdString(s); }

long long count(const std::optional<long long>& n) { return n.value_or(-1); }

// Only finite values: the tables tell "not computed" by absence.
Metrics metrics(const run::MetricValues& m)
{
    Metrics out;
    for (const auto& [name, v] : m)
        if (std::isfinite(v)) out.insert(q(name), v);
    return out;
}

Verification toView(const run::VerificationResult& v)
{
    Verification out;
    for (const auto& f : v.folds)
        out.folds.push_back({q(f.fold), metrics(f.metrics), count(f.pairs), count(f.positives), count(f.negatives), q(f.thresholdFrom)});
    out.mean = metrics(v.mean);
    out.stdev = metrics(v.stdev);
    out.pooled = metrics(v.pooled);
    out.pooledPairs = count(v.pooledPairs);
    for (const auto& [far, tar] : v.roc)
        if (std::isfinite(far) && std::isfinite(tar)) out.roc.push_back({far, tar});
    if (const auto& h = v.histogram) {
        if (std::isfinite(h->min) && std::isfinite(h->max) && h->max > h->min) {
            out.histMin = h->min;
            out.histMax = h->max;
        }
        out.genuine = QVector<double>(h->genuine.begin(), h->genuine.end());
        out.impostor = QVector<double>(h->impostor.begin(), h->impostor.end());
    }
    return out;
}

Identification toView(const run::IdentificationResult& id)
{
    Identification out;
    out.direction = q(id.direction);
    for (const auto& f : id.folds)
        out.folds.push_back({q(f.fold), metrics(f.metrics), count(f.probes), count(f.gallery), count(f.probesWithoutMate)});
    out.mean = metrics(id.mean);
    out.stdev = metrics(id.stdev);
    out.cmc = QVector<double>(id.cmc.begin(), id.cmc.end());
    return out;
}

ProtocolResult toView(const std::string& key, const run::ProtocolResult& p)
{
    ProtocolResult r;
    r.key = q(key);
    r.protocol = q(p.protocol);
    r.name = q(p.name);
    r.dataset = q(p.dataset);
    r.checkpoint = q(p.checkpoint);
    r.scoresCsv = q(p.scoresCsv);
    r.view = std::max(0, p.view.value_or(0));
    r.mirror = p.mirrorAverage.value_or(r.key.endsWith(QLatin1String("+mirror")));  // older files lack the flag
    r.zoomOut = QVector<double>(p.zoomOut.begin(), p.zoomOut.end());
    r.step = count(p.step);
    r.images = count(p.images);
    r.unreadableImages = count(p.unreadableImages);
    r.skipped = std::max(0LL, p.skipped);
    for (const auto& m : p.issues) r.issues << q(m);
    if (p.verification) r.verification = toView(*p.verification);
    if (p.identification) r.identification = toView(*p.identification);
    if (const auto& c = p.classification)
        r.classification = Classification{c->caricatureAcc.value_or(kNaN),
                                          c->visualAcc.value_or(kNaN),
                                          count(c->caricatures),
                                          count(c->photos),
                                          count(c->imagesOfUnknownIdentities),
                                          c->caricatureAccListed.value_or(kNaN),
                                          c->visualAccListed.value_or(kNaN),
                                          count(c->listedIdentities)};
    return r;
}

// The held-out figures' pair kinds; absent when the kind was not measured.
std::optional<ImagesVerification> toView(const std::optional<run::PairFigures>& f, long long pairs)
{
    if (!f || !std::isfinite(f->acc)) return std::nullopt;
    return ImagesVerification{f->acc, f->accStd, f->auc, f->threshold, pairs};
}

ImagesResult toView(const std::string& key, const run::ImagesResult& im)
{
    ImagesResult r;
    r.key = q(key);
    r.dataset = q(im.dataset);
    r.model = q(im.model);
    r.precision = q(im.precision);
    r.mirror = im.mirrorAverage.value_or(r.key.endsWith(QLatin1String("+mirror")));
    r.zoomOut = QVector<double>(im.zoomOut.begin(), im.zoomOut.end());
    const run::HeldOutFigures& f = im.figures;
    // An older file without the counts shows dashes, not zeros.
    r.caricatures = f.caricatures > 0 || f.photos > 0 ? f.caricatures : -1;
    r.photos = f.caricatures > 0 || f.photos > 0 ? f.photos : -1;
    r.caricaturePhoto = toView(f.verification, f.pairs);
    r.photoPhoto = toView(f.photoVerification, f.photoPairs);
    r.caricatureAcc = f.caricatureAcc.value_or(kNaN);
    r.visualAcc = f.visualAcc.value_or(kNaN);
    return r;
}

// The test-time views a result was computed with, in words: " (mirror, zoom-out 1.1)"; nothing
// without views.
QString testViewsNote(bool mirror, const QVector<double>& zoomOut)
{
    QStringList views;
    if (mirror) views << QStringLiteral("mirror");
    for (double z : zoomOut) views << QStringLiteral("zoom-out %1").arg(z);
    return views.isEmpty() ? QString() : QStringLiteral(" (") + views.join(QStringLiteral(", ")) + QLatin1Char(')');
}

QString csvField(const QString& s)
{
    if (!s.contains(QLatin1Char(',')) && !s.contains(QLatin1Char('"')) && !s.contains(QLatin1Char('\n'))) return s;
    QString q = s;
    q.replace(QLatin1Char('"'), QStringLiteral("\"\""));
    return QLatin1Char('"') + q + QLatin1Char('"');
}

}  // namespace

QString ProtocolResult::label() const
{
    QString l = name.isEmpty() ? key : name;
    if (view > 0 && !l.contains(QStringLiteral("view"), Qt::CaseInsensitive)) l += QStringLiteral(" view %1").arg(view);
    l += testViewsNote(mirror, zoomOut);
    if (step >= 0) l += QStringLiteral(" — step %1").arg(step);
    return l;
}

QString ImagesResult::label() const
{
    QString l = QStringLiteral("all images");
    l += testViewsNote(mirror, zoomOut);
    if (!model.isEmpty()) l += QStringLiteral(" — ") + QFileInfo(model).fileName();
    return l;
}

const ProtocolResult* RunEvaluation::find(const QString& key) const
{
    for (const auto& p : protocols)
        if (p.key == key) return &p;
    return nullptr;
}

const ImagesResult* RunEvaluation::findImages(const QString& key) const
{
    for (const auto& r : images)
        if (r.key == key) return &r;
    return nullptr;
}

RunEvaluation loadRunEvaluation(const QString& runDir)
{
    RunEvaluation out;
    out.runDir = runDir;
    try {
        const run::EvalFile f = run::readEvalFile(QDir(runDir).filePath(QStringLiteral("eval.json")).toStdString());
        for (const auto& [key, p] : f.protocols) out.protocols.push_back(toView(key, p));
        for (const auto& [key, im] : f.images) out.images.push_back(toView(key, im));
    } catch (const std::exception& e) {
        out.error = QString::fromStdString(e.what());
    }
    return out;
}

QString formatPercent(double rate) { return std::isfinite(rate) ? QString::number(100.0 * rate, 'f', 2) + QLatin1Char('%') : QStringLiteral("–"); }

QString formatMeanStd(const Metrics& mean, const Metrics& stdev, const QString& metric)
{
    if (!mean.contains(metric)) return QStringLiteral("–");
    const QString m = formatPercent(mean.value(metric));
    if (!stdev.contains(metric)) return m;
    return m + QStringLiteral(" ± ") + QString::number(100.0 * stdev.value(metric), 'f', 2);
}

QString formatCount(long long n) { return n >= 0 ? QString::number(n) : QStringLiteral("–"); }

QString resultsCsv(const ProtocolResult& r)
{
    QString out = QStringLiteral("protocol,section,row,metric,value\n");
    const QString key = csvField(r.key);
    auto row = [&](const char* section, const QString& name, const QString& metric, double v) {
        out += key + QLatin1Char(',') + QLatin1String(section) + QLatin1Char(',') + csvField(name) + QLatin1Char(',') + csvField(metric) +
            QLatin1Char(',') + (std::isfinite(v) ? QString::number(v, 'g', 10) : QString()) + QLatin1Char('\n');
    };
    auto countRow = [&](const char* section, const QString& name, const char* metric, long long n) {
        row(section, name, QString::fromLatin1(metric), n >= 0 ? static_cast<double>(n) : kNaN);
    };
    auto rows = [&](const char* section, const QString& name, const Metrics& m) {
        for (auto it = m.constBegin(); it != m.constEnd(); ++it) row(section, name, it.key(), it.value());
    };
    if (const auto& v = r.verification) {
        for (const auto& f : v->folds) {
            rows("verification", QStringLiteral("fold ") + f.fold, f.metrics);
            countRow("verification", QStringLiteral("fold ") + f.fold, "pairs", f.pairs);
        }
        rows("verification", QStringLiteral("mean"), v->mean);
        rows("verification", QStringLiteral("std"), v->stdev);
        rows("verification", QStringLiteral("pooled"), v->pooled);
        countRow("verification", QStringLiteral("pooled"), "pairs", v->pooledPairs);
    }
    if (const auto& id = r.identification) {
        for (const auto& f : id->folds) {
            rows("identification", QStringLiteral("fold ") + f.fold, f.metrics);
            countRow("identification", QStringLiteral("fold ") + f.fold, "probes", f.probes);
            countRow("identification", QStringLiteral("fold ") + f.fold, "gallery", f.gallery);
        }
        rows("identification", QStringLiteral("mean"), id->mean);
        rows("identification", QStringLiteral("std"), id->stdev);
    }
    if (const auto& c = r.classification) {
        row("classification", QStringLiteral("caricature branch"), QStringLiteral("accuracy"), c->caricatureAcc);
        countRow("classification", QStringLiteral("caricature branch"), "images", c->caricatures);
        row("classification", QStringLiteral("visual branch"), QStringLiteral("accuracy"), c->visualAcc);
        countRow("classification", QStringLiteral("visual branch"), "images", c->photos);
        if (c->listedIdentities > 0) {
            row("classification", QStringLiteral("caricature branch, listed identities"), QStringLiteral("accuracy"), c->caricatureAccListed);
            row("classification", QStringLiteral("visual branch, listed identities"), QStringLiteral("accuracy"), c->visualAccListed);
            countRow("classification", QStringLiteral("listed identities"), "identities", c->listedIdentities);
        }
    }
    return out;
}

}  // namespace carilab::widgets
