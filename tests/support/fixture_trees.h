#pragma once
// Dataset trees in CaVI's and WebCaricature's on-disk layouts, generated from a small CariSynth
// set (real JPEGs with known identities), with the quirks the real datasets have.
#include <QString>

namespace carilab::test {

// A CariSynth set (96 px, `perSide` photos and as many caricatures per identity) in dataDir,
// and a tiny run trained on it by carilab-cli in runDir (--plain, one checkpoint at the last
// step): what the tests that need a real trained run start from. Throws std::runtime_error
// with the CLI's stderr when the training fails.
// A CariSynth set in dataDir: `perSide` photos and as many caricatures per identity; returns
// the dataset's root.
QString makeCariSynth(const QString& dataDir, int identities, int perSide, int size, unsigned seed);

struct SynthRunSpec {
    int identities = 8;
    int perSide = 6;
    unsigned seed = 11;
    int steps = 60;
    int batch = 16;
};
void makeSynthRun(const QString& dataDir, const QString& runDir, const SynthRunSpec& spec);

struct CaviFixture {
    QString root;  // the folder holding CaVI_Dataset/ and train-test-files/
    int identities = 0;  // identities with images (one of them caricature-only)
    int goodPairs = 0;  // usable lines of testing_1.txt
    int badPairLines = 0;  // lines of testing_1.txt that must be reported and skipped
    int thumbs = 0;  // Thumbs.db files
};
// identities >= 4. Quirks: identity 0's Real/ folder is lower-case; the last identity has
// caricatures only; Thumbs.db files; an "_c_1(1).jpg" name; testing_1.txt with backslash paths,
// CRLF on some lines, and bad lines: a missing image, 3 fields, an unknown identity, a '..'
// path and a label 2.
CaviFixture makeCaviFixture(const QString& dir, int identities = 6, int perSide = 5);

struct WebcariFixture {
    QString root;  // the folder holding OriginalImages/, FacialPoints/, EvaluationProtocols/
    int subjects = 0;
    int badLandmarkFiles = 0;  // FacialPoints files with 16 points
    int missingLandmarkFiles = 0;
    int restrictedView2Bad = 0;  // bad lines in RestrictedView2.txt
};
// subjects >= 20 (two per View 2 fold). Names contain spaces; landmarks in plain and scientific
// notation, some files CRLF; every protocol file of the real set.
WebcariFixture makeWebcariFixture(const QString& dir, int subjects = 20, int perSide = 4);

}  // namespace carilab::test
