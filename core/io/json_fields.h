#pragma once
// Typed reads of one JSON object's fields, shared by the record readers (metrics.jsonl,
// eval.json, protocol results): a missing or null key reads as absent (NaN is written as null, and older files
// lack newer keys); a present key of another type calls `wrong(key, "a number")`, which throws
// the reader's own error with the reader's own naming of the key.
#include <nlohmann/json.hpp>

#include <climits>
#include <cmath>
#include <optional>
#include <stdexcept>
#include <string>

namespace carilab::io::json_fields {

inline const nlohmann::json* field(const nlohmann::json& j, const std::string& key)
{
    const auto it = j.find(key);
    return it == j.end() || it->is_null() ? nullptr : &*it;
}

// `wrong` must throw; the logic_error only satisfies the compiler.
template <class Wrong>
[[noreturn]] void complain(Wrong&& wrong, const std::string& key, const char* want)
{
    wrong(key, want);
    throw std::logic_error("json_fields: the type complaint did not throw");
}

template <class Wrong>
std::optional<double> optNumber(const nlohmann::json& j, const std::string& key, Wrong&& wrong)
{
    const nlohmann::json* v = field(j, key);
    if (!v) return std::nullopt;
    if (!v->is_number()) complain(wrong, key, "a number");
    return v->get<double>();
}

// Whole numbers only, and only those a long long holds (a hand-edited 1e300 is not a step).
template <class Wrong>
std::optional<long long> optInteger(const nlohmann::json& j, const std::string& key, Wrong&& wrong)
{
    const nlohmann::json* v = field(j, key);
    if (!v) return std::nullopt;
    if (v->is_number_unsigned()) {
        if (v->get<unsigned long long>() <= static_cast<unsigned long long>(LLONG_MAX)) return v->get<long long>();
    } else if (v->is_number_integer()) {
        return v->get<long long>();
    } else if (v->is_number_float()) {
        const double d = v->get<double>();
        if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 9.2e18) return static_cast<long long>(d);
    }
    complain(wrong, key, "a whole number");
}

template <class Wrong>
std::string text(const nlohmann::json& j, const std::string& key, Wrong&& wrong)
{
    const nlohmann::json* v = field(j, key);
    if (!v) return {};
    if (!v->is_string()) complain(wrong, key, "a string");
    return v->get<std::string>();
}

}  // namespace carilab::io::json_fields
