#pragma once
// Typed, tolerant reads of one object of an evaluation record, shared by the protocol result's
// reader and run/eval_records.cpp: a missing or null key reads as absent (NaN is written as
// null, older files lack newer keys); a present key of another type throws ResultRecordError
// with the full dotted key, so every error says where in the file it is.
#include "eval/protocol_result.h"
#include "io/json_fields.h"

#include <nlohmann/json.hpp>

#include <climits>
#include <cmath>
#include <cstddef>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace carilab::eval::result_fields {

class Obj {
public:
    Obj(const nlohmann::json& j, std::string at) : j_(j), at_(std::move(at)) {}

    std::string name(const std::string& key) const { return at_.empty() ? key : at_ + "." + key; }
    [[noreturn]] void wrongType(const std::string& key, const char* want) const { throw ResultRecordError("\"" + name(key) + "\" is not " + want); }

    const nlohmann::json* field(const std::string& key) const { return io::json_fields::field(j_, key); }
    std::optional<double> optNumber(const std::string& key) const { return io::json_fields::optNumber(j_, key, complaint()); }
    // Whole numbers only, and only those a long long holds (a hand-edited 1e300 is not a step).
    std::optional<long long> optInteger(const std::string& key) const { return io::json_fields::optInteger(j_, key, complaint()); }
    std::string text(const std::string& key) const { return io::json_fields::text(j_, key, complaint()); }

    // A name written as a string or a whole number (fold "1" or 1, "all").
    std::string label(const std::string& key) const
    {
        const nlohmann::json* v = field(key);
        if (v && v->is_string()) return v->get<std::string>();
        return v ? std::to_string(*optInteger(key)) : std::string();
    }

    std::optional<bool> flag(const std::string& key) const
    {
        const nlohmann::json* v = field(key);
        if (v && !v->is_boolean()) wrongType(key, "true or false");
        return v ? std::optional<bool>(v->get<bool>()) : std::nullopt;
    }

    std::optional<Obj> object(const std::string& key) const
    {
        const nlohmann::json* v = field(key);
        if (v && !v->is_object()) wrongType(key, "an object");
        return v ? std::optional<Obj>(Obj(*v, name(key))) : std::nullopt;
    }

    // Each element through `each` (with its dotted name); a missing key is an empty array.
    template <class F>
    void forEach(const std::string& key, F each) const
    {
        const nlohmann::json* v = field(key);
        if (v && !v->is_array()) wrongType(key, "an array");
        if (v)
            for (std::size_t i = 0; i < v->size(); ++i) each((*v)[i], name(key) + "[" + std::to_string(i) + "]");
    }

    std::vector<double> numbers(const std::string& key) const
    {
        std::vector<double> out;
        forEach(key, [&](const nlohmann::json& x, const std::string& at) {
            if (!x.is_null() && !x.is_number()) throw ResultRecordError("\"" + at + "\" is not a number");
            out.push_back(x.is_null() ? std::numeric_limits<double>::quiet_NaN() : x.get<double>());
        });
        return out;
    }

    std::vector<std::string> texts(const std::string& key) const
    {
        std::vector<std::string> out;
        forEach(key, [&](const nlohmann::json& x, const std::string& at) {
            if (!x.is_string()) throw ResultRecordError("\"" + at + "\" is not a string");
            out.push_back(x.get<std::string>());
        });
        return out;
    }

    // A figure that was not computed is absent, whether null (in a file) or NaN (in memory).
    std::optional<double> optFigure(const std::string& key) const
    {
        const auto v = optNumber(key);
        return v && std::isfinite(*v) ? v : std::nullopt;
    }

    // The named metrics the object holds as numbers; other keys (counts, names) are not metrics.
    MetricValues metrics(std::initializer_list<const char*> keys) const
    {
        MetricValues m;
        for (const char* k : keys)
            if (const auto v = optFigure(k)) m[k] = *v;
        return m;
    }

    MetricValues metricsOf(const std::string& key, std::initializer_list<const char*> keys) const
    {
        const auto o = object(key);
        return o ? o->metrics(keys) : MetricValues{};
    }

    const nlohmann::json& j() const { return j_; }
    const std::string& at() const { return at_; }

private:
    // io::json_fields reports a wrong type through this, so the error names the dotted key.
    struct Complaint {
        const Obj* obj;
        [[noreturn]] void operator()(const std::string& key, const char* want) const { obj->wrongType(key, want); }
    };
    Complaint complaint() const { return Complaint{this}; }

    const nlohmann::json& j_;
    std::string at_;
};

inline Obj objectAt(const nlohmann::json& j, const std::string& at)
{
    if (!j.is_object()) throw ResultRecordError("\"" + at + "\" is not an object");
    return Obj(j, at);
}

}  // namespace carilab::eval::result_fields
