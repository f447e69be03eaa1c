#pragma once
// Reading a dataset's protocol text files (pair lists, folds, galleries): CRLF, BOMs, blank
// lines and Windows paths are normal there; a bad line is reported with file and line and
// the rest is read.
#include <optional>
#include <string>
#include <vector>

namespace carilab::data {

// One skipped protocol line (or item), for the "N skipped" report and its details.
struct ProtocolIssue {
    std::string file;
    int line = 0;  // 1-based; 0 when not tied to a line
    std::string message;
    std::string where() const;  // "file:line" or "file"
};

struct TextLine {
    int number = 0;  // 1-based
    std::string text;  // without CR/LF and BOM, trailing blanks trimmed
};

// All non-blank lines; throws std::runtime_error when the file cannot be opened.
std::vector<TextLine> readProtocolLines(const std::string& file);

// Splits on any run of the given delimiters (default space and tab).
std::vector<std::string> splitFields(const std::string& line, const char* delimiters = " \t");

// A protocol path (backslashes or slashes, relative to root) as a root-relative '/' path.
// nullopt when it is absolute or climbs out of root with '..': a list file must never make
// CariLab read outside the dataset.
std::optional<std::string> normaliseProtocolPath(const std::string& path);

// Lower-case ASCII (identity names are matched case-insensitively across CaVI's two sides).
std::string lowerAscii(std::string s);

}  // namespace carilab::data
