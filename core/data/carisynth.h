#pragma once
// CariSynth: a procedural caricature/photo face dataset, deterministic from a seed.
//
// An identity is a vector of face parameters drawn from a population prior. Photos render it
// with mild jitter; caricatures exaggerate its deviation from the population mean by a random
// factor (the classic caricature principle) in one of several artistic styles. This makes
// photo identification easy and caricature identification the hardest task, as in the paper.
#include <cstdint>
#include <string>

namespace carilab::data {

struct CariSynthOptions {
    int identities = 40;
    int photosPerIdentity = 20;
    int caricaturesPerIdentity = 20;
    int size = 128;  // square image side in pixels
    std::uint64_t seed = 1;
};

struct CariSynthReport {
    std::string root;
    int identities = 0;
    int photos = 0;
    int caricatures = 0;
    double seconds = 0.0;  // wall time of the generation
};

// Writes <outDir>/<identity>/{photo,caricature}/<name>.jpg, <outDir>/landmarks.csv and
// <outDir>/carisynth.json. The set is built in a sibling temporary folder and renamed into
// place, so a killed generation never leaves a half-written dataset. An existing CariSynth set
// at outDir is replaced; any other non-empty folder is refused with std::runtime_error.
CariSynthReport generateCariSynth(const std::string& outDir, const CariSynthOptions& options);

// True when dir holds a complete CariSynth set made with these options (so callers can reuse
// it instead of regenerating).
bool isCariSynthSet(const std::string& dir, const CariSynthOptions& options);

}  // namespace carilab::data
