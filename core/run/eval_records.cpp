#include "run/eval_records.h"

#include "io/atomic_file.h"
#include "run/json_fields.h"

#include <climits>
#include <cmath>
#include <filesystem>
#include <limits>

namespace carilab::run {

namespace {

using json = nlohmann::json;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// One object of the file and its dotted name, so that every error names the full key.
class Obj {
public:
    Obj(const json& j, std::string at) : j_(j), at_(std::move(at)) {}

    std::string name(const std::string& key) const { return at_.empty() ? key : at_ + "." + key; }
    [[noreturn]] void wrongType(const std::string& key, const char* want) const { throw EvalRecordError("\"" + name(key) + "\" is not " + want); }
    auto complaint() const
    {
        return [this](const std::string& key, const char* want) { wrongType(key, want); };
    }

    const json* field(const std::string& key) const { return json_fields::field(j_, key); }
    std::optional<double> optNumber(const std::string& key) const { return json_fields::optNumber(j_, key, complaint()); }
    std::optional<long long> optInteger(const std::string& key) const { return json_fields::optInteger(j_, key, complaint()); }
    std::string text(const std::string& key) const { return json_fields::text(j_, key, complaint()); }

    // A name written as a string or a whole number (fold "1" or 1, "all").
    std::string label(const std::string& key) const
    {
        const json* v = field(key);
        if (v && v->is_string()) return v->get<std::string>();
        return v ? std::to_string(*optInteger(key)) : std::string();
    }

    std::optional<bool> flag(const std::string& key) const
    {
        const json* v = field(key);
        if (v && !v->is_boolean()) wrongType(key, "true or false");
        return v ? std::optional<bool>(v->get<bool>()) : std::nullopt;
    }

    std::optional<Obj> object(const std::string& key) const
    {
        const json* v = field(key);
        if (v && !v->is_object()) wrongType(key, "an object");
        return v ? std::optional<Obj>(Obj(*v, name(key))) : std::nullopt;
    }

    // Each element through `each` (with its index); a missing key is an empty array.
    template <class F>
    void forEach(const std::string& key, F each) const
    {
        const json* v = field(key);
        if (v && !v->is_array()) wrongType(key, "an array");
        if (v)
            for (std::size_t i = 0; i < v->size(); ++i) each((*v)[i], name(key) + "[" + std::to_string(i) + "]");
    }

    std::vector<double> numbers(const std::string& key) const
    {
        std::vector<double> out;
        forEach(key, [&](const json& x, const std::string& at) {
            if (!x.is_null() && !x.is_number()) throw EvalRecordError("\"" + at + "\" is not a number");
            out.push_back(x.is_null() ? kNaN : x.get<double>());
        });
        return out;
    }

    // The named metrics the object holds as numbers; other keys (counts, names) are not metrics.
    MetricValues metrics(std::initializer_list<const char*> keys) const
    {
        MetricValues m;
        for (const char* k : keys)
            if (const auto v = optNumber(k)) m[k] = *v;
        return m;
    }

    MetricValues metricsOf(const std::string& key, std::initializer_list<const char*> keys) const
    {
        const auto o = object(key);
        return o ? o->metrics(keys) : MetricValues{};
    }

    const json& j() const { return j_; }
    const std::string& at() const { return at_; }

private:
    const json& j_;
    std::string at_;
};

const std::initializer_list<const char*> kVerificationMetrics = {"auc", "eer", "accuracy", "val_far_0.1%", "val_far_1%", "threshold"};
const std::initializer_list<const char*> kRankMetrics = {"rank1", "rank5", "rank10"};

Obj objectAt(const json& j, const std::string& at)
{
    if (!j.is_object()) throw EvalRecordError("\"" + at + "\" is not an object");
    return Obj(j, at);
}

ScoreHistogram histogram(const Obj& h)
{
    ScoreHistogram out;
    out.min = h.optNumber("min").value_or(kNaN);
    out.max = h.optNumber("max").value_or(kNaN);
    out.genuine = h.numbers("genuine");
    out.impostor = h.numbers("impostor");
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
    v.forEach("roc", [&](const json& p, const std::string& at) {
        auto coord = [&](std::size_t i) {
            if (!p[i].is_null() && !p[i].is_number()) throw EvalRecordError("\"" + at + "\" is not a (FAR, TAR) pair of numbers");
            return p[i].is_null() ? kNaN : p[i].get<double>();
        };
        if (!p.is_array() || p.size() != 2) throw EvalRecordError("\"" + at + "\" is not a (FAR, TAR) pair of numbers");
        out.roc.push_back({coord(0), coord(1)});
    });
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
    return {c.optNumber("caricature_acc"), c.optNumber("visual_acc"), c.optInteger("caricatures"), c.optInteger("photos"),
            c.optInteger("images_of_unknown_identities"), c.optNumber("caricature_acc_listed"), c.optNumber("visual_acc_listed"),
            c.optInteger("listed_identities")};
}

std::optional<CropRecord> crop(const Obj& parent)
{
    const auto c = parent.object("crop");
    if (!c) return std::nullopt;
    return CropRecord{c->text("face_crop"), c->text("split"), c->optInteger("images"), c->optInteger("images_with_face_box")};
}

ProtocolResult protocolResult(const Obj& o)
{
    ProtocolResult r;
    r.protocol = o.text("protocol");
    r.name = o.text("name");
    r.dataset = o.text("dataset");
    r.pairsFile = o.text("pairs_file");
    r.scoresCsv = o.text("scores_csv");
    r.checkpoint = o.text("checkpoint");
    r.precision = o.text("precision");
    if (const auto view = o.optInteger("view")) r.view = (int)*view;
    r.step = o.optInteger("step");
    r.images = o.optInteger("images");
    r.unreadableImages = o.optInteger("unreadable_images");
    r.shuffleSeed = o.optInteger("shuffle_seed");
    r.skipped = o.optInteger("skipped").value_or(0);
    o.forEach("issues", [&](const json& m, const std::string& at) {
        if (!m.is_string()) throw EvalRecordError("\"" + at + "\" is not a string");
        r.issues.push_back(m.get<std::string>());
    });
    r.mirrorAverage = o.flag("mirror_average");
    r.crop = crop(o);
    if (const auto v = o.object("verification")) r.verification = verification(*v);
    if (const auto id = o.object("identification")) r.identification = identification(*id);
    if (const auto id = o.object("identification_p2c")) r.identificationP2C = identification(*id);
    if (const auto c = o.object("classification")) r.classification = classification(*c);
    return r;
}

ImagesResult imagesResult(const Obj& o)
{
    ImagesResult r;
    r.protocol = o.text("protocol");
    r.dataset = o.text("dataset");
    r.model = o.text("model");
    r.precision = o.text("precision");
    r.closedSet = o.text("closed_set");
    r.mirrorAverage = o.flag("mirror_average");
    r.crop = crop(o);
    try {
        r.figures = heldOutFiguresFromJson(o.j());
    } catch (const MetricsRecordError& e) {
        throw EvalRecordError(o.at() + ": " + e.what());
    }
    return r;
}

BestRecord bestRecord(const Obj& o)
{
    BestRecord b;
    b.step = o.optInteger("step").value_or(0);
    b.score = o.optNumber("score").value_or(kNaN);
    b.scoreIs = o.text("score_is");
    b.heldOut = o.text("held_out");
    b.checkpoint = o.text("checkpoint");
    return b;
}

// eval.json's "held_out" is the "eval" line of metrics.jsonl; the oldest lack its "type".
HeldOutRecord heldOutRecord(const json& j)
{
    if (!j.is_object()) throw EvalRecordError("\"held_out\" is not an object");
    json line = j;
    if (!line.contains("type")) line["type"] = "eval";
    try {
        const MetricsRecord r = metricsRecordFromJson(line);
        if (const auto* h = std::get_if<HeldOutRecord>(&r)) return *h;
        throw MetricsRecordError("\"type\" is not \"eval\"");
    } catch (const MetricsRecordError& e) {
        throw EvalRecordError(std::string("held_out: ") + e.what());
    }
}

}  // namespace

json toJson(const BestRecord& b)
{
    return {{"step", b.step}, {"score", b.score}, {"score_is", b.scoreIs}, {"held_out", b.heldOut}, {"checkpoint", b.checkpoint}};
}

json toJson(const CropRecord& c)
{
    json j = {{"face_crop", c.faceCrop}, {"split", c.split}};
    if (c.images) j["images"] = *c.images;
    if (c.imagesWithFaceBox) j["images_with_face_box"] = *c.imagesWithFaceBox;
    return j;
}

json toJson(const ImagesResult& r)
{
    json j = toJson(r.figures);
    j["protocol"] = r.protocol;
    j["dataset"] = r.dataset;
    if (!r.model.empty()) j["model"] = r.model;
    if (!r.precision.empty()) j["precision"] = r.precision;
    if (!r.closedSet.empty()) j["closed_set"] = r.closedSet;
    if (r.mirrorAverage) j["mirror_average"] = *r.mirrorAverage;
    if (r.crop) j["crop"] = toJson(*r.crop);
    return j;
}

BestRecord bestRecordFromJson(const json& j) { return bestRecord(objectAt(j, "best")); }

ProtocolResult protocolResultFromJson(const json& j) { return protocolResult(objectAt(j, "")); }

ImagesResult imagesResultFromJson(const json& j) { return imagesResult(objectAt(j, "")); }

EvalFile evalFileFromJson(const json& j)
{
    if (!j.is_object()) throw EvalRecordError("not a JSON object");
    const Obj top(j, "");
    EvalFile f;
    if (const json* h = top.field("held_out")) f.heldOut = heldOutRecord(*h);
    if (const auto b = top.object("best")) f.best = bestRecord(*b);
    if (const auto p = top.object("protocols"))
        for (auto it = p->j().begin(); it != p->j().end(); ++it) f.protocols[it.key()] = protocolResult(objectAt(*it, p->name(it.key())));
    for (const char* key : {"all_images", "all_images+mirror"})
        if (const auto r = top.object(key)) f.images[key] = imagesResult(*r);
    return f;
}

EvalFile readEvalFile(const std::string& path)
{
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return {};
    const json j = json::parse(io::readFile(path), nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) throw EvalRecordError(path + ": not valid JSON");
    try {
        return evalFileFromJson(j);
    } catch (const EvalRecordError& e) {
        throw EvalRecordError(path + ": " + e.what());
    }
}

}  // namespace carilab::run
