#include "run/eval_records.h"

#include "eval/protocol_result_fields.h"
#include "io/atomic_file.h"

#include <filesystem>
#include <limits>

namespace carilab::run {

namespace {

using json = nlohmann::json;
using eval::result_fields::Obj;
using eval::result_fields::objectAt;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The field reader's errors as this reader's own, with the same message.
template <class F>
auto named(F read) -> decltype(read())
{
    try {
        return read();
    } catch (const eval::ResultRecordError& e) {
        throw EvalRecordError(e.what());
    }
}

std::optional<CropRecord> crop(const Obj& parent)
{
    const auto c = parent.object("crop");
    if (!c) return std::nullopt;
    return CropRecord{c->text("face_crop"), c->text("split"), c->optInteger("images"), c->optInteger("images_with_face_box")};
}

std::optional<EnsembleRecord> ensemble(const Obj& parent)
{
    const auto e = parent.object("ensemble");
    if (!e) return std::nullopt;
    EnsembleRecord r;
    r.combination = e->text("combination");
    e->forEach("members", [&](const json& m, const std::string& at) {
        const Obj o = objectAt(m, at);
        r.members.push_back({o.text("checkpoint"), o.text("crop"), o.optInteger("step").value_or(0)});
    });
    return r;
}

ProtocolResult protocolResult(const Obj& o)
{
    ProtocolResult r;
    static_cast<eval::ProtocolOutcome&>(r) = eval::protocolOutcomeFromJson(o.j(), o.at());
    r.checkpoint = o.text("checkpoint");
    r.model = o.text("model");
    r.step = o.optInteger("step");
    r.mirrorAverage = o.flag("mirror_average");
    r.zoomOut = o.numbers("zoom_out");
    r.crop = crop(o);
    r.ensemble = ensemble(o);
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
    r.zoomOut = o.numbers("zoom_out");
    r.crop = crop(o);
    r.ensemble = ensemble(o);
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

EvalFile evalFile(const json& j)
{
    if (!j.is_object()) throw EvalRecordError("not a JSON object");
    const Obj top(j, "");
    EvalFile f;
    if (const json* h = top.field("held_out")) f.heldOut = heldOutRecord(*h);
    if (const auto b = top.object("best")) f.best = bestRecord(*b);
    if (const auto p = top.object("protocols"))
        for (auto it = p->j().begin(); it != p->j().end(); ++it) f.protocols[it.key()] = protocolResult(objectAt(*it, p->name(it.key())));
    // "all_images" and its test-time views' variants ("all_images+mirror+zoom1.1").
    for (auto it = j.begin(); it != j.end(); ++it)
        if (it.key() == "all_images" || it.key().rfind("all_images+", 0) == 0)
            if (const auto r = top.object(it.key())) f.images[it.key()] = imagesResult(*r);
    return f;
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

json toJson(const EnsembleRecord& e)
{
    json members = json::array();
    for (const auto& m : e.members) members.push_back({{"checkpoint", m.checkpoint}, {"step", m.step}, {"crop", m.crop}});
    return {{"members", members}, {"combination", e.combination}};
}

json toJson(const ProtocolResult& r)
{
    json j = eval::toJson(static_cast<const eval::ProtocolOutcome&>(r));
    if (!r.checkpoint.empty()) j["checkpoint"] = r.checkpoint;
    if (!r.model.empty()) j["model"] = r.model;
    if (r.step) j["step"] = *r.step;
    if (r.mirrorAverage) j["mirror_average"] = *r.mirrorAverage;
    if (!r.zoomOut.empty()) j["zoom_out"] = r.zoomOut;
    if (r.crop) j["crop"] = toJson(*r.crop);
    if (r.ensemble) j["ensemble"] = toJson(*r.ensemble);
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
    if (!r.zoomOut.empty()) j["zoom_out"] = r.zoomOut;
    if (r.crop) j["crop"] = toJson(*r.crop);
    if (r.ensemble) j["ensemble"] = toJson(*r.ensemble);
    return j;
}

BestRecord bestRecordFromJson(const json& j)
{
    return named([&] { return bestRecord(objectAt(j, "best")); });
}

ProtocolResult protocolResultFromJson(const json& j)
{
    return named([&] { return protocolResult(objectAt(j, "")); });
}

ImagesResult imagesResultFromJson(const json& j)
{
    return named([&] { return imagesResult(objectAt(j, "")); });
}

EvalFile evalFileFromJson(const json& j)
{
    return named([&] { return evalFile(j); });
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
