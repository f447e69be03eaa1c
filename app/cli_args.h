#pragma once
// A small declarative command-line parser: options are declared once and --help is generated
// from the declarations, so the help can never disagree with what is accepted.
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace carilab::cli {

class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class Args {
public:
    Args(std::string command, std::string summary);

    Args& option(const std::string& name, const std::string& valueName, const std::string& help,
                 std::optional<std::string> defaultValue = std::nullopt);
    Args& repeated(const std::string& name, const std::string& valueName, const std::string& help);
    Args& flag(const std::string& name, const std::string& help);
    Args& positional(const std::string& name, const std::string& help, bool required = true);

    // Returns false when --help was asked (help already printed to stdout).
    bool parse(const std::vector<std::string>& argv);
    std::string help() const;

    bool has(const std::string& name) const;
    std::string get(const std::string& name) const;  // throws UsageError if absent
    std::string get(const std::string& name, const std::string& fallback) const;
    std::vector<std::string> all(const std::string& name) const;
    int getInt(const std::string& name) const;
    long long getLong(const std::string& name) const;
    double getDouble(const std::string& name) const;  // finite only: "nan" and "inf" are refused
    // The option within [lo, hi]; UsageError naming the range otherwise.
    int getIntIn(const std::string& name, int lo, int hi) const;
    double getDoubleIn(const std::string& name, double lo, double hi) const;
    std::vector<double> getDoubles(const std::string& name) const;  // comma-separated, each finite
    bool flagSet(const std::string& name) const;

private:
    struct Spec {
        std::string name, valueName, help;
        std::optional<std::string> def;
        bool isFlag = false, isRepeated = false;
    };
    struct Pos {
        std::string name, help;
        bool required;
    };
    const Spec* find(const std::string& name) const;
    std::string command_, summary_;
    std::vector<Spec> specs_;
    std::vector<Pos> positionals_;
    std::map<std::string, std::vector<std::string>> values_;
};

}  // namespace carilab::cli
