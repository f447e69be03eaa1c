#include "cli_args.h"

#include <climits>
#include <cmath>
#include <iostream>
#include <sstream>

namespace carilab::cli {

Args::Args(std::string command, std::string summary) : command_(std::move(command)), summary_(std::move(summary))
{
    flag("help", "show this help and exit");
}

Args& Args::option(const std::string& name, const std::string& valueName, const std::string& help, std::optional<std::string> defaultValue)
{
    specs_.push_back({name, valueName, help, std::move(defaultValue), false, false});
    return *this;
}

Args& Args::repeated(const std::string& name, const std::string& valueName, const std::string& help)
{
    specs_.push_back({name, valueName, help, std::nullopt, false, true});
    return *this;
}

Args& Args::flag(const std::string& name, const std::string& help)
{
    specs_.push_back({name, "", help, std::nullopt, true, false});
    return *this;
}

Args& Args::positional(const std::string& name, const std::string& help, bool required)
{
    positionals_.push_back({name, help, required});
    return *this;
}

const Args::Spec* Args::find(const std::string& name) const
{
    for (const auto& s : specs_)
        if (s.name == name) return &s;
    return nullptr;
}

bool Args::parse(const std::vector<std::string>& argv)
{
    size_t pos = 0;
    for (size_t i = 0; i < argv.size(); ++i) {
        std::string a = argv[i];
        if (a.rfind("--", 0) == 0 && a.size() > 2) {
            std::string name = a.substr(2), value;
            bool inlineValue = false;
            if (auto eq = name.find('='); eq != std::string::npos) {
                value = name.substr(eq + 1);
                name = name.substr(0, eq);
                inlineValue = true;
            }
            const Spec* s = find(name);
            if (!s) throw UsageError("unknown option --" + name + " for '" + command_ + "' (see --help)");
            if (s->isFlag) {
                if (inlineValue) throw UsageError("--" + name + " takes no value");
                values_[name].push_back("1");
                if (name == "help") {
                    std::cout << help();
                    return false;
                }
                continue;
            }
            if (!inlineValue) {
                if (i + 1 >= argv.size()) throw UsageError("--" + name + " needs a value (" + s->valueName + ")");
                value = argv[++i];
            }
            if (!s->isRepeated && values_.count(name)) throw UsageError("--" + name + " given twice");
            values_[name].push_back(value);
        } else {
            if (pos >= positionals_.size()) throw UsageError("unexpected argument '" + a + "' (see --help)");
            values_[positionals_[pos++].name].push_back(a);
        }
    }
    for (size_t p = pos; p < positionals_.size(); ++p)
        if (positionals_[p].required) throw UsageError("missing " + positionals_[p].name + " (see --help)");
    return true;
}

std::string Args::help() const
{
    std::ostringstream o;
    o << "usage: carilab-cli " << command_;
    for (const auto& p : positionals_) o << (p.required ? " " : " [") << p.name << (p.required ? "" : "]");
    o << " [options]\n\n" << summary_ << "\n";
    if (!positionals_.empty()) {
        o << "\narguments:\n";
        for (const auto& p : positionals_) o << "  " << p.name << "\n      " << p.help << "\n";
    }
    o << "\noptions:\n";
    for (const auto& s : specs_) {
        o << "  --" << s.name;
        if (!s.isFlag) o << " " << s.valueName;
        o << "\n      " << s.help;
        if (s.def) o << " (default: " << *s.def << ")";
        if (s.isRepeated) o << " (repeatable)";
        o << "\n";
    }
    return o.str();
}

bool Args::has(const std::string& name) const
{
    if (values_.count(name)) return true;
    const Spec* s = find(name);
    return s && s->def.has_value();
}

std::string Args::get(const std::string& name) const
{
    if (auto it = values_.find(name); it != values_.end()) return it->second.back();
    if (const Spec* s = find(name); s && s->def) return *s->def;
    throw UsageError("missing --" + name + " (see --help)");
}

std::string Args::get(const std::string& name, const std::string& fallback) const { return has(name) ? get(name) : fallback; }

std::vector<std::string> Args::all(const std::string& name) const
{
    auto it = values_.find(name);
    return it == values_.end() ? std::vector<std::string>{} : it->second;
}

int Args::getInt(const std::string& name) const
{
    // A plain cast would turn 4294967299 into 3 and run with it.
    const long long x = getLong(name);
    if (x < INT_MIN || x > INT_MAX) throw UsageError("--" + name + " is out of range, got '" + get(name) + "'");
    return static_cast<int>(x);
}

long long Args::getLong(const std::string& name) const
{
    const std::string v = get(name);
    try {
        size_t used = 0;
        const long long x = std::stoll(v, &used);
        if (used != v.size()) throw std::invalid_argument(v);
        return x;
    } catch (const std::exception&) {
        throw UsageError("--" + name + " expects an integer, got '" + v + "'");
    }
}

namespace {

// The whole text as one finite number, or nothing ("nan", "inf" and trailing text are refused).
std::optional<double> finiteNumber(const std::string& text)
{
    try {
        size_t used = 0;
        const double x = std::stod(text, &used);
        if (used == text.size() && std::isfinite(x)) return x;
    } catch (const std::exception&) {
    }
    return std::nullopt;
}

}  // namespace

std::vector<double> Args::getDoubles(const std::string& name) const
{
    const std::string v = get(name);
    std::vector<double> out;
    for (size_t start = 0; start <= v.size();) {
        const size_t end = std::min(v.find(',', start), v.size());
        const auto x = finiteNumber(v.substr(start, end - start));
        if (!x) throw UsageError("--" + name + " expects finite numbers separated by commas, got '" + v + "'");
        out.push_back(*x);
        start = end + 1;
    }
    return out;
}

double Args::getDouble(const std::string& name) const
{
    const auto x = finiteNumber(get(name));
    if (!x) throw UsageError("--" + name + " expects a finite number, got '" + get(name) + "'");
    return *x;
}

int Args::getIntIn(const std::string& name, int lo, int hi) const
{
    const long long x = getLong(name);
    if (x < lo || x > hi)
        throw UsageError("--" + name + " must be between " + std::to_string(lo) + " and " + std::to_string(hi) + ", got '" + get(name) + "'");
    return static_cast<int>(x);
}

double Args::getDoubleIn(const std::string& name, double lo, double hi) const
{
    const double x = getDouble(name);
    if (x < lo || x > hi) {
        std::ostringstream o;
        o << "--" << name << " must be between " << lo << " and " << hi << ", got '" << get(name) << "'";
        throw UsageError(o.str());
    }
    return x;
}

bool Args::flagSet(const std::string& name) const { return values_.count(name) > 0; }

}  // namespace carilab::cli
