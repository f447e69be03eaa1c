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
            if (last && !complete) out.truncatedTail = true;
            else out.problems.push_back("line " + std::to_string(i + 1) + ": not a JSON object, skipped");
            continue;
        }
        if (last && !complete) {
            // A complete object without its newline: the writer died right after it. Keep it.
            out.truncatedTail = false;
        }
        const std::string type = j.value("type", j.contains("loss") ? "train" : "");
        if (type == "train") out.train.push_back(std::move(j));
        else if (type == "eval") out.eval.push_back(std::move(j));
        else out.other.push_back(std::move(j));
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
        if (j.is_discarded() || !j.is_object()) continue;
        if (j.value("step", 0LL) > lastStep) continue;
        kept += line;
        kept += '\n';
    }
    io::writeFileAtomic(path, kept);
}

}  // namespace carilab::run
