#include "data/landmarks.h"

#include "io/atomic_file.h"

#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace carilab::data {

namespace {

bool isNumber(const std::string& s)
{
    try {
        size_t used = 0;
        std::stof(s, &used);
        return s.find_first_not_of(" \t", used) == std::string::npos;
    } catch (const std::exception&) {
        return false;
    }
}

}  // namespace

std::vector<std::string> splitCsvLine(const std::string& line)
{
    std::vector<std::string> fields;
    std::stringstream ss(line);
    std::string f;
    while (std::getline(ss, f, ',')) fields.push_back(f);
    return fields;
}

float parseCsvCoordinate(const std::string& field, const std::string& where, int index)
{
    float v = 0;
    try {
        size_t used = 0;
        v = std::stof(field, &used);
        // "12px" or "3.5.1" is not a coordinate: only trailing blanks may follow.
        if (field.find_first_not_of(" \t", used) != std::string::npos) throw std::invalid_argument(field);
    } catch (const std::exception&) {
        throw std::runtime_error(where + ": coordinate " + std::to_string(index) + " ('" + field + "') is not a number");
    }
    if (!std::isfinite(v)) throw std::runtime_error(where + ": coordinate " + std::to_string(index) + " is not finite");
    if (std::fabs(v) > kMaxLandmarkCoordinate)
        throw std::runtime_error(where + ": coordinate " + std::to_string(index) + " ('" + field + "') is not a pixel position");
    return v;
}

std::map<std::string, Landmarks5> readLandmarksCsv(const std::string& file)
{
    std::ifstream in(file);
    if (!in) throw std::runtime_error(file + ": cannot open landmarks file");
    std::map<std::string, Landmarks5> rows;
    std::string line;
    int lineNo = 0;
    while (std::getline(in, line)) {
        ++lineNo;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (lineNo == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
        if (line.empty() || line[0] == '#') continue;
        const auto fields = splitCsvLine(line);
        // The header: "image,..." as written here, or any first row whose first coordinate
        // is not a number ("file,x1,y1,..." from other tools).
        if (lineNo == 1 && (line.rfind("image,", 0) == 0 || (fields.size() > 1 && !isNumber(fields[1])))) continue;
        const std::string where = file + ":" + std::to_string(lineNo);
        if (fields.size() != 11)
            throw std::runtime_error(where + ": expected an image path and 10 coordinates, found " + std::to_string(fields.size()) + " fields");
        Landmarks5 lm;
        for (int i = 0; i < 10; ++i) {
            const float v = parseCsvCoordinate(fields[static_cast<size_t>(i) + 1], where, i + 1);
            (i % 2 == 0 ? lm[i / 2].x : lm[i / 2].y) = v;
        }
        rows[fields[0]] = lm;
    }
    return rows;
}

void writeLandmarksCsv(const std::string& file, const std::map<std::string, Landmarks5>& rows)
{
    std::ostringstream out;
    out << "image,left_eye_x,left_eye_y,right_eye_x,right_eye_y,nose_x,nose_y,mouth_left_x,mouth_left_y,mouth_right_x,mouth_right_y\n";
    out.setf(std::ios::fixed);
    out.precision(2);
    for (const auto& [path, lm] : rows) {
        out << path;
        for (const auto& p : lm) out << ',' << p.x << ',' << p.y;
        out << '\n';
    }
    io::writeFileAtomic(file, out.str());
}

}  // namespace carilab::data
