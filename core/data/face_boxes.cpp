#include "data/face_boxes.h"

#include "io/atomic_file.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace carilab::data {

std::map<std::string, FaceBoxRow> readFaceBoxesCsv(const std::string& file)
{
    std::ifstream in(file);
    if (!in) throw std::runtime_error(file + ": cannot open the face boxes file");
    std::map<std::string, FaceBoxRow> rows;
    std::string line;
    for (int lineNo = 1; std::getline(in, line); ++lineNo) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty() || line[0] == '#' || (lineNo == 1 && line.rfind("path,", 0) == 0)) continue;
        const auto fields = splitCsvLine(line);
        const std::string where = file + ":" + std::to_string(lineNo);
        if (fields.size() != 7)
            throw std::runtime_error(where + ": expected path,x,y,width,height,score,detector, found " + std::to_string(fields.size()) + " fields");
        float v[5];
        for (int i = 0; i < 5; ++i) v[i] = parseCsvCoordinate(fields[static_cast<size_t>(i) + 1], where, i + 1);
        if (v[2] < 0 || v[3] < 0) throw std::runtime_error(where + ": negative box size");
        rows[fields[0]] = {{v[0], v[1], v[2], v[3]}, v[4], fields[6]};
    }
    return rows;
}

void writeFaceBoxesCsv(const std::string& file, const std::map<std::string, FaceBoxRow>& rows)
{
    std::ostringstream out;
    out << "path,x,y,width,height,score,detector\n";
    out.setf(std::ios::fixed);
    out.precision(3);
    for (const auto& [path, r] : rows)
        out << path << ',' << r.box.x << ',' << r.box.y << ',' << r.box.width << ',' << r.box.height << ',' << r.score << ',' << r.detector << '\n';
    io::writeFileAtomic(file, out.str());
}

}  // namespace carilab::data
