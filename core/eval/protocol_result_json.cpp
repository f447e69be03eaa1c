// The one JSON writer and reader of a protocol result (eval/protocol_result.h).
#include "eval/protocol_result.h"

#include "eval/protocol_result_fields.h"

#include <cmath>
#include <limits>

namespace carilab::eval {

namespace {

using nlohmann::json;
using result_fields::Obj;
using result_fields::objectAt;

const std::initializer_list<const char*> kVerificationMetrics = {"auc", "eer", "accuracy", "val_far_0.1%", "val_far_1%", "threshold"};
const std::initializer_list<const char*> kPooledMetrics = {"auc", "eer", "val_far_0.1%", "val_far_1%"};
const std::initializer_list<const char*> kRankMetrics = {"rank1", "rank5", "rank10"};

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Every key of `always` (NaN when not computed), then whatever else the map holds. NaN stays a
// number in memory, as callers that get<double>() have always seen it; it is written as null.
json metricsJson(const MetricValues& m, std::initializer_list<const char*> always = {})
{
    json j = json::object();
    for (const char* k : always) j[k] = kNaN;
    for (const auto& [k, v] : m) j[k] = v;
    return j;
}

void putCount(json& j, const char* key, const std::optional<long long>& n)
{
    if (n) j[key] = *n;
}

// Verification folds have always been numbered; other labels stay text.
json foldLabel(const std::string& fold)
{
    const bool numeric = !fold.empty() && fold.size() < 10 && fold.find_first_not_of("0123456789") == std::string::npos;
    return numeric ? json(std::stoll(fold)) : json(fold);
}

json countsJson(const std::vector<double>& counts)
{
    json a = json::array();
    for (double c : counts) a.push_back(std::isfinite(c) ? json(static_cast<long long>(c)) : json(nullptr));
    return a;
}

json foldJson(const VerificationFold& f)
{
    json j = metricsJson(f.metrics, kVerificationMetrics);
    j["fold"] = foldLabel(f.fold);
    putCount(j, "pairs", f.pairs);
    putCount(j, "positives", f.positives);
    putCount(j, "negatives", f.negatives);
    j["threshold_from"] = f.thresholdFrom;
    return j;
}

ScoreHistogram histogram(const Obj& h)
{
    return {h.optNumber("min").value_or(kNaN), h.optNumber("max").value_or(kNaN), h.numbers("genuine"), h.numbers("impostor")};
}

std::vector<std::array<double, 2>> roc(const Obj& v)
{
    std::vector<std::array<double, 2>> out;
    v.forEach("roc", [&](const json& p, const std::string& at) {
        const auto bad = [&] { return ResultRecordError("\"" + at + "\" is not a (FAR, TAR) pair of numbers"); };
        if (!p.is_array() || p.size() != 2) throw bad();
        std::array<double, 2> xy{};
        for (std::size_t i = 0; i < 2; ++i) {
            if (!p[i].is_null() && !p[i].is_number()) throw bad();
            xy[i] = p[i].is_null() ? kNaN : p[i].get<double>();
        }
        out.push_back(xy);
    });
    return out;
}

VerificationResult verification(const Obj& v)
{
    VerificationResult out;
    v.forEach("folds", [&](const json& f, const std::string& at) {
        const Obj o = objectAt(f, at);
        out.folds.push_back({o.label("fold"), o.metrics(kVerificationMetrics), o.optInteger("pairs"), o.optInteger("positives"),
                             o.optInteger("negatives"), o.text("threshold_from")});
    });
    out.mean = v.metricsOf("mean", kVerificationMetrics);
    out.stdev = v.metricsOf("std", kVerificationMetrics);
    out.pooled = v.metricsOf("pooled", kVerificationMetrics);
    if (const auto p = v.object("pooled")) out.pooledPairs = p->optInteger("pairs");
    out.pairsDroppedUnreadable = v.optInteger("pairs_dropped_unreadable");
    out.roc = roc(v);
    if (const auto h = v.object("histogram")) out.histogram = histogram(*h);
    return out;
}

IdentificationResult identification(const Obj& id)
{
    IdentificationResult out;
    out.direction = id.text("direction");
    id.forEach("folds", [&](const json& f, const std::string& at) {
        const Obj o = objectAt(f, at);
        out.folds.push_back(
            {o.label("fold"), o.metrics(kRankMetrics), o.optInteger("probes"), o.optInteger("gallery"), o.optInteger("probes_without_mate")});
    });
    out.mean = id.metricsOf("mean", kRankMetrics);
    out.stdev = id.metricsOf("std", kRankMetrics);
    out.cmc = id.numbers("cmc");
    return out;
}

ClassificationResult classification(const Obj& c)
{
    return {c.optFigure("caricature_acc"),
            c.optFigure("visual_acc"),
            c.optInteger("caricatures"),
            c.optInteger("photos"),
            c.optInteger("images_of_unknown_identities"),
            c.optFigure("caricature_acc_listed"),
            c.optFigure("visual_acc_listed"),
            c.optInteger("listed_identities")};
}

json figure(const std::optional<double>& v) { return v.value_or(kNaN); }

}  // namespace

json toJson(const VerificationResult& v)
{
    json folds = json::array();
    for (const auto& f : v.folds) folds.push_back(foldJson(f));
    json pooled = metricsJson(v.pooled, kPooledMetrics);
    putCount(pooled, "pairs", v.pooledPairs);
    json roc = json::array();
    for (const auto& [far, tar] : v.roc) roc.push_back({far, tar});
    json j = {{"folds", folds}, {"mean", metricsJson(v.mean)}, {"std", metricsJson(v.stdev)}, {"pooled", pooled}, {"roc", roc}};
    if (const auto& h = v.histogram)
        j["histogram"] = {{"min", h->min}, {"max", h->max}, {"genuine", countsJson(h->genuine)}, {"impostor", countsJson(h->impostor)}};
    putCount(j, "pairs_dropped_unreadable", v.pairsDroppedUnreadable);
    return j;
}

json toJson(const IdentificationResult& id)
{
    json folds = json::array();
    for (const auto& f : id.folds) {
        json fj = metricsJson(f.metrics, kRankMetrics);
        fj["fold"] = f.fold;
        putCount(fj, "probes", f.probes);
        putCount(fj, "gallery", f.gallery);
        putCount(fj, "probes_without_mate", f.probesWithoutMate);
        folds.push_back(fj);
    }
    json cmc = json::array();
    for (double v : id.cmc) cmc.push_back(v);
    return {{"direction", id.direction}, {"folds", folds}, {"mean", metricsJson(id.mean)}, {"std", metricsJson(id.stdev)}, {"cmc", cmc}};
}

json toJson(const ClassificationResult& c)
{
    json j = {{"caricature_acc", figure(c.caricatureAcc)}, {"visual_acc", figure(c.visualAcc)}};
    putCount(j, "caricatures", c.caricatures);
    putCount(j, "photos", c.photos);
    putCount(j, "images_of_unknown_identities", c.imagesOfUnknownIdentities);
    if (c.listedIdentities) {
        j["listed_identities"] = *c.listedIdentities;
        j["caricature_acc_listed"] = figure(c.caricatureAccListed);
        j["visual_acc_listed"] = figure(c.visualAccListed);
    }
    return j;
}

json toJson(const ProtocolOutcome& r)
{
    json j = {{"protocol", r.protocol}, {"name", r.name}, {"dataset", r.dataset}, {"skipped", r.skipped}, {"issues", r.issues}};
    if (!r.pairsFile.empty()) j["pairs_file"] = r.pairsFile;
    if (!r.scoresCsv.empty()) j["scores_csv"] = r.scoresCsv;
    if (!r.precision.empty()) j["precision"] = r.precision;
    if (r.view) j["view"] = *r.view;
    putCount(j, "shuffle_seed", r.shuffleSeed);
    putCount(j, "images", r.images);
    putCount(j, "unreadable_images", r.unreadableImages);
    if (r.verification) j["verification"] = toJson(*r.verification);
    if (r.identification) j["identification"] = toJson(*r.identification);
    if (r.identificationP2C) j["identification_p2c"] = toJson(*r.identificationP2C);
    if (r.classification) j["classification"] = toJson(*r.classification);
    return j;
}

ProtocolOutcome protocolOutcomeFromJson(const json& j, const std::string& at)
{
    const Obj o = objectAt(j, at);
    ProtocolOutcome r;
    r.protocol = o.text("protocol");
    r.name = o.text("name");
    r.dataset = o.text("dataset");
    r.pairsFile = o.text("pairs_file");
    r.scoresCsv = o.text("scores_csv");
    r.precision = o.text("precision");
    if (const auto view = o.optInteger("view")) r.view = static_cast<int>(*view);
    r.images = o.optInteger("images");
    r.unreadableImages = o.optInteger("unreadable_images");
    r.shuffleSeed = o.optInteger("shuffle_seed");
    r.skipped = o.optInteger("skipped").value_or(0);
    r.issues = o.texts("issues");
    if (const auto v = o.object("verification")) r.verification = verification(*v);
    if (const auto id = o.object("identification")) r.identification = identification(*id);
    if (const auto id = o.object("identification_p2c")) r.identificationP2C = identification(*id);
    if (const auto c = o.object("classification")) r.classification = classification(*c);
    return r;
}

}  // namespace carilab::eval
