#include "nn/weighting_strategy.h"

#include "nn/dwa_weighting.h"
#include "nn/dynamic_weighting.h"
#include "nn/fixed_weighting.h"
#include "nn/gradnorm_weighting.h"
#include "nn/naive_weighting.h"
#include "nn/uncertainty_weighting.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <stdexcept>

namespace carilab::nn {

torch::Tensor taskLossValues(const StrategyInputs& in)
{
    return in.lossValues.defined() ? in.lossValues : in.losses.detach().reshape({kNumTasks});
}

torch::Tensor acrossRanks(const StrategyInputs& in, const torch::Tensor& t)
{
    return in.replicas ? in.replicas->averaged(t.detach()) : t.detach();
}

namespace {

const char* const kValidForms = "valid: dynamic, naive, equal, static:a,b,c (three non-negative numbers, not all zero), "
                                "single:verification|caricature|visual, uncertainty, gradnorm, dwa";

std::string trim(const std::string& s)
{
    const auto first = s.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) return {};
    const auto last = s.find_last_not_of(" \t\r\n");
    return s.substr(first, last - first + 1);
}

// Strict number: the whole (trimmed) token must parse, no "1.5abc", no empty token.
bool parseNumber(const std::string& token, double& value)
{
    const std::string t = trim(token);
    if (t.empty()) return false;
    errno = 0;
    char* end = nullptr;
    value = std::strtod(t.c_str(), &end);
    return errno == 0 && end == t.c_str() + t.size();
}

void checkStaticWeights(const std::array<double, kNumTasks>& w, const std::string& text)
{
    double sum = 0.0;
    for (double v : w) {
        if (!std::isfinite(v) || v < 0.0) throw std::invalid_argument("static weights in '" + text + "' must be finite and non-negative");
        sum += v;
    }
    if (!(sum > 0.0)) throw std::invalid_argument("static weights in '" + text + "' are all zero");
}

std::array<double, kNumTasks> parseStaticWeights(const std::string& text, const std::string& list)
{
    std::array<double, kNumTasks> w{};
    std::size_t start = 0;
    int n = 0;
    for (;;) {
        const std::size_t comma = list.find(',', start);
        const std::string token = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        double v = 0.0;
        if (n >= kNumTasks || !parseNumber(token, v))
            throw std::invalid_argument("malformed weighting strategy '" + text +
                                        "': static needs exactly three numbers, e.g. static:0.55,0.30,0.15; " + kValidForms);
        w[n++] = v;
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    if (n != kNumTasks)
        throw std::invalid_argument("malformed weighting strategy '" + text + "': static needs exactly three numbers, e.g. static:0.55,0.30,0.15; " +
                                    kValidForms);
    checkStaticWeights(w, text);
    return w;
}

int parseTask(const std::string& text, const std::string& taskName)
{
    const std::string t = trim(taskName);
    for (int i = 0; i < kNumTasks; ++i)
        if (t == kTaskNames[i]) return i;
    throw std::invalid_argument("unknown task '" + t + "' in weighting strategy '" + text + "'; " + kValidForms);
}

bool isPlainName(const std::string& s)
{
    return s == "dynamic" || s == "naive" || s == "equal" || s == "uncertainty" || s == "gradnorm" || s == "dwa";
}

}  // namespace

StrategyOptions parseStrategyName(const std::string& text, StrategyOptions base)
{
    const std::string t = trim(text);
    if (isPlainName(t)) {
        base.name = t;
        return base;
    }
    const auto colon = t.find(':');
    const std::string head = t.substr(0, colon);
    if (colon != std::string::npos && head == "static") {
        base.staticWeights = parseStaticWeights(t, t.substr(colon + 1));
        base.name = t;  // the full text, so options.name can be parsed again (config round trip)
        return base;
    }
    if (colon != std::string::npos && head == "single") {
        base.singleTask = parseTask(t, t.substr(colon + 1));
        base.name = t;
        return base;
    }
    if (t == "static" || t == "single") throw std::invalid_argument("weighting strategy '" + t + "' needs a value; " + kValidForms);
    throw std::invalid_argument("unknown weighting strategy '" + t + "'; " + kValidForms);
}

std::vector<std::string> strategyNames() { return {"dynamic", "naive", "equal", "static:a,b,c", "single:<task>", "uncertainty", "gradnorm", "dwa"}; }

std::unique_ptr<WeightingStrategy> makeStrategy(const StrategyOptions& options, std::int64_t featureDim, const OptimizerSpec& optimizer)
{
    StrategyOptions o = options;
    std::string kind = trim(options.name);
    if (kind.find(':') != std::string::npos) {
        // "static:a,b,c" / "single:<task>": the text is authoritative for the values.
        o = parseStrategyName(kind, options);
        kind = kind.substr(0, kind.find(':'));
    }

    if (kind == "dynamic" || kind == "naive") {
        if (featureDim < 1) throw std::invalid_argument("weighting strategy '" + kind + "' needs the shared feature size d_z > 0");
        if (kind == "dynamic") return std::make_unique<DynamicWeighting>(o, featureDim, optimizer);
        return std::make_unique<NaiveWeighting>(o, featureDim, optimizer);
    }
    if (kind == "equal") return FixedWeighting::equal();
    if (kind == "static") {
        checkStaticWeights(o.staticWeights, options.name);
        return FixedWeighting::fixed(o.staticWeights);
    }
    if (kind == "single") return FixedWeighting::single(o.singleTask);
    if (kind == "uncertainty") return std::make_unique<UncertaintyWeighting>(optimizer);
    if (kind == "gradnorm") return std::make_unique<GradNormWeighting>(o, optimizer);
    if (kind == "dwa") return std::make_unique<DwaWeighting>(o);
    throw std::invalid_argument("unknown weighting strategy '" + options.name + "'; " + kValidForms);
}

torch::Tensor normalizedWeights(const torch::Tensor& raw)
{
    const torch::Tensor w = raw.detach();
    const double sum = w.sum().item<double>();
    // A non-positive (or non-finite) total has no meaningful shares: show them as equal.
    if (!(sum > 0.0) || !std::isfinite(sum)) return torch::full_like(w, 1.0 / static_cast<double>(w.numel()));
    return w / sum;
}

}  // namespace carilab::nn
