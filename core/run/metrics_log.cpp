#include "run/metrics_log.h"

#include "io/atomic_file.h"

#include <filesystem>
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

// One line as a record; throws MetricsRecordError saying why it cannot be one.
MetricsRecord parseLine(const std::string& line)
{
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) throw MetricsRecordError("not a JSON object");
    return metricsRecordFromJson(j);
}

void add(MetricsFile& out, MetricsRecord&& r)
{
    if (auto* s = std::get_if<StepRecord>(&r)) {
        out.train.push_back(std::move(*s));
    } else if (auto* h = std::get_if<HeldOutRecord>(&r)) {
        out.heldOut.push_back(std::move(*h));
    } else {
        out.other.push_back(std::get<OtherRecord>(std::move(r)));
    }
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
        if (lines[i].empty()) continue;
        // Only a last line without its newline is torn; a complete bad line is corruption. A
        // complete object without its newline (the writer died right after it) is kept.
        const bool torn = i + 1 == lines.size() && !complete;
        try {
            add(out, parseLine(lines[i]));
        } catch (const MetricsRecordError& e) {
            if (torn)
                out.truncatedTail = true;
            else
                out.problems.push_back(path + ":" + std::to_string(i + 1) + ": " + e.what() + ", skipped");
        }
    }
    return out;
}

void appendMetricsRecord(const std::string& path, const MetricsRecord& record) { io::appendLine(path, toJson(record).dump()); }

void truncateMetricsAfter(const std::string& path, long long lastStep)
{
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return;
    bool complete = true;
    const auto lines = splitLines(io::readFile(path), complete);
    std::string kept;
    for (const auto& line : lines) {
        try {
            const auto step = recordStep(parseLine(line));
            if (step && *step > lastStep) continue;
        } catch (const MetricsRecordError&) {
            continue;
        }
        kept += line;
        kept += '\n';
    }
    io::writeFileAtomic(path, kept);
}

}  // namespace carilab::run
