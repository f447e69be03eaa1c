#include "eval_results.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <cmath>

namespace carilab::widgets {

namespace {

using nlohmann::json;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// eval.json comes from a tool that may change, or from an older version: every read tolerates
// a missing key or a value of the wrong type.
double number(const json& j, const char* key)
{
    if (!j.is_object()) return kNaN;
    const auto it = j.find(key);
    return it != j.end() && it->is_number() ? it->get<double>() : kNaN;
}

long long count(const json& j, const char* key)
{
    const double v = number(j, key);
    return std::isfinite(v) ? (long long)std::llround(v) : -1;
}

QString text(const json& j, const char* key)
{
    if (!j.is_object()) return {};
    const auto it = j.find(key);
    if (it == j.end()) return {};
    if (it->is_string()) return QString::fromStdString(it->get<std::string>());
    if (it->is_number_integer()) return QString::number(it->get<long long>());
    return {};
}

const json& member(const json& j, const char* key)
{
    static const json null;
    if (!j.is_object()) return null;
    const auto it = j.find(key);
    return it == j.end() ? null : *it;
}

Metrics metrics(const json& j, std::initializer_list<const char*> keys)
{
    Metrics m;
    for (const char* k : keys)
        if (const double v = number(j, k); std::isfinite(v)) m.insert(QString::fromLatin1(k), v);
    return m;
}

QVector<double> numbers(const json& a)
{
    QVector<double> out;
    if (!a.is_array()) return out;
    for (const auto& v : a) out.push_back(v.is_number() ? v.get<double>() : kNaN);
    return out;
}

const std::initializer_list<const char*> kVerificationMetrics = {"auc", "eer", "accuracy", "val_far_0.1%", "val_far_1%", "threshold"};
const std::initializer_list<const char*> kRankMetrics = {"rank1", "rank5", "rank10"};

Verification parseVerification(const json& v)
{
    Verification out;
    for (const auto& f : member(v, "folds")) {
        VerificationFold fold;
        fold.fold = text(f, "fold");
        fold.metrics = metrics(f, kVerificationMetrics);
        fold.pairs = count(f, "pairs");
        fold.positives = count(f, "positives");
        fold.negatives = count(f, "negatives");
        fold.thresholdFrom = text(f, "threshold_from");
        out.folds.push_back(fold);
    }
    out.mean = metrics(member(v, "mean"), kVerificationMetrics);
    out.stdev = metrics(member(v, "std"), kVerificationMetrics);
    out.pooled = metrics(member(v, "pooled"), kVerificationMetrics);
    out.pooledPairs = count(member(v, "pooled"), "pairs");
    for (const auto& p : member(v, "roc")) {
        if (!p.is_array() || p.size() != 2 || !p[0].is_number() || !p[1].is_number()) continue;
        out.roc.push_back({p[0].get<double>(), p[1].get<double>()});
    }
    const json& h = member(v, "histogram");
    if (const double lo = number(h, "min"), hi = number(h, "max"); std::isfinite(lo) && std::isfinite(hi) && hi > lo) {
        out.histMin = lo;
        out.histMax = hi;
    }
    out.genuine = numbers(member(h, "genuine"));
    out.impostor = numbers(member(h, "impostor"));
    return out;
}

Identification parseIdentification(const json& id)
{
    Identification out;
    out.direction = text(id, "direction");
    for (const auto& f : member(id, "folds")) {
        IdentificationFold fold;
        fold.fold = text(f, "fold");
        fold.metrics = metrics(f, kRankMetrics);
        fold.probes = count(f, "probes");
        fold.gallery = count(f, "gallery");
        fold.probesWithoutMate = count(f, "probes_without_mate");
        out.folds.push_back(fold);
    }
    out.mean = metrics(member(id, "mean"), kRankMetrics);
    out.stdev = metrics(member(id, "std"), kRankMetrics);
    out.cmc = numbers(member(id, "cmc"));
    return out;
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
    if (key.endsWith(QLatin1String("+mirror"))) l += QStringLiteral(" (mirror)");
    if (step >= 0) l += QStringLiteral(" — step %1").arg(step);
    return l;
}

QString ImagesResult::label() const
{
    QString l = QStringLiteral("all images");
    if (mirror) l += QStringLiteral(" (mirror)");
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

ImagesResult parseImagesResult(const QString& key, const json& j)
{
    ImagesResult r;
    r.key = key;
    r.dataset = text(j, "dataset");
    r.model = text(j, "model");
    r.precision = text(j, "precision");
    r.mirror = member(j, "mirror_average").is_boolean() ? member(j, "mirror_average").get<bool>() : key.endsWith(QLatin1String("+mirror"));
    r.caricatures = count(j, "caricatures");
    r.photos = count(j, "photos");
    // The two pair kinds share one naming scheme: <prefix>_acc, _acc_std, _auc, _threshold.
    auto pairs = [&](const std::string& prefix, const char* pairsKey) -> std::optional<ImagesVerification> {
        if (!std::isfinite(number(j, (prefix + "_acc").c_str()))) return std::nullopt;
        ImagesVerification v;
        v.accuracy = number(j, (prefix + "_acc").c_str());
        v.accuracyStd = number(j, (prefix + "_acc_std").c_str());
        v.auc = number(j, (prefix + "_auc").c_str());
        v.threshold = number(j, (prefix + "_threshold").c_str());
        v.pairs = count(j, pairsKey);
        return v;
    };
    r.caricaturePhoto = pairs("verification", "pairs");
    r.photoPhoto = pairs("photo_verification", "photo_pairs");
    r.caricatureAcc = number(j, "caricature_acc");
    r.visualAcc = number(j, "visual_acc");
    return r;
}

ProtocolResult parseProtocolResult(const QString& key, const json& j)
{
    ProtocolResult r;
    r.key = key;
    r.protocol = text(j, "protocol");
    r.name = text(j, "name");
    r.dataset = text(j, "dataset");
    r.checkpoint = text(j, "checkpoint");
    r.scoresCsv = text(j, "scores_csv");
    r.view = int(std::max(0LL, count(j, "view")));
    r.step = count(j, "step");
    r.images = count(j, "images");
    r.unreadableImages = count(j, "unreadable_images");
    r.skipped = std::max(0LL, count(j, "skipped"));
    for (const auto& m : member(j, "issues"))
        if (m.is_string()) r.issues << QString::fromStdString(m.get<std::string>());
    if (member(j, "verification").is_object()) r.verification = parseVerification(j["verification"]);
    if (member(j, "identification").is_object()) r.identification = parseIdentification(j["identification"]);
    if (const json& c = member(j, "classification"); c.is_object()) {
        Classification cl;
        cl.caricatureAcc = number(c, "caricature_acc");
        cl.visualAcc = number(c, "visual_acc");
        cl.caricatures = count(c, "caricatures");
        cl.photos = count(c, "photos");
        cl.unknownIdentities = count(c, "images_of_unknown_identities");
        r.classification = cl;
    }
    return r;
}

RunEvaluation loadRunEvaluation(const QString& runDir)
{
    RunEvaluation out;
    out.runDir = runDir;
    QFile f(QDir(runDir).filePath(QStringLiteral("eval.json")));
    if (!f.exists()) return out;
    if (!f.open(QIODevice::ReadOnly)) {
        out.error = f.fileName() + QStringLiteral(": ") + f.errorString();
        return out;
    }
    const QByteArray bytes = f.readAll();
    const json j = json::parse(bytes.constBegin(), bytes.constEnd(), nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) {
        out.error = f.fileName() + QStringLiteral(": not valid JSON");
        return out;
    }
    const json& protocols = member(j, "protocols");
    if (protocols.is_object())
        for (auto it = protocols.begin(); it != protocols.end(); ++it)
            if (it->is_object()) out.protocols.push_back(parseProtocolResult(QString::fromStdString(it.key()), *it));
    for (const char* key : {"all_images", "all_images+mirror"})
        if (const json& r = member(j, key); r.is_object()) out.images.push_back(parseImagesResult(QString::fromLatin1(key), r));
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
        row(section, name, QString::fromLatin1(metric), n >= 0 ? double(n) : kNaN);
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
    }
    return out;
}

}  // namespace carilab::widgets
