#include "run/metrics_log.h"

#include "io/atomic_file.h"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace carilab::run {

namespace {

std::vector<std::string> splitLines(const std::string& text, bool& lastLineComplete)
{
    std::vector<std::string> lines;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) lines.push_back(line);
    lastLineComplete = text.empty() || text.back() == '\n';
    return lines;
}

// Why a parsed object cannot be used as a record ("" when it can): the fields every reader
// relies on must have their types, or a hand-edited line would throw in the middle of a read.
std::string recordProblem(const nlohmann::json& j)
{
    if (const auto t = j.find("type"); t != j.end() && !t->is_string()) return "\"type\" is not a string";
    if (const auto s = j.find("step"); s != j.end() && !s->is_number()) return "\"step\" is not a number";
    return {};
}

// Compared as JSON numbers, so a huge or fractional step cannot overflow a long long.
bool stepAfter(const nlohmann::json& j, long long lastStep)
{
    const auto s = j.find("step");
    if (s == j.end()) return false;
    if (s->is_number_unsigned()) return lastStep < 0 || s->get<unsigned long long>() > (unsigned long long)lastStep;
    if (s->is_number_integer()) return s->get<long long>() > lastStep;
    return s->get<double>() > (double)lastStep;
}

}  // namespace

MetricsFile readMetricsFile(const std::string& path)
{
    MetricsFile out;
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return out;
    bool complete = true;
    const auto lines = splitLines(io::readFile(path), complete);
    for (size_t i = 0; i < lines.size(); ++i) {
        const std::string& line = lines[i];
        if (line.empty()) continue;
        const bool last = i + 1 == lines.size();
        nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
        if (j.is_discarded() || !j.is_object()) {
            // Only a last line without its newline is torn; a complete bad line is corruption.
            if (last && !complete)
                out.truncatedTail = true;
            else
                out.problems.push_back("line " + std::to_string(i + 1) + ": not a JSON object, skipped");
            continue;
        }
        if (last && !complete) {
            // A complete object without its newline: the writer died right after it. Keep it.
            out.truncatedTail = false;
        }
        if (const std::string why = recordProblem(j); !why.empty()) {
            out.problems.push_back("line " + std::to_string(i + 1) + ": " + why + ", skipped");
            continue;
        }
        const std::string type = j.value("type", j.contains("loss") ? "train" : "");
        if (type == "train")
            out.train.push_back(std::move(j));
        else if (type == "eval")
            out.eval.push_back(std::move(j));
        else
            out.other.push_back(std::move(j));
    }
    return out;
}

void truncateMetricsAfter(const std::string& path, long long lastStep)
{
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return;
    bool complete = true;
    const auto lines = splitLines(io::readFile(path), complete);
    std::string kept;
    for (const auto& line : lines) {
        nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
        if (j.is_discarded() || !j.is_object() || !recordProblem(j).empty()) continue;
        if (stepAfter(j, lastStep)) continue;
        kept += line;
        kept += '\n';
    }
    io::writeFileAtomic(path, kept);
}

}  // namespace carilab::run
