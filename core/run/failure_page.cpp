#include "run/failure_page.h"

#include "io/atomic_file.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <stdexcept>

namespace carilab::run {

namespace {

namespace fs = std::filesystem;

// In every page's <head>: what marks a folder as holding a failures page that may be replaced.
const char* const kGenerator = "<meta name=\"generator\" content=\"carilab-cli failures\">";

std::string decimal(double v, const char* format = "%.6f")
{
    char buf[64];
    std::snprintf(buf, sizeof buf, format, v);
    return buf;
}

std::string optionalNumber(const std::optional<double>& v) { return v ? decimal(*v) : std::string(); }

std::string csvField(const std::string& s)
{
    if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
    std::string q = "\"";
    for (const char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}

std::string html(const std::string& s)
{
    std::string out;
    for (const char c : s) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        default: out += c;
        }
    }
    return out;
}

std::string percent(const std::optional<double>& v) { return v ? decimal(100.0 * *v, "%.1f%%") : std::string("&ndash;"); }

bool holdsFailurePage(const fs::path& dir)
{
    const fs::path index = dir / "index.html";
    if (!fs::is_regular_file(index)) return false;
    return io::readFile(index.string()).find(kGenerator) != std::string::npos;
}

std::string pairRows(const std::vector<FailurePair>& list)
{
    std::ostringstream o;
    for (const auto& p : list) {
        o << "<tr><td>" << p.rank << "</td><td>" << decimal(p.score, "%.4f") << "</td>";
        for (const auto* im : {&p.a, &p.b})
            o << "<td class=\"face\"><img src=\"" << html(cropFileName(*im)) << "\" alt=\"\"><div>" << html(im->identity) << "<br><small>"
              << html(im->modality) << ": " << html(im->path) << "</small></div></td>";
        o << "</tr>\n";
    }
    return o.str();
}

std::string pairSection(const std::string& title, const std::string& what, const std::vector<FailurePair>& list, long long total)
{
    std::ostringstream o;
    o << "<h2>" << title << " (" << list.size() << " of " << total << ")</h2>\n<p>" << what << "</p>\n";
    if (list.empty()) return o.str() + "<p>None.</p>\n";
    o << "<table class=\"pairs\"><thead><tr><th>#</th><th>score</th><th>caricature</th><th>photo</th></tr></thead><tbody>\n"
      << pairRows(list) << "</tbody></table>\n";
    return o.str();
}

std::string sortCell(const std::optional<double>& v)
{
    return "<td data-v=\"" + (v ? decimal(*v) : std::string("-1")) + "\">" + percent(v) + "</td>";
}

std::string identitySection(const FailureGallery& g)
{
    std::ostringstream o;
    o << "<h2>Identities (" << g.identities.size()
      << ")</h2>\n<p>Verification accuracy at the threshold over the pairs involving the "
         "identity (a negative pair counts for both of its identities); identification accuracy of its caricatures by the caricature "
         "branch and of its photos by the visual branch (&ndash;: not one of the run's identities). Click a heading to sort.</p>\n"
         "<table class=\"sortable\"><thead><tr><th>identity</th><th>pairs</th><th>verification</th><th>caricatures</th>"
         "<th>caricature id</th><th>photos</th><th>visual id</th></tr></thead><tbody>\n";
    for (const auto& f : g.identities)
        o << "<tr><td>" << html(f.identity) << "</td><td data-v=\"" << f.pairs << "\">" << f.pairs << "</td>" << sortCell(f.verificationAccuracy())
          << "<td data-v=\"" << f.caricatures << "\">" << f.caricatures << "</td>" << sortCell(f.caricatureAccuracy()) << "<td data-v=\"" << f.photos
          << "\">" << f.photos << "</td>" << sortCell(f.visualAccuracy()) << "</tr>\n";
    o << "</tbody></table>\n";
    return o.str();
}

std::string confusionSection(const FailureGallery& g)
{
    std::ostringstream o;
    o << "<h2>Caricature identification confusions (" << g.confusions.size() << ")</h2>\n";
    if (g.confusions.empty()) return o.str() + "<p>None.</p>\n";
    o << "<table class=\"sortable\"><thead><tr><th>true identity</th><th>predicted</th><th>caricatures</th></tr></thead><tbody>\n";
    for (const auto& c : g.confusions)
        o << "<tr><td>" << html(c.trueIdentity) << "</td><td>" << html(c.predicted) << "</td><td data-v=\"" << c.count << "\">" << c.count
          << "</td></tr>\n";
    o << "</tbody></table>\n";
    return o.str();
}

const char* const kStyle = "body{font-family:sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse;margin-bottom:1.5em}"
                           "td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}th{background:#f2f2f2}"
                           "table.sortable th{cursor:pointer}td.face img{display:block;image-rendering:pixelated}td.face small{color:#666}";

// Clicking a heading sorts its table by that column (numbers by data-v), again to reverse.
const char* const kSortScript =
    "document.querySelectorAll('table.sortable th').forEach(function(th){th.addEventListener('click',function(){"
    "var t=th.closest('table'),b=t.tBodies[0],i=th.cellIndex,d=th.dataset.dir==='asc'?-1:1;th.dataset.dir=d>0?'asc':'desc';"
    "var k=function(r){var c=r.cells[i];return c.dataset.v!==undefined?parseFloat(c.dataset.v):c.textContent;};"
    "Array.prototype.slice.call(b.rows).sort(function(x,y){var a=k(x),c=k(y);"
    "return (typeof a==='number'?a-c:String(a).localeCompare(String(c)))*d;}).forEach(function(r){b.appendChild(r);});});});";

std::string summary(const FailureGallery& g)
{
    std::ostringstream o;
    o << "<p>Run <code>" << html(g.run) << "</code>, step " << g.step << " (<code>" << html(g.checkpoint) << "</code>)<br>" << html(g.key)
      << " on <code>" << html(g.pairsFile) << "</code>: " << g.pairs << " pairs (" << g.positives << " positive, " << g.negatives << " negative)<br>"
      << "Threshold <b>" << decimal(g.threshold, "%.4f") << "</b>: " << html(g.thresholdSource) << "<br>" << g.falseAcceptCount << " false accepts, "
      << g.falseRejectCount << " false rejects; crops are " << g.cropSize << "&times;" << g.cropSize << " px, as the network saw them</p>\n";
    for (const auto& n : g.notes) o << "<p><i>" << html(n) << "</i></p>\n";
    return o.str();
}

std::string page(const FailureGallery& g)
{
    std::ostringstream o;
    o << "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">" << kGenerator << "<title>Failures: " << html(g.key) << "</title><style>" << kStyle
      << "</style></head><body>\n<h1>Failures on " << html(g.key) << "</h1>\n"
      << summary(g)
      << pairSection("False accepts", "Negative pairs scored at or above the threshold, highest score first.", g.falseAccepts, g.falseAcceptCount)
      << pairSection("False rejects", "Positive pairs scored below the threshold, lowest score first.", g.falseRejects, g.falseRejectCount)
      << identitySection(g) << confusionSection(g) << "<script>" << kSortScript << "</script>\n</body></html>\n";
    return o.str();
}

int writeCrops(const FailureGallery& g, const fs::path& out)
{
    const fs::path dir = out / "crops";
    if (fs::is_directory(dir))
        for (const auto& e : fs::directory_iterator(dir))
            if (e.is_regular_file() && e.path().extension() == ".png") fs::remove(e.path());
    fs::create_directories(dir);
    int n = 0;
    for (const auto* list : {&g.falseAccepts, &g.falseRejects})
        for (const auto& p : *list)
            for (const auto* im : {&p.a, &p.b}) {
                const auto crop = g.crops.find(im->image);
                if (crop == g.crops.end()) throw std::logic_error("no crop of " + im->path);
                cv::Mat bgr;
                cv::cvtColor(crop->second, bgr, cv::COLOR_RGB2BGR);
                std::vector<unsigned char> bytes;
                if (!cv::imencode(".png", bgr, bytes)) throw std::runtime_error("could not encode the crop of " + im->path + " as PNG");
                const fs::path file = out / cropFileName(*im);
                if (fs::exists(file)) continue;  // the same image in another pair
                io::writeFileAtomic(file.string(), std::string(bytes.begin(), bytes.end()));
                ++n;
            }
    return n;
}

}  // namespace

std::string cropFileName(const FailureImage& image)
{
    std::string stem = image.identity + "-" + fs::path(image.path).stem().string();
    for (char& c : stem)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') c = '_';
    char prefix[16];
    std::snprintf(prefix, sizeof prefix, "%06d-", image.image);
    return "crops/" + std::string(prefix) + stem + ".png";
}

std::string pairsCsv(const FailureGallery& g)
{
    std::string s = "kind,rank,score,threshold,image_a,image_b,identity_a,identity_b,modality_a,modality_b\n";
    for (const auto& [kind, list] : {std::pair{"false_accept", &g.falseAccepts}, std::pair{"false_reject", &g.falseRejects}})
        for (const auto& p : *list)
            s += std::string(kind) + "," + std::to_string(p.rank) + "," + decimal(p.score) + "," + decimal(g.threshold) + "," + csvField(p.a.path) +
                "," + csvField(p.b.path) + "," + csvField(p.a.identity) + "," + csvField(p.b.identity) + "," + p.a.modality + "," + p.b.modality +
                "\n";
    return s;
}

std::string identitiesCsv(const FailureGallery& g)
{
    std::string s = "identity,pairs,pairs_correct,verification_accuracy,caricatures,caricature_id_accuracy,photos,visual_id_accuracy\n";
    for (const auto& f : g.identities)
        s += csvField(f.identity) + "," + std::to_string(f.pairs) + "," + std::to_string(f.pairsCorrect) + "," +
            optionalNumber(f.verificationAccuracy()) + "," + std::to_string(f.caricatures) + "," + optionalNumber(f.caricatureAccuracy()) + "," +
            std::to_string(f.photos) + "," + optionalNumber(f.visualAccuracy()) + "\n";
    return s;
}

std::string confusionsCsv(const FailureGallery& g)
{
    std::string s = "true_identity,predicted_identity,count\n";
    for (const auto& c : g.confusions) s += csvField(c.trueIdentity) + "," + csvField(c.predicted) + "," + std::to_string(c.count) + "\n";
    return s;
}

void checkFailurePageFolder(const std::string& outDir)
{
    const fs::path out(outDir);
    if (fs::exists(out) && !fs::is_directory(out))
        throw std::runtime_error(outDir + " is a file; give --out a new or empty folder (or one holding a previous failures page)");
    if (fs::is_directory(out) && !fs::is_empty(out) && !holdsFailurePage(out))
        throw std::runtime_error(outDir + " is not empty and holds no failures page (no index.html written by `carilab-cli failures`); " +
                                 "give --out a new or empty folder, so that nothing of yours is overwritten");
}

FailurePageFiles writeFailurePage(const FailureGallery& g, const std::string& outDir)
{
    checkFailurePageFolder(outDir);
    const fs::path out(outDir);
    fs::create_directories(out);
    FailurePageFiles f;
    f.crops = writeCrops(g, out);
    f.pairsCsv = (out / "pairs.csv").string();
    f.identitiesCsv = (out / "identities.csv").string();
    f.confusionsCsv = (out / "confusions.csv").string();
    f.index = (out / "index.html").string();
    io::writeFileAtomic(f.pairsCsv, pairsCsv(g));
    io::writeFileAtomic(f.identitiesCsv, identitiesCsv(g));
    io::writeFileAtomic(f.confusionsCsv, confusionsCsv(g));
    io::writeFileAtomic(f.index, page(g));
    return f;
}

}  // namespace carilab::run
