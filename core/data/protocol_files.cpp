#include "data/protocol_files.h"

#include "io/input_file.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace carilab::data {

std::string ProtocolIssue::where() const { return line > 0 ? file + ":" + std::to_string(line) : file; }

std::vector<TextLine> readProtocolLines(const std::string& file)
{
    if (const std::string p = io::regularFileProblem(file); !p.empty()) throw std::runtime_error(file + ": cannot open protocol file: " + p);
    std::ifstream in(file, std::ios::binary);
    if (!in) throw std::runtime_error(file + ": cannot open protocol file (check read permissions)");
    std::vector<TextLine> lines;
    std::string s;
    int n = 0;
    while (std::getline(in, s)) {
        ++n;
        if (n == 1 && s.rfind("\xEF\xBB\xBF", 0) == 0) s.erase(0, 3);
        while (!s.empty() && (s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) s.pop_back();
        if (s.find_first_not_of(" \t") == std::string::npos) continue;
        lines.push_back({n, s});
    }
    return lines;
}

std::vector<std::string> splitFields(const std::string& line, const char* delimiters)
{
    std::vector<std::string> out;
    size_t i = 0;
    while (i < line.size()) {
        const size_t start = line.find_first_not_of(delimiters, i);
        if (start == std::string::npos) break;
        const size_t end = line.find_first_of(delimiters, start);
        out.push_back(line.substr(start, end == std::string::npos ? std::string::npos : end - start));
        i = end == std::string::npos ? line.size() : end;
    }
    return out;
}

std::optional<std::string> normaliseProtocolPath(const std::string& path)
{
    std::string p = path;
    for (char& c : p)
        if (c == '\\') c = '/';
    if (p.empty() || p[0] == '/' || (p.size() > 1 && p[1] == ':')) return std::nullopt;
    std::vector<std::string> parts;
    std::stringstream ss(p);
    std::string part;
    while (std::getline(ss, part, '/')) {
        if (part.empty() || part == ".") continue;
        if (part == "..") return std::nullopt;
        parts.push_back(part);
    }
    if (parts.empty()) return std::nullopt;
    std::string out;
    for (const auto& x : parts) out += (out.empty() ? "" : "/") + x;
    return out;
}

std::string lowerAscii(std::string s)
{
    for (char& c : s)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return s;
}

}  // namespace carilab::data
