#include "run/metrics_records.h"

#include "io/json_fields.h"

#include <climits>
#include <cmath>
#include <limits>

namespace carilab::run {

namespace {

using json = nlohmann::json;
namespace json_fields = io::json_fields;

constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();

[[noreturn]] void wrongType(const std::string& key, const char* want) { throw MetricsRecordError("\"" + key + "\" is not " + want); }

const json* field(const json& j, const std::string& key) { return json_fields::field(j, key); }
std::optional<double> optNumber(const json& j, const std::string& key) { return json_fields::optNumber(j, key, wrongType); }
double number(const json& j, const std::string& key, double missing = 0) { return optNumber(j, key).value_or(missing); }
std::optional<long long> optInteger(const json& j, const std::string& key) { return json_fields::optInteger(j, key, wrongType); }
std::string text(const json& j, const std::string& key) { return json_fields::text(j, key, wrongType); }

// An object of three numbers named by `names` (tasks or task pairs); a missing or null one is NaN.
std::optional<TaskValues> namedValues(const json& j, const std::string& key, const std::array<const char*, 3>& names)
{
    const json* v = field(j, key);
    if (!v) return std::nullopt;
    if (!v->is_object()) wrongType(key, "an object of per-task numbers");
    TaskValues out{};
    for (size_t t = 0; t < names.size(); ++t) {
        const json* x = field(*v, names[t]);
        if (x && !x->is_number()) wrongType(key + "." + names[t], "a number");
        out[t] = x ? x->get<double>() : kMissing;
    }
    return out;
}

std::optional<TaskValues> taskValues(const json& j, const std::string& key) { return namedValues(j, key, kTaskNames); }

const json* object(const json& j, const std::string& key)
{
    const json* v = field(j, key);
    if (v && !v->is_object()) wrongType(key, "an object");
    return v;
}

// Reads a nested object with `read`, naming a wrong key by its whole path ("grad.norm.visual").
template <class Read>
auto within(const std::string& prefix, Read&& read)
{
    try {
        return read();
    } catch (const MetricsRecordError& e) {
        const std::string what = e.what();  // "\"key\" is not ..."
        throw MetricsRecordError("\"" + prefix + "." + what.substr(1));
    }
}

std::optional<GradRecord> gradRecord(const json& j)
{
    const json* g = object(j, "grad");
    if (!g) return std::nullopt;
    return within("grad", [&] {
        GradRecord r;
        r.cos = namedValues(*g, "cos", kTaskPairNames).value_or(PairValues{kMissing, kMissing, kMissing});
        r.norm = taskValues(*g, "norm").value_or(TaskValues{kMissing, kMissing, kMissing});
        r.parameters = optInteger(*g, "parameters").value_or(0);
        return std::optional<GradRecord>(r);
    });
}

std::optional<ModalityWeights> modalityWeights(const json& j, const std::string& key)
{
    const json* m = object(j, key);
    if (!m) return std::nullopt;
    return within(key, [&] {
        const TaskValues none{kMissing, kMissing, kMissing};
        ModalityWeights w;
        w.samples = optInteger(*m, "samples").value_or(0);
        w.mean = taskValues(*m, "mean").value_or(none);
        w.q10 = taskValues(*m, "q10").value_or(none);
        w.q50 = taskValues(*m, "q50").value_or(none);
        w.q90 = taskValues(*m, "q90").value_or(none);
        return std::optional<ModalityWeights>(w);
    });
}

std::optional<WeightByModality> weightByModality(const json& j)
{
    const json* m = object(j, "weight_by_modality");
    if (!m) return std::nullopt;
    return within("weight_by_modality", [&] { return std::optional<WeightByModality>({modalityWeights(*m, "caricature"), modalityWeights(*m, "photo")}); });
}

std::map<std::string, double> numberMap(const json& j, const std::string& key)
{
    std::map<std::string, double> out;
    const json* v = field(j, key);
    if (!v) return out;
    if (!v->is_object()) wrongType(key, "an object of numbers");
    for (auto it = v->begin(); it != v->end(); ++it) {
        if (it->is_null()) continue;
        if (!it->is_number()) wrongType(key + "." + it.key(), "a number");
        out[it.key()] = it->get<double>();
    }
    return out;
}

std::optional<PairFigures> pairFigures(const json& j, const std::string& prefix)
{
    const auto acc = optNumber(j, prefix + "_acc"), accStd = optNumber(j, prefix + "_acc_std");
    const auto threshold = optNumber(j, prefix + "_threshold"), auc = optNumber(j, prefix + "_auc");
    if (!acc && !accStd && !threshold && !auc) return std::nullopt;
    return PairFigures{acc.value_or(kMissing), accStd.value_or(kMissing), threshold.value_or(kMissing), auc.value_or(kMissing)};
}

json perTask(const TaskValues& v, const std::array<const char*, 3>& names = kTaskNames)
{
    json j = json::object();
    for (size_t t = 0; t < names.size(); ++t) j[names[t]] = v[t];
    return j;
}

void put(json& j, const std::optional<GradRecord>& g)
{
    if (g) j["grad"] = {{"cos", perTask(g->cos, kTaskPairNames)}, {"norm", perTask(g->norm)}, {"parameters", g->parameters}};
}

void put(json& j, const std::optional<WeightByModality>& w)
{
    if (!w) return;
    json m = json::object();
    auto one = [&](const char* name, const std::optional<ModalityWeights>& x) {
        if (x)
            m[name] = {{"samples", x->samples}, {"mean", perTask(x->mean)}, {"q10", perTask(x->q10)}, {"q50", perTask(x->q50)}, {"q90", perTask(x->q90)}};
    };
    one("caricature", w->caricature);
    one("photo", w->photo);
    j["weight_by_modality"] = m;
}

void put(json& j, const char* key, const std::optional<double>& v)
{
    if (v) j[key] = *v;
}

void put(json& j, const char* key, const std::optional<TaskValues>& v)
{
    if (v) j[key] = perTask(*v);
}

void put(json& j, const std::string& prefix, const std::optional<PairFigures>& f)
{
    if (!f) return;
    j[prefix + "_acc"] = f->acc;
    j[prefix + "_acc_std"] = f->accStd;
    j[prefix + "_threshold"] = f->threshold;
    j[prefix + "_auc"] = f->auc;
}

long long requiredStep(const json& j)
{
    const auto step = optInteger(j, "step");
    if (!step) throw MetricsRecordError("no \"step\"");
    return *step;
}

StepRecord stepRecordFromJson(const json& j)
{
    StepRecord r;
    r.step = requiredStep(j);
    r.epoch = number(j, "epoch");
    r.timeS = number(j, "time_s");
    r.lr = optNumber(j, "lr");
    r.lrGroups = numberMap(j, "lr_groups");
    r.imagesPerS = optNumber(j, "images_per_s");
    r.dataWait = optNumber(j, "data_wait");
    r.loss = taskValues(j, "loss");
    r.weight = taskValues(j, "weight");
    r.weightRaw = taskValues(j, "weight_raw");
    r.crossEntropy = taskValues(j, "cross_entropy");
    r.centerLoss = optNumber(j, "center_loss");
    r.totalLoss = optNumber(j, "total_loss");
    r.strategyLoss = optNumber(j, "strategy_loss");
    r.photos = optInteger(j, "photos").value_or(0);
    r.caricatures = optInteger(j, "caricatures").value_or(0);
    r.grad = gradRecord(j);
    r.weightByModality = weightByModality(j);
    return r;
}

HeldOutRecord heldOutRecordFromJson(const json& j)
{
    HeldOutRecord r;
    r.step = requiredStep(j);
    r.epoch = number(j, "epoch");
    r.timeS = number(j, "time_s");
    r.heldOut = text(j, "held_out");
    r.split = text(j, "split");
    r.figures = heldOutFiguresFromJson(j);
    return r;
}

}  // namespace

bool allFinite(const TaskValues& v)
{
    for (double x : v)
        if (!std::isfinite(x)) return false;
    return true;
}

json toJson(const StepRecord& r)
{
    json j = {{"type", "train"}, {"step", r.step}, {"epoch", r.epoch}, {"time_s", r.timeS}, {"photos", r.photos}, {"caricatures", r.caricatures}};
    put(j, "lr", r.lr);
    if (!r.lrGroups.empty()) j["lr_groups"] = r.lrGroups;
    put(j, "images_per_s", r.imagesPerS);
    put(j, "data_wait", r.dataWait);
    put(j, "loss", r.loss);
    put(j, "weight", r.weight);
    put(j, "weight_raw", r.weightRaw);
    put(j, "cross_entropy", r.crossEntropy);
    put(j, "center_loss", r.centerLoss);
    put(j, "total_loss", r.totalLoss);
    put(j, "strategy_loss", r.strategyLoss);
    put(j, r.grad);
    put(j, r.weightByModality);
    return j;
}

json toJson(const HeldOutFigures& f)
{
    if (!f.error.empty()) return {{"error", f.error}};
    json j = {{"caricatures", f.caricatures}, {"photos", f.photos}, {"pairs", f.pairs}, {"photo_pairs", f.photoPairs}};
    put(j, "verification_id_acc", f.verificationIdAcc);
    put(j, "caricature_acc", f.caricatureAcc);
    put(j, "visual_acc", f.visualAcc);
    put(j, std::string("verification"), f.verification);
    put(j, std::string("photo_verification"), f.photoVerification);
    return j;
}

json toJson(const HeldOutRecord& r)
{
    json j = toJson(r.figures);
    j["type"] = "eval";
    j["step"] = r.step;
    j["epoch"] = r.epoch;
    j["time_s"] = r.timeS;
    if (!r.heldOut.empty()) j["held_out"] = r.heldOut;
    if (!r.split.empty()) j["split"] = r.split;
    return j;
}

json toJson(const MetricsRecord& r)
{
    return std::visit(
        [](const auto& x) -> json {
            if constexpr (std::is_same_v<std::decay_t<decltype(x)>, OtherRecord>)
                return x.json;
            else
                return toJson(x);
        },
        r);
}

HeldOutFigures heldOutFiguresFromJson(const json& j)
{
    if (!j.is_object()) throw MetricsRecordError("not a JSON object");
    HeldOutFigures f;
    f.error = text(j, "error");
    f.caricatures = optInteger(j, "caricatures").value_or(0);
    f.photos = optInteger(j, "photos").value_or(0);
    f.verificationIdAcc = optNumber(j, "verification_id_acc");
    f.caricatureAcc = optNumber(j, "caricature_acc");
    f.visualAcc = optNumber(j, "visual_acc");
    f.verification = pairFigures(j, "verification");
    f.pairs = optInteger(j, "pairs").value_or(0);
    f.photoVerification = pairFigures(j, "photo_verification");
    f.photoPairs = optInteger(j, "photo_pairs").value_or(0);
    return f;
}

MetricsRecord metricsRecordFromJson(const json& j)
{
    if (!j.is_object()) throw MetricsRecordError("not a JSON object");
    const json* t = field(j, "type");
    if (t && !t->is_string()) wrongType("type", "a string");
    // The oldest files have no "type": a line with a loss is a training step.
    const std::string type = t ? t->get<std::string>() : j.contains("loss") ? "train" : "";
    if (type == "train") return stepRecordFromJson(j);
    if (type == "eval") return heldOutRecordFromJson(j);
    return OtherRecord{type, optInteger(j, "step"), j};
}

std::optional<long long> recordStep(const MetricsRecord& r)
{
    if (const auto* s = std::get_if<StepRecord>(&r)) return s->step;
    if (const auto* h = std::get_if<HeldOutRecord>(&r)) return h->step;
    return std::get<OtherRecord>(r).step;
}

}  // namespace carilab::run
