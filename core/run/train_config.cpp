#include "run/train_config.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <set>
#include <stdexcept>

namespace carilab::run {

namespace {

using json = nlohmann::json;

// A whole number that fits T. nlohmann's get<int>() casts 1e300 or -1 to int unchecked (UB
// for the double), so a hand-written "batch": 1e300 must be refused here.
template <typename T>
bool fitsInteger(const json& v, T& out)
{
    if (v.is_number_unsigned()) {
        const auto u = v.get<std::uint64_t>();
        if (u > static_cast<std::uint64_t>(std::numeric_limits<T>::max())) return false;
        out = static_cast<T>(u);
        return true;
    }
    if (v.is_number_integer()) {
        const auto i = v.get<std::int64_t>();
        if ((std::is_unsigned_v<T> && i < 0) ||
            (std::is_signed_v<T> &&
             (i < static_cast<std::int64_t>(std::numeric_limits<T>::min()) || i > static_cast<std::int64_t>(std::numeric_limits<T>::max()))))
            return false;
        out = static_cast<T>(i);
        return true;
    }
    const double d = v.get<double>();
    // max + 1 is a power of two, exact as a double even where max itself is not (64-bit).
    const double lo = std::is_signed_v<T> ? static_cast<double>(std::numeric_limits<T>::min()) : 0.0;
    const double end = static_cast<double>(std::numeric_limits<T>::max()) + 1.0;
    if (!(d >= lo && d < end) || std::trunc(d) != d) return false;
    out = static_cast<T>(d);
    return true;
}

template <typename T>
void take(const json& j, const char* key, T& out, const std::string& where)
{
    if (!j.contains(key)) return;
    const json& v = j.at(key);
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
        if (!v.is_number()) throw std::invalid_argument(where + key + ": wrong type (" + std::string(v.type_name()) + ")");
        if (!fitsInteger(v, out)) throw std::invalid_argument(where + key + ": " + v.dump() + " is not a whole number in range");
        return;
    }
    try {
        out = v.get<T>();
    } catch (const json::exception&) {
        throw std::invalid_argument(where + key + ": wrong type (" + std::string(v.type_name()) + ")");
    }
}

void rejectUnknown(const json& j, const std::set<std::string>& known, const std::string& where)
{
    for (auto it = j.begin(); it != j.end(); ++it)
        if (!known.count(it.key())) throw std::invalid_argument("config: unknown key '" + where + it.key() + "'");
}

const char* taskName(int t) { return nn::kTaskNames[static_cast<size_t>(t)]; }

int taskIndex(const std::string& s)
{
    for (int t = 0; t < nn::kNumTasks; ++t)
        if (s == nn::kTaskNames[static_cast<size_t>(t)]) return t;
    throw std::invalid_argument("config: strategy.single_task must be verification, caricature or visual, not '" + s + "'");
}

void readLrMultipliers(const json& j, TrainConfig& c)
{
    const auto& o = j["lr_multipliers"];
    if (!o.is_object()) throw std::invalid_argument("config: lr_multipliers must be an object {\"trunk\": x, \"branches\": y, \"heads\": z}");
    rejectUnknown(o, {"trunk", "branches", "heads"}, "lr_multipliers.");
    for (nn::ParamGroup g : nn::kParamGroups)
        take(o, nn::kParamGroupNames[static_cast<size_t>(g)], c.lrMultipliers[static_cast<size_t>(g)], "lr_multipliers.");
}

void readStepSchedule(const json& j, TrainConfig& c)
{
    const auto& s = j["lr_schedule_steps"];
    if (!s.is_array()) throw std::invalid_argument("config: lr_schedule_steps must be a list [[step, lr], ...]");
    for (size_t i = 0; i < s.size(); ++i) {
        const auto& e = s[i];
        long long step = 0;
        if (!e.is_array() || e.size() != 2 || !e[0].is_number() || !e[1].is_number() || !fitsInteger(e[0], step) || step < 0)
            throw std::invalid_argument("config: lr_schedule_steps[" + std::to_string(i) + "] must be [step, lr] with a whole step >= 0, not " +
                                        e.dump());
        c.lrScheduleSteps.emplace_back(step, e[1].get<double>());
    }
    std::sort(c.lrScheduleSteps.begin(), c.lrScheduleSteps.end());
}

// A choice among named values, parsed once here so that no consumer compares strings.
template <typename E, std::size_t N>
void takeChoice(const json& j, const char* key, E& out, const std::array<std::pair<const char*, E>, N>& names)
{
    if (!j.contains(key)) return;
    std::string s;
    take(j, key, s, "");
    std::string known;
    for (const auto& [name, value] : names) {
        if (s == name) {
            out = value;
            return;
        }
        known += (known.empty() ? "" : " or ") + std::string(name);
    }
    throw std::invalid_argument("config: " + std::string(key) + " must be " + known + ", not '" + s + "'");
}

constexpr std::array<std::pair<const char*, LrDecay>, 2> kLrDecays = {{{"none", LrDecay::None}, {"cosine", LrDecay::Cosine}}};
constexpr std::array<std::pair<const char*, data::Sampler>, 2> kSamplers = {
    {{"uniform", data::Sampler::Uniform}, {"identity", data::Sampler::Identity}}};

template <typename E, std::size_t N>
const char* nameOf(E value, const std::array<std::pair<const char*, E>, N>& names)
{
    for (const auto& [name, v] : names)
        if (v == value) return name;
    return "?";
}

template <typename E, std::size_t N>
std::optional<E> valueOf(const std::string& name, const std::array<std::pair<const char*, E>, N>& names)
{
    for (const auto& [n, v] : names)
        if (name == n) return v;
    return std::nullopt;
}

constexpr std::array<std::pair<const char*, SplitKind>, 6> kSplitKinds = {{{"auto", SplitKind::Auto},
                                                                           {"image", SplitKind::Image},
                                                                           {"identity", SplitKind::Identity},
                                                                           {"protocol", SplitKind::Protocol},
                                                                           {"official", SplitKind::Official},
                                                                           {"refit", SplitKind::Refit}}};
constexpr std::array<std::pair<const char*, FaceCrop>, 4> kFaceCrops = {
    {{"auto", FaceCrop::Auto}, {"align", FaceCrop::Align}, {"box", FaceCrop::Box}, {"face-api", FaceCrop::FaceApi}}};

// A choice with its own parse function: the parser's message, prefixed with the key it is for.
template <typename E, typename Parse>
void takeParsed(const json& j, const char* key, E& out, Parse parse, const std::string& where)
{
    if (!j.contains(key)) return;
    std::string s;
    take(j, key, s, where);
    try {
        out = parse(s);
    } catch (const std::invalid_argument& e) {
        throw std::invalid_argument("config: " + where + key + ": " + e.what());
    }
}

// "inspect_every": a whole number of steps (0 = off) or "auto".
void readInspectEvery(const json& j, TrainConfig& c)
{
    if (!j.contains("inspect_every")) return;
    const json& v = j.at("inspect_every");
    if (v.is_string() && v.get<std::string>() == "auto") {
        c.inspectEvery = TrainConfig::kInspectAuto;
        return;
    }
    if (!v.is_number() || !fitsInteger(v, c.inspectEvery) || c.inspectEvery < 0)
        throw std::invalid_argument("config: inspect_every must be \"auto\" or a whole number of steps >= 0 (0 = off), not " + v.dump());
}

void readDistributed(const json& d, TrainConfig& c)
{
    if (!d.is_object()) throw std::invalid_argument("config: distributed must be an object {\"world_size\": N, \"backend\": \"gloo\"|\"nccl\"}");
    rejectUnknown(d, {"world_size", "backend"}, "distributed.");
    take(d, "world_size", c.worldSize, "distributed.");
    take(d, "backend", c.distBackend, "distributed.");
    if (c.worldSize < 1) throw std::invalid_argument("config: distributed.world_size must be at least 1");
}

// The keys of the fine-tuning recipe (lr groups, warm-up, step schedule, sampler, augmentation)
// and the diagnostics' cadence.
void readRecipeKeys(const json& j, TrainConfig& c)
{
    readInspectEvery(j, c);
    take(j, "sync_bn", c.syncBn, "");
    if (j.contains("distributed")) readDistributed(j.at("distributed"), c);
    if (j.contains("lr_multipliers")) readLrMultipliers(j, c);
    if (j.contains("lr_schedule_steps")) readStepSchedule(j, c);
    take(j, "warmup_steps", c.warmupSteps, "");
    takeChoice(j, "lr_decay", c.lrDecay, kLrDecays);
    takeChoice(j, "sampler", c.sampler, kSamplers);
    take(j, "identities_per_batch", c.identitiesPerBatch, "");
    take(j, "augment_flip", c.augmentFlip, "");
    take(j, "augment_rotation_deg", c.augmentRotationDeg, "");
    take(j, "augment_scale", c.augmentScale, "");
    take(j, "augment_shift", c.augmentShift, "");
    take(j, "augment_colour_jitter", c.augmentColourJitter, "");
    take(j, "augment_erase", c.augmentErase, "");
}

json recipeJson(const TrainConfig& c)
{
    json multipliers = json::object();
    for (nn::ParamGroup g : nn::kParamGroups) multipliers[nn::kParamGroupNames[static_cast<size_t>(g)]] = nn::multiplierOf(c.lrMultipliers, g);
    json steps = json::array();
    for (const auto& [s, lr] : c.lrScheduleSteps) steps.push_back({s, lr});
    return {{"lr_multipliers", multipliers},
            {"warmup_steps", c.warmupSteps},
            {"lr_schedule_steps", steps},
            {"lr_decay", lrDecayName(c.lrDecay)},
            {"sampler", samplerName(c.sampler)},
            {"identities_per_batch", c.identitiesPerBatch},
            {"augment_flip", c.augmentFlip},
            {"augment_rotation_deg", c.augmentRotationDeg},
            {"augment_scale", c.augmentScale},
            {"augment_shift", c.augmentShift},
            {"augment_colour_jitter", c.augmentColourJitter},
            {"augment_erase", c.augmentErase}};
}

void validateRecipe(const TrainConfig& c)
{
    auto fail = [](const std::string& m) { throw std::invalid_argument("config: " + m); };
    for (nn::ParamGroup g : nn::kParamGroups) {
        const double m = nn::multiplierOf(c.lrMultipliers, g);
        if (!(m >= 0) || !std::isfinite(m))
            fail(std::string("lr_multipliers.") + nn::kParamGroupNames[static_cast<size_t>(g)] +
                 " must be a number >= 0 (0 freezes the group), not " + json(m).dump());
    }
    if (c.warmupSteps < 0) fail("warmup_steps must be >= 0");
    if (c.steps > 0 && c.warmupSteps >= c.steps)
        fail("warmup_steps (" + std::to_string(c.warmupSteps) + ") must be less than steps (" + std::to_string(c.steps) + ")");
    for (size_t i = 0; i < c.lrScheduleSteps.size(); ++i) {
        const auto& [step, lr] = c.lrScheduleSteps[i];
        if (!(lr > 0) || !std::isfinite(lr)) fail("lr_schedule_steps: the lr at step " + std::to_string(step) + " must be a positive number");
        if (i > 0 && c.lrScheduleSteps[i - 1].first == step) fail("lr_schedule_steps: step " + std::to_string(step) + " is given twice");
    }
    if (!c.lrScheduleSteps.empty() && !c.lrSchedule.empty()) fail("give lr_schedule (by epoch) or lr_schedule_steps (by step), not both");
    if (c.identitiesPerBatch < 0) fail("identities_per_batch must be >= 0 (0: batch / 4)");
    if (c.identitiesPerBatch > c.batch / 2)
        fail("identities_per_batch (" + std::to_string(c.identitiesPerBatch) + ") leaves fewer than 2 images per identity in a batch of " +
             std::to_string(c.batch) + "; use at most " + std::to_string(c.batch / 2));
    if (!(c.augmentRotationDeg >= 0 && c.augmentRotationDeg <= 45)) fail("augment_rotation_deg must be in [0, 45]");
    if (!(c.augmentScale >= 0 && c.augmentScale < 0.5)) fail("augment_scale must be in [0, 0.5)");
    if (!(c.augmentShift >= 0 && c.augmentShift < 0.5)) fail("augment_shift must be in [0, 0.5)");
    if (!(c.augmentColourJitter >= 0 && c.augmentColourJitter <= 1)) fail("augment_colour_jitter must be in [0, 1]");
    if (!(c.augmentErase >= 0 && c.augmentErase <= 1)) fail("augment_erase must be in [0, 1] (a probability)");
}

}  // namespace

const char* lrDecayName(LrDecay d) { return nameOf(d, kLrDecays); }
const char* samplerName(data::Sampler s) { return nameOf(s, kSamplers); }

SplitKind parseSplitKind(const std::string& name)
{
    if (const auto k = valueOf(name, kSplitKinds)) return *k;
    throw std::invalid_argument("'" + name +
                                "' is not a split; valid: auto, image, identity, protocol (CaVI: no testing_1 or validation image trained on), "
                                "official (the official CaVI code's split: every 20th testing_1 pair held out), refit (CaVI: protocol with "
                                "validation's images trained on, nothing held out)");
}

const char* splitKindName(SplitKind k) { return nameOf(k, kSplitKinds); }

FaceCrop parseFaceCrop(const std::string& name)
{
    if (const auto c = valueOf(name, kFaceCrops)) return *c;
    throw std::invalid_argument("'" + name +
                                "' is not a face crop; valid: auto (the backbone's own), align (5-point similarity), box (official "
                                "WebCaricature box), face-api (face-api's aligned face box, from `carilab-cli dataset align`)");
}

const char* faceCropName(FaceCrop c) { return nameOf(c, kFaceCrops); }

DeviceChoice parseDeviceChoice(const std::string& name)
{
    if (name == "cpu") return {};
    if (name == "cuda") return {DeviceKind::Cuda, -1};
    // torch numbers devices with an 8-bit index: two digits are plenty.
    const std::string n = name.rfind("cuda:", 0) == 0 ? name.substr(5) : "";
    if (!n.empty() && n.size() <= 2 && std::all_of(n.begin(), n.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
        return {DeviceKind::Cuda, std::stoi(n)};
    throw std::invalid_argument("'" + name + "' is not a device; valid: cpu, cuda, cuda:N (N: the GPU's number)");
}

std::string deviceName(const DeviceChoice& d)
{
    if (d.kind == DeviceKind::Cpu) return "cpu";
    return d.index < 0 ? "cuda" : "cuda:" + std::to_string(d.index);
}

int TrainConfig::resolvedIdentitiesPerBatch() const { return identitiesPerBatch > 0 ? identitiesPerBatch : std::max(1, batch / 4); }

long long TrainConfig::resolvedInspectEvery(long long totalSteps) const
{
    if (inspectEvery != kInspectAuto) return inspectEvery;
    const long long every = std::max<long long>(1, totalSteps / kAutoInspections);
    const long long log = std::max(1, logEvery);
    return std::max(log, (every + log - 1) / log * log);
}

long long TrainConfig::totalSteps(long long batchesPerEpoch) const
{
    if (steps > 0) return steps;
    return std::max<long long>(1, static_cast<long long>(std::ceil(epochs * static_cast<double>(batchesPerEpoch))));
}

double TrainConfig::lrAtEpoch(double epoch) const
{
    double lr = optimizer.lr;
    for (const auto& [start, value] : lrSchedule)
        if (epoch >= start) lr = value;
    return lr;
}

TrainConfig trainConfigFromJson(const json& j)
{
    if (!j.is_object()) throw std::invalid_argument("config: expected a JSON object");
    rejectUnknown(j,
                  {"dataset",
                   "format",
                   "backbone",
                   "input_size",
                   "pretrained",
                   "strategy",
                   "optimizer",
                   "clip_norm",
                   "lr_schedule",
                   "batch",
                   "steps",
                   "epochs",
                   "seed",
                   "threads",
                   "device",
                   "center_loss",
                   "dropout",
                   "relu_on_id_logits",
                   "id_head",
                   "split",
                   "test_fraction",
                   "align",
                   "face_crop",
                   "pairs",
                   "augment",
                   "loader_workers",
                   "prefetch",
                   "log_every",
                   "eval_every",
                   "checkpoint_every",
                   "keep_checkpoints",
                   "carilab_version",
                   "lr_multipliers",
                   "warmup_steps",
                   "lr_schedule_steps",
                   "lr_decay",
                   "sampler",
                   "identities_per_batch",
                   "augment_flip",
                   "augment_rotation_deg",
                   "augment_scale",
                   "augment_shift",
                   "augment_colour_jitter",
                   "augment_erase",
                   "inspect_every",
                   "precision",
                   "sync_bn",
                   "distributed"},
                  "");
    TrainConfig c;
    take(j, "dataset", c.dataset, "");
    take(j, "format", c.format, "");
    take(j, "backbone", c.backbone, "");
    take(j, "input_size", c.inputSize, "");
    take(j, "pretrained", c.pretrained, "");
    take(j, "clip_norm", c.clipNorm, "");
    take(j, "batch", c.batch, "");
    take(j, "steps", c.steps, "");
    take(j, "epochs", c.epochs, "");
    take(j, "seed", c.seed, "");
    take(j, "threads", c.threads, "");
    takeParsed(j, "device", c.device, parseDeviceChoice, "");
    takeParsed(j, "precision", c.precision, nn::parsePrecision, "");
    take(j, "dropout", c.dropout, "");
    take(j, "relu_on_id_logits", c.reluOnIdLogits, "");
    takeParsed(j, "split", c.split, parseSplitKind, "");
    take(j, "test_fraction", c.testFraction, "");
    take(j, "align", c.align, "");
    takeParsed(j, "face_crop", c.faceCrop, parseFaceCrop, "");
    take(j, "pairs", c.pairs, "");
    take(j, "augment", c.augment, "");
    take(j, "loader_workers", c.loaderWorkers, "");
    take(j, "prefetch", c.prefetch, "");
    take(j, "log_every", c.logEvery, "");
    take(j, "eval_every", c.evalEvery, "");
    take(j, "checkpoint_every", c.checkpointEvery, "");
    take(j, "keep_checkpoints", c.keepCheckpoints, "");
    readRecipeKeys(j, c);
    if (j.contains("lr_schedule")) {
        const auto& s = j["lr_schedule"];
        if (!s.is_object()) throw std::invalid_argument("config: lr_schedule must be an object {\"epoch\": lr, ...}");
        for (auto it = s.begin(); it != s.end(); ++it) {
            int epoch = 0;
            try {
                epoch = std::stoi(it.key());
            } catch (const std::exception&) {
                throw std::invalid_argument("config: lr_schedule key '" + it.key() + "' is not an epoch number");
            }
            if (!it.value().is_number()) throw std::invalid_argument("config: lr_schedule." + it.key() + " must be a number");
            c.lrSchedule.emplace_back(epoch, it.value().get<double>());
        }
        std::sort(c.lrSchedule.begin(), c.lrSchedule.end());
    }
    if (j.contains("optimizer")) {
        const auto& o = j["optimizer"];
        if (!o.is_object()) throw std::invalid_argument("config: optimizer must be an object");
        rejectUnknown(o, {"kind", "lr", "weight_decay", "eps"}, "optimizer.");
        takeParsed(o, "kind", c.optimizer.kind, nn::parseOptimizerKind, "optimizer.");
        take(o, "lr", c.optimizer.lr, "optimizer.");
        take(o, "weight_decay", c.optimizer.weightDecay, "optimizer.");
        if (o.contains("eps")) {
            double eps = 0;
            take(o, "eps", eps, "optimizer.");
            c.optimizer.eps = eps;
        }
    }
    if (j.contains("id_head")) {
        const auto& o = j["id_head"];
        if (!o.is_object()) throw std::invalid_argument("config: id_head must be an object {\"kind\": \"softmax\" | \"cosface\", ...}");
        rejectUnknown(o, {"kind", "scale", "margin", "caricature_head_photos", "label_smoothing"}, "id_head.");
        takeParsed(o, "kind", c.idHead.kind, nn::parseIdentityHeadKind, "id_head.");
        take(o, "scale", c.idHead.scale, "id_head.");
        take(o, "margin", c.idHead.margin, "id_head.");
        take(o, "caricature_head_photos", c.idHead.caricatureHeadOnPhotos, "id_head.");
        take(o, "label_smoothing", c.idHead.labelSmoothing, "id_head.");
    }
    if (j.contains("center_loss")) {
        const auto& o = j["center_loss"];
        if (!o.is_object()) throw std::invalid_argument("config: center_loss must be an object");
        rejectUnknown(o, {"factor", "alpha", "all_branches"}, "center_loss.");
        take(o, "factor", c.centerLossFactor, "center_loss.");
        take(o, "alpha", c.centerLossAlpha, "center_loss.");
        take(o, "all_branches", c.centerLossAllBranches, "center_loss.");
    }
    json userStrategy = json::object();
    if (j.contains("strategy")) {
        const auto& s = j["strategy"];
        if (s.is_string()) {
            c.strategy = nn::parseStrategyName(s.get<std::string>());
            userStrategy = {{"name", s}};
        } else if (s.is_object()) {
            userStrategy = s;
            rejectUnknown(s,
                          {"name", "normalize_logits", "temperature", "detach_weights", "sigma", "lr_multiplier", "static_weights", "single_task",
                           "gradnorm_alpha", "dwa_temperature"},
                          "strategy.");
            std::string name = c.strategy.name;
            take(s, "name", name, "strategy.");
            c.strategy = nn::parseStrategyName(name);
            take(s, "normalize_logits", c.strategy.normalizeLogits, "strategy.");
            take(s, "temperature", c.strategy.temperature, "strategy.");
            take(s, "detach_weights", c.strategy.detachWeights, "strategy.");
            take(s, "sigma", c.strategy.sigma, "strategy.");
            take(s, "lr_multiplier", c.strategy.lrMultiplier, "strategy.");
            if (s.contains("static_weights")) {
                std::vector<double> w;
                take(s, "static_weights", w, "strategy.");
                if (w.size() != 3) throw std::invalid_argument("config: strategy.static_weights needs 3 numbers");
                for (int t = 0; t < 3; ++t) c.strategy.staticWeights[static_cast<size_t>(t)] = w[static_cast<size_t>(t)];
            }
            if (s.contains("single_task")) {
                std::string t;
                take(s, "single_task", t, "strategy.");
                c.strategy.singleTask = taskIndex(t);
            }
            take(s, "gradnorm_alpha", c.strategy.gradnormAlpha, "strategy.");
            take(s, "dwa_temperature", c.strategy.dwaTemperature, "strategy.");
        } else {
            throw std::invalid_argument("config: strategy must be a name or an object");
        }
    }
    applyStrategyDefaults(c, userStrategy);
    validate(c);
    return c;
}

void applyStrategyDefaults(TrainConfig& c, const json& user)
{
    // The official naive code scales the normalised logits by 1/2.
    if (c.strategy.name == "naive" && !user.contains("temperature")) c.strategy.temperature = 0.5;
}

json toJson(const TrainConfig& c)
{
    json schedule = json::object();
    for (const auto& [e, lr] : c.lrSchedule) schedule[std::to_string(e)] = lr;
    const auto& s = c.strategy;
    json out = {{"dataset", c.dataset},
                {"format", c.format},
                {"backbone", c.backbone},
                {"input_size", c.inputSize},
                {"pretrained", c.pretrained},
                {"strategy",
                 {{"name", s.name},
                  {"normalize_logits", s.normalizeLogits},
                  {"temperature", s.temperature},
                  {"detach_weights", s.detachWeights},
                  {"sigma", s.sigma},
                  {"lr_multiplier", s.lrMultiplier},
                  {"static_weights", s.staticWeights},
                  {"single_task", taskName(s.singleTask)},
                  {"gradnorm_alpha", s.gradnormAlpha},
                  {"dwa_temperature", s.dwaTemperature}}},
                {"optimizer", {{"kind", nn::optimizerKindName(c.optimizer.kind)}, {"lr", c.optimizer.lr}, {"weight_decay", c.optimizer.weightDecay}}},
                {"clip_norm", c.clipNorm},
                {"lr_schedule", schedule},
                {"batch", c.batch},
                {"steps", c.steps},
                {"epochs", c.epochs},
                {"seed", c.seed},
                {"threads", c.threads},
                {"device", deviceName(c.device)},
                {"center_loss", {{"factor", c.centerLossFactor}, {"alpha", c.centerLossAlpha}, {"all_branches", c.centerLossAllBranches}}},
                {"dropout", c.dropout},
                {"relu_on_id_logits", c.reluOnIdLogits},
                {"id_head", {{"kind", nn::identityHeadKindName(c.idHead.kind)}, {"scale", c.idHead.scale}, {"margin", c.idHead.margin}}},
                {"split", splitKindName(c.split)},
                {"test_fraction", c.testFraction},
                {"align", c.align},
                {"face_crop", faceCropName(c.faceCrop)},
                {"pairs", c.pairs},
                {"augment", c.augment},
                {"loader_workers", c.loaderWorkers},
                {"prefetch", c.prefetch},
                {"log_every", c.logEvery},
                {"eval_every", c.evalEvery},
                {"checkpoint_every", c.checkpointEvery},
                {"keep_checkpoints", c.keepCheckpoints}};
    out.update(recipeJson(c));
    if (c.optimizer.eps) out["optimizer"]["eps"] = *c.optimizer.eps;
    // Written only when on, so configs without the option stay as they were.
    if (c.idHead.caricatureHeadOnPhotos) out["id_head"]["caricature_head_photos"] = true;
    if (c.idHead.labelSmoothing > 0) out["id_head"]["label_smoothing"] = c.idHead.labelSmoothing;
    if (c.inspectEvery != TrainConfig::kInspectAuto) out["inspect_every"] = c.inspectEvery;
    if (c.precision != nn::Precision::Fp32) out["precision"] = nn::precisionName(c.precision);
    if (c.syncBn) out["sync_bn"] = true;
    if (c.worldSize > 1) out["distributed"] = {{"world_size", c.worldSize}, {"backend", c.distBackend}};
    return out;
}

void validate(const TrainConfig& c)
{
    auto fail = [](const std::string& m) { throw std::invalid_argument("config: " + m); };
    if (c.dataset.empty()) fail("dataset is required (--dataset PATH)");
    if (c.batch < 2) fail("batch must be at least 2");
    if (c.steps < 0) fail("steps must be >= 0");
    if (c.steps == 0 && !(c.epochs > 0)) fail("give steps or epochs (> 0)");
    if (!(c.optimizer.lr > 0) || !std::isfinite(c.optimizer.lr)) fail("optimizer.lr must be a positive number");
    if (c.optimizer.eps && !(*c.optimizer.eps > 0 && std::isfinite(*c.optimizer.eps)))
        fail("optimizer.eps must be a positive number (1e-8 is usual for fine-tuning; unset: the official 0.1 / 1.0)");
    if (c.clipNorm < 0) fail("clip_norm must be >= 0");
    if (c.threads < 0) fail("threads must be >= 0");
    if (!(c.dropout >= 0 && c.dropout < 1)) fail("dropout must be in [0, 1)");
    try {
        nn::validate(c.idHead);
    } catch (const std::invalid_argument& e) {
        fail(e.what());
    }
    if (c.idHead.isCosine() && c.reluOnIdLogits) fail("relu_on_id_logits cannot be used with id_head cosface (a cosine logit may be negative)");
    if (!(c.testFraction >= 0 && c.testFraction < 1)) fail("test_fraction must be in [0, 1)");
    if (c.loaderWorkers < 1 || c.prefetch < 1) fail("loader_workers and prefetch must be >= 1");
    if (c.logEvery < 1) fail("log_every must be >= 1");
    if (c.checkpointEvery < 1) fail("checkpoint_every must be >= 1");
    if (c.keepCheckpoints < 1) fail("keep_checkpoints must be >= 1");
    if (c.inputSize != 0 && (c.inputSize < 32 || c.inputSize > 512)) fail("input_size must be 0 (backbone default) or 32..512");
    if (!(c.strategy.temperature > 0)) fail("strategy.temperature must be > 0");
    if (!(c.strategy.sigma > 0)) fail("strategy.sigma must be > 0");
    validateRecipe(c);
}

TrainConfig trainConfigFromJson(const json& j, const std::string& source)
{
    try {
        return trainConfigFromJson(j);
    } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(source + ": " + e.what());
    } catch (const std::runtime_error& e) {
        throw std::runtime_error(source + ": " + e.what());
    }
}

}  // namespace carilab::run
