#include "fixture_trees.h"

#include "test_support.h"

#include "data/carisynth.h"
#include "data/landmarks.h"

#include <QDir>
#include <QFile>
#include <QTextStream>

#include <opencv2/imgcodecs.hpp>

#include <cstdio>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <vector>

namespace carilab::test {
namespace fs = std::filesystem;

namespace {

struct SynthImage {
    std::string path;  // absolute
    data::Landmarks5 lm;
};

// identity -> {photos, caricatures}
std::vector<std::array<std::vector<SynthImage>, 2>> synth(const QString& dir, int identities, int perSide)
{
    const std::string root = (dir + "/_synth").toStdString();
    data::CariSynthOptions o;
    o.identities = identities;
    o.photosPerIdentity = perSide;
    o.caricaturesPerIdentity = perSide;
    o.size = 96;
    o.seed = 7;
    data::generateCariSynth(root, o);
    const auto lms = data::readLandmarksCsv(root + "/landmarks.csv");
    std::map<std::string, int> idOf;
    std::vector<std::array<std::vector<SynthImage>, 2>> out;
    for (const auto& [rel, lm] : lms) {
        const std::string id = rel.substr(0, rel.find('/'));
        if (!idOf.count(id)) {
            idOf[id] = static_cast<int>(out.size());
            out.push_back({});
        }
        const int m = rel.find("/caricature/") != std::string::npos ? 1 : 0;
        out[static_cast<size_t>(idOf[id])][static_cast<size_t>(m)].push_back({root + "/" + rel, lm});
    }
    return out;
}

void copyFile(const std::string& from, const std::string& to)
{
    fs::create_directories(fs::path(to).parent_path());
    fs::copy_file(from, to, fs::copy_options::overwrite_existing);
}

void writeText(const std::string& path, const std::string& text)
{
    fs::create_directories(fs::path(path).parent_path());
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) throw std::runtime_error("cannot write " + path);
    std::fwrite(text.data(), 1, text.size(), f);
    std::fclose(f);
}

std::string caviName(int i)
{
    static const char* names[] = {"Person_Alpha",   "Person_Bravo", "Person_Charlie", "Person_Delta", "Person_Echo",
                                  "Person_Foxtrot", "Person_Golf",  "Person_Hotel",   "Person_India", "Person_Juliet"};
    return i < 10 ? names[i] : "Person_" + std::to_string(i);
}

}  // namespace

CaviFixture makeCaviFixture(const QString& dir, int identities, int perSide)
{
    CaviFixture fx;
    fx.root = dir + "/cavi";
    const std::string root = fx.root.toStdString(), images = root + "/CaVI_Dataset";
    const auto ids = synth(dir, identities, perSide);
    // name -> relative paths by side
    std::vector<std::vector<std::string>> cari(ids.size()), real(ids.size());
    for (size_t i = 0; i < ids.size(); ++i) {
        const std::string name = caviName(static_cast<int>(i));
        std::string lowerName = name;
        for (char& c : lowerName) c = static_cast<char>(std::tolower(c));
        for (size_t k = 0; k < ids[i][1].size(); ++k) {
            // The real set has a few "(1)" copies.
            const std::string file = name + "_c_" + std::to_string(k) + (i == 1 && k == 1 ? "(1)" : "") + ".jpg";
            copyFile(ids[i][1][k].path, images + "/Caricature/" + name + "/" + file);
            cari[i].push_back("Caricature/" + name + "\\" + file);
        }
        if (i + 1 == ids.size()) continue;  // caricatures only
        const std::string folder = i == 0 ? lowerName : name;  // case differs across the sides
        for (size_t k = 0; k < ids[i][0].size(); ++k) {
            const std::string file = folder + "_r_" + std::to_string(k) + ".jpg";
            copyFile(ids[i][0][k].path, images + "/Real/" + folder + "/" + file);
            real[i].push_back("Real/" + folder + "\\" + file);
        }
    }
    for (int i : {0, 2}) {
        writeText(images + "/Caricature/" + caviName(i) + "/Thumbs.db", std::string("\xD0\xCF\x11\xE0 not an image", 18));
        ++fx.thumbs;
    }
    fx.identities = static_cast<int>(ids.size());

    // testing_1.txt: caricature k=0..1 of each identity against every photo, and as many
    // negatives against the next identity's photos; sorted positives first, as CaVI's.
    std::string pos, neg;
    const int withPhotos = static_cast<int>(ids.size()) - 1;
    for (int i = 0; i < withPhotos; ++i) {
        const std::string name = caviName(i);
        for (int k = 0; k < 2; ++k)
            for (const auto& r : real[static_cast<size_t>(i)]) {
                pos += name + " " + cari[static_cast<size_t>(i)][static_cast<size_t>(k)] + " " + name + " " + r + (k == 1 ? " 1\r\n" : " 1\n");
                ++fx.goodPairs;
            }
        const int j = (i + 1) % withPhotos;
        for (int k = 0; k < 2; ++k)
            for (const auto& r : real[static_cast<size_t>(j)]) {
                neg += name + " " + cari[static_cast<size_t>(i)][static_cast<size_t>(k)] + " " + caviName(j) + " " + r + " 0\n";
                ++fx.goodPairs;
            }
    }
    const std::string a = caviName(2);
    std::string bad;
    bad += a + " Caricature/" + a + "\\" + a + "_c_99.jpg " + a + " " + real[2][0] + " 1\n";  // missing image
    bad += a + " " + cari[2][0] + " " + a + "\n";  // 3 fields
    bad += "Nobody_Known " + cari[2][0] + " " + a + " " + real[2][0] + " 1\n";  // unknown identity
    bad += a + " ../outside/" + a + "\\x.jpg " + a + " " + real[2][0] + " 1\n";  // escapes the root
    bad += a + " " + cari[2][0] + " " + a + " " + real[2][0] + " 2\n";  // label 2
    fx.badPairLines = 5;
    writeText(root + "/train-test-files/testing_1.txt", pos + bad + neg);
    // validation.txt: a few clean pairs of identity 1.
    std::string val;
    for (const auto& r : real[1]) val += caviName(1) + " " + cari[1][2] + " " + caviName(1) + " " + r + " 1\n";
    for (const auto& r : real[2]) val += caviName(1) + " " + cari[1][2] + " " + caviName(2) + " " + r + " 0\n";
    writeText(root + "/train-test-files/validation.txt", val);
    fs::remove_all((dir + "/_synth").toStdString());
    return fx;
}

WebcariFixture makeWebcariFixture(const QString& dir, int subjects, int perSide)
{
    if (subjects < 20) throw std::invalid_argument("makeWebcariFixture needs at least 20 subjects");
    WebcariFixture fx;
    fx.root = dir + "/webcari";
    fx.subjects = subjects;
    const std::string root = fx.root.toStdString();
    const auto ids = synth(dir, subjects, perSide);
    auto subject = [](int i) {
        char b[32];
        std::snprintf(b, sizeof b, "Subject %02d", i);
        return std::string(b);
    };
    auto stem = [](char kind, int k) {
        char b[16];
        std::snprintf(b, sizeof b, "%c%05d", kind, k + 1);
        return std::string(b);
    };
    for (int i = 0; i < subjects; ++i) {
        std::string fileC, fileP;
        for (int m = 0; m < 2; ++m) {
            const char kind = m == 1 ? 'C' : 'P';
            for (size_t k = 0; k < ids[static_cast<size_t>(i)][static_cast<size_t>(m)].size(); ++k) {
                const auto& im = ids[static_cast<size_t>(i)][static_cast<size_t>(m)][k];
                const std::string s = stem(kind, static_cast<int>(k));
                copyFile(im.path, root + "/OriginalImages/" + subject(i) + "/" + s + ".jpg");
                (m ? fileC : fileP) += s + ".jpg\n";
                // 17 points around the 5 CariSynth landmarks, in the WebCaricature order.
                const auto& l = im.lm;
                const float d = (l[1].x - l[0].x) / 2.f, cx = (l[0].x + l[1].x) / 2.f;
                const float my = (l[3].y + l[4].y) / 2.f;
                const float pts[17][2] = {{cx, l[0].y - 2.2f * d},
                                          {l[0].x - 1.2f * d, l[0].y},
                                          {cx, my + 1.3f * d},
                                          {l[1].x + 1.2f * d, l[1].y},
                                          {l[0].x - 0.5f * d, l[0].y - 0.6f * d},
                                          {l[0].x + 0.5f * d, l[0].y - 0.6f * d},
                                          {l[1].x - 0.5f * d, l[1].y - 0.6f * d},
                                          {l[1].x + 0.5f * d, l[1].y - 0.6f * d},
                                          {l[0].x - 0.3f * d, l[0].y},
                                          {l[0].x + 0.3f * d, l[0].y},
                                          {l[1].x - 0.3f * d, l[1].y},
                                          {l[1].x + 0.3f * d, l[1].y},
                                          {l[2].x, l[2].y},
                                          {cx, my - 0.15f * d},
                                          {l[3].x, l[3].y},
                                          {cx, my + 0.2f * d},
                                          {l[4].x, l[4].y}};
                int n = 17;
                const bool bad = i == 3 && m == 1 && k == 0, missing = i == 4 && m == 0 && k == 0;
                if (bad) {
                    n = 16;
                    ++fx.badLandmarkFiles;
                }
                if (missing) {
                    ++fx.missingLandmarkFiles;
                    continue;
                }
                std::string text;
                for (int p = 0; p < n; ++p) {
                    char b[96];
                    if ((i + p) % 3 == 0)
                        std::snprintf(b, sizeof b, "%.6e %.6e", pts[p][0], pts[p][1]);
                    else
                        std::snprintf(b, sizeof b, "%.3f %.3f", pts[p][0], pts[p][1]);
                    text += std::string(b) + (i % 2 ? "\r\n" : "\n");
                }
                writeText(root + "/FacialPoints/" + subject(i) + "/" + s + ".txt", text);
            }
        }
        writeText(root + "/Filenames/" + subject(i) + "/file_c.txt", fileC);
        writeText(root + "/Filenames/" + subject(i) + "/file_p.txt", fileP);
    }
    writeText(root + "/Readme.txt", "fixture\n");
    const std::string ev = root + "/EvaluationProtocols/";
    const int half = subjects / 2;
    auto nC = [&](int i) { return static_cast<int>(ids[static_cast<size_t>(i)][1].size()); };
    auto nP = [&](int i) { return static_cast<int>(ids[static_cast<size_t>(i)][0].size()); };
    // Restricted blocks: matched C(k)-P(k) per subject, mismatched C(k) of s against P of the next.
    auto restrictedBlock = [&](const std::vector<int>& subs, int badMatched) {
        std::vector<std::string> m, mm;
        for (size_t a = 0; a < subs.size(); ++a)
            for (int k = 0; k < 2; ++k) {
                const int s = subs[a], t = subs[(a + 1) % subs.size()];
                m.push_back(subject(s) + "\t" + stem('C', k) + "\t" + stem('P', k) + "\n");
                mm.push_back(subject(s) + "\t" + stem('C', k) + "\t" + subject(t) + "\t" + stem('P', (k + 1) % nP(t)) + "\n");
            }
        // Bad lines in matched slots: an unknown subject, then a missing image.
        if (badMatched > 0) m[0] = "Nobody Known\tC00001\tP00001\n";
        if (badMatched > 1) m[1] = subject(subs[0]) + "\tC00077\tP00001\n";
        std::string out = std::to_string(m.size()) + "\n";
        for (const auto& x : m) out += x;
        for (const auto& x : mm) out += x;
        return out;
    };
    std::vector<int> dev1, dev2;
    for (int i = 0; i < half; ++i) dev1.push_back(i);
    for (int i = half; i < subjects; ++i) dev2.push_back(i);
    writeText(ev + "FaceVerification/Restricted/RestrictedView1_DevTrain.txt", restrictedBlock(dev1, 0));
    writeText(ev + "FaceVerification/Restricted/RestrictedView1_DevTest.txt", restrictedBlock(dev2, 0));
    std::string v2;
    for (int f = 0; f < 10; ++f) {
        std::vector<int> subs;
        for (int i = f; i < subjects; i += 10) subs.push_back(i);
        v2 += restrictedBlock(subs, f == 0 ? 2 : 0);
    }
    fx.restrictedView2Bad = 2;
    writeText(ev + "FaceVerification/Restricted/RestrictedView2.txt", v2);
    auto subjectBlock = [&](const std::vector<int>& subs) {
        std::string s = std::to_string(subs.size()) + "\n";
        for (int i : subs) s += subject(i) + "\t" + std::to_string(nC(i)) + "\t" + std::to_string(nP(i)) + "\n";
        return s;
    };
    writeText(ev + "FaceVerification/UnRestricted/UnRestrictedView1_DevTrain.txt", subjectBlock(dev1));
    writeText(ev + "FaceVerification/UnRestricted/UnRestrictedView1_DevTest.txt", subjectBlock(dev2));
    std::string u2;
    for (int f = 0; f < 10; ++f) {
        std::vector<int> subs;
        for (int i = f; i < subjects; i += 10) subs.push_back(i);
        u2 += subjectBlock(subs);
    }
    writeText(ev + "FaceVerification/UnRestricted/UnRestrictedView2.txt", u2);
    // Identification: train on one half, gallery/probe on the other; View 2 rotates the halves.
    auto idFiles = [&](const std::string& suffix, const std::vector<int>& train, const std::vector<int>& test) {
        writeText(ev + "FaceIdentification/FR_Train" + suffix + ".txt", subjectBlock(train));
        for (const std::string d : {"C2P", "P2C"}) {
            const char g = d == "C2P" ? 'P' : 'C', p = d == "C2P" ? 'C' : 'P';
            std::string gal = std::to_string(test.size()) + "\n", probe;
            int np = 0;
            for (int i : test) {
                gal += subject(i) + "\t" + stem(g, 0) + "\n";
                const int n = p == 'C' ? nC(i) : nP(i);
                for (int k = 0; k < n; ++k, ++np) probe += subject(i) + "\t" + stem(p, k) + "\n";
            }
            writeText(ev + "FaceIdentification/" + d + "/FR_Gallery_" + d + suffix + ".txt", gal);
            writeText(ev + "FaceIdentification/" + d + "/FR_Probe_" + d + suffix + ".txt", std::to_string(np) + "\n" + probe);
        }
    };
    idFiles("_dev", dev1, dev2);
    for (int f = 1; f <= 10; ++f) {
        std::vector<int> train, test;
        for (int i = 0; i < subjects; ++i) ((i + f) % 2 ? train : test).push_back(i);
        idFiles(std::to_string(f), train, test);
    }
    fs::remove_all((dir + "/_synth").toStdString());
    return fx;
}

QString makeCariSynth(const QString& dataDir, int identities, int perSide, int size, unsigned seed)
{
    data::CariSynthOptions o;
    o.identities = identities;
    o.photosPerIdentity = perSide;
    o.caricaturesPerIdentity = perSide;
    o.size = size;
    o.seed = seed;
    return QString::fromStdString(data::generateCariSynth(dataDir.toStdString(), o).root);
}

void makeSynthRun(const QString& dataDir, const QString& runDir, const SynthRunSpec& spec)
{
    makeCariSynth(dataDir, spec.identities, spec.perSide, 96, spec.seed);
    const QString steps = QString::number(spec.steps);
    const CliResult r = runCli({"train", "--dataset", dataDir, "--run-dir", runDir, "--steps", steps, "--batch", QString::number(spec.batch),
                                "--threads", "2", "--plain", "--checkpoint-every", steps},
                               600000);
    if (r.exitCode != 0) throw std::runtime_error("training the fixture run failed: " + r.err.right(3000).toStdString());
}

}  // namespace carilab::test
