#pragma once
// CariSynth internals: the identity model and the renderers. carisynth.cpp owns folders, files
// and threads; this part only turns (identity, random stream) into one image and its landmarks,
// so it can be driven from any thread without shared state.
#include "data/landmarks.h"

#include <opencv2/core.hpp>

#include <array>
#include <cstdint>
#include <random>

namespace carilab::data::carisynth {

// std::mt19937_64 is specified bit-exactly by the standard but the std:: distributions are not,
// so the distributions are ours: the same seed gives the same dataset with any standard library.
class Rng {
public:
    explicit Rng(std::uint64_t seed) : engine_(seed) {}
    std::uint64_t bits() { return engine_(); }
    double uniform();  // [0, 1)
    double uniform(double lo, double hi);
    double normal();  // N(0, 1)
    bool chance(double p);
    int index(int n);  // [0, n)

private:
    std::mt19937_64 engine_;
    double spare_ = 0.0;
    bool hasSpare_ = false;
};

// Seed of an independent stream. Every image draws from its own stream keyed by
// (seed, identity, stream), so the output does not depend on thread scheduling and a set with
// more identities or images starts with exactly the images of a smaller one.
std::uint64_t streamSeed(std::uint64_t seed, std::uint64_t identity, std::uint64_t stream);

enum class HairStyle : std::uint8_t { Bald, Short, Long, Curly, Fringe, Quiff };
enum class FacialHair : std::uint8_t { None, Moustache, Beard, Goatee };
enum class Glasses : std::uint8_t { None, Round, Square };

// Continuous traits, indices into Identity::z.
enum Trait : int {
    FaceWidth,
    FaceHeight,
    JawWidth,
    ChinShape,
    CheekFullness,
    EyeSize,
    EyeSpacing,
    EyeHeight,
    EyeTilt,
    BrowThickness,
    BrowAngle,
    BrowHeight,
    NoseLength,
    NoseWidth,
    MouthWidth,
    LipThickness,
    MouthHeight,
    EarSize,
    HairVolume,
    HairlineHeight,
    SkinTone,
    kTraitCount
};

struct Identity {
    // Deviation of each trait from the population mean, in population standard deviations.
    // Caricatures multiply these (all but SkinTone): the classic caricature-generator principle.
    std::array<float, kTraitCount> z{};
    HairStyle hair = HairStyle::Short;
    FacialHair facialHair = FacialHair::None;
    Glasses glasses = Glasses::None;
    int hairPartSide = 1;  // +1 / -1: which way the parting and quiff go
    cv::Vec3f skinColour, hairColour, eyeColour, glassesColour;  // BGR, 0..255
};

Identity sampleIdentity(Rng& rng);

struct RenderedImage {
    cv::Mat bgr;  // CV_8UC3, size x size
    Landmarks5 landmarks;  // in bgr's pixel coordinates, image-left first
    int jpegQuality = 90;
};

RenderedImage renderPhoto(const Identity& identity, int size, Rng& rng);
RenderedImage renderCaricature(const Identity& identity, int size, Rng& rng);

}  // namespace carilab::data::carisynth
