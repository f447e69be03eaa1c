#include "eval/score_file.h"

#include "io/atomic_file.h"

#include <cmath>
#include <cstdlib>
#include <sstream>
#include <stdexcept>

namespace carilab::eval {

namespace {

bool parseLabel(std::string s, bool& v)
{
    s = data::lowerAscii(s);
    if (s == "1" || s == "true" || s == "same" || s == "genuine" || s == "1.0") {
        v = true;
        return true;
    }
    if (s == "0" || s == "false" || s == "diff" || s == "different" || s == "impostor" || s == "0.0") {
        v = false;
        return true;
    }
    return false;
}

}  // namespace

ScoreFile readScoreFile(const std::string& path)
{
    ScoreFile out;
    const auto lines = data::readProtocolLines(path);
    for (size_t i = 0; i < lines.size(); ++i) {
        const auto f = data::splitFields(lines[i].text, ",; \t");
        if (f.size() < 2) {
            out.issues.push_back({path, lines[i].number, "expected 'score,label', found '" + lines[i].text + "'"});
            continue;
        }
        double score = 0;
        bool label = false, scoreOk = false;
        {
            // strtod, not stod: stod throws on a subnormal such as 1e-320 (ERANGE), a valid score.
            char* end = nullptr;
            score = std::strtod(f[0].c_str(), &end);
            scoreOk = !f[0].empty() && end == f[0].c_str() + f[0].size();
        }
        if (!scoreOk && i == 0) continue;  // a header row
        if (!scoreOk || !std::isfinite(score)) {
            out.issues.push_back({path, lines[i].number, "score '" + f[0] + "' is not a finite number"});
            continue;
        }
        if (!parseLabel(f[1], label)) {
            out.issues.push_back({path, lines[i].number, "label '" + f[1] + "' is not 1/0 (or true/false, same/diff)"});
            continue;
        }
        out.pairs.push_back({score, label});
    }
    if (out.pairs.empty())
        throw std::runtime_error(
            path + ": no usable 'score,label' rows" +
            (out.issues.empty() ? std::string() : " (first problem: " + out.issues.front().where() + ": " + out.issues.front().message + ")"));
    return out;
}

void writeScoreFile(const std::string& path, const std::vector<Pair>& pairs, const std::vector<int>& folds)
{
    std::ostringstream o;
    o.precision(9);
    o << (folds.empty() ? "score,label\n" : "score,label,fold\n");
    for (size_t i = 0; i < pairs.size(); ++i) {
        o << pairs[i].score << ',' << (pairs[i].positive ? 1 : 0);
        if (!folds.empty()) o << ',' << folds[i] + 1;
        o << '\n';
    }
    io::writeFileAtomic(path, o.str());
}

}  // namespace carilab::eval
