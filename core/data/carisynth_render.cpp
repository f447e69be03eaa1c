#include "data/carisynth_render.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

namespace carilab::data::carisynth {

// ---------------------------------------------------------------------------------------------
// Random numbers

double Rng::uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

double Rng::uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }

double Rng::normal()
{
    if (hasSpare_) {
        hasSpare_ = false;
        return spare_;
    }
    // Box–Muller; 1 - u keeps the logarithm's argument in (0, 1].
    const double r = std::sqrt(-2.0 * std::log(1.0 - uniform()));
    const double a = 6.283185307179586 * uniform();
    spare_ = r * std::sin(a);
    hasSpare_ = true;
    return r * std::cos(a);
}

bool Rng::chance(double p) { return uniform() < p; }

int Rng::index(int n) { return std::min(n - 1, static_cast<int>(uniform() * n)); }

namespace {

std::uint64_t splitmix64(std::uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

}  // namespace

std::uint64_t streamSeed(std::uint64_t seed, std::uint64_t identity, std::uint64_t stream)
{
    return splitmix64(splitmix64(splitmix64(seed) ^ identity) ^ stream);
}

namespace {

constexpr float kPi = 3.14159265358979f;
// Drawn at twice the output size and reduced with INTER_AREA: cheap anti-aliasing for fills.
constexpr int kSupersample = 2;

float sq(float v) { return v * v; }
float clampf(float v, float lo, float hi) { return std::min(std::max(v, lo), hi); }
float radians(float degrees) { return degrees * kPi / 180.f; }
float uni(Rng& rng, double lo, double hi) { return static_cast<float>(rng.uniform(lo, hi)); }
float smoothstep(float e0, float e1, float x)
{
    const float t = clampf((x - e0) / (e1 - e0), 0.f, 1.f);
    return t * t * (3.f - 2.f * t);
}

// Palettes are written as RGB because that is how colours are usually quoted; OpenCV is BGR.
cv::Vec3f rgb(float r, float g, float b) { return {b, g, r}; }
cv::Vec3f mix(const cv::Vec3f& a, const cv::Vec3f& b, float t) { return a * (1.f - t) + b * t; }
float luminance(const cv::Vec3f& bgr) { return 0.114f * bgr[0] + 0.587f * bgr[1] + 0.299f * bgr[2]; }
cv::Scalar scalar(const cv::Vec3f& c) { return {c[0], c[1], c[2]}; }
cv::Vec3f gray(float v) { return {v, v, v}; }

template <std::size_t N>
int pickWeighted(Rng& rng, const std::array<float, N>& weights)
{
    float total = 0.f;
    for (float w : weights) total += w;
    float u = uni(rng, 0.0, total);
    for (std::size_t i = 0; i < N; ++i) {
        if (u < weights[i]) return static_cast<int>(i);
        u -= weights[i];
    }
    return static_cast<int>(N - 1);
}

// ---------------------------------------------------------------------------------------------
// Identity

cv::Vec3f skinFromTone(float z)
{
    static const std::array<cv::Vec3f, 6> tones = {rgb(250, 226, 210), rgb(238, 198, 170), rgb(222, 172, 132),
                                                   rgb(196, 144, 102), rgb(150, 102, 70),  rgb(100, 68, 48)};
    // Through the normal CDF so that the population spreads evenly over the palette.
    const float t = 0.5f * (1.f + std::erf(z / std::sqrt(2.f)));
    const float pos = t * static_cast<float>(tones.size() - 1);
    const int i = std::min(static_cast<int>(pos), static_cast<int>(tones.size()) - 2);
    return mix(tones[i], tones[i + 1], pos - static_cast<float>(i));
}

cv::Vec3f sampleHairColour(Rng& rng)
{
    static const std::array<cv::Vec3f, 8> colours = {rgb(28, 22, 20),    rgb(62, 42, 30),    rgb(112, 76, 46),   rgb(142, 64, 36),
                                                     rgb(216, 182, 118), rgb(150, 148, 145), rgb(226, 224, 218), rgb(184, 86, 42)};
    static const std::array<float, 8> weights = {0.22f, 0.22f, 0.17f, 0.07f, 0.14f, 0.09f, 0.03f, 0.06f};
    return colours[pickWeighted(rng, weights)] * uni(rng, 0.9, 1.1);
}

cv::Vec3f sampleEyeColour(Rng& rng)
{
    static const std::array<cv::Vec3f, 6> colours = {rgb(92, 56, 30),  rgb(48, 32, 22),    rgb(70, 122, 172),
                                                     rgb(82, 122, 72), rgb(122, 130, 136), rgb(132, 102, 52)};
    static const std::array<float, 6> weights = {0.3f, 0.25f, 0.17f, 0.1f, 0.08f, 0.1f};
    return colours[pickWeighted(rng, weights)];
}

cv::Vec3f sampleFrameColour(Rng& rng)
{
    static const std::array<cv::Vec3f, 5> colours = {rgb(20, 20, 22), rgb(92, 52, 28), rgb(150, 150, 156), rgb(150, 30, 40), rgb(30, 60, 130)};
    static const std::array<float, 5> weights = {0.45f, 0.2f, 0.15f, 0.1f, 0.1f};
    return colours[pickWeighted(rng, weights)];
}

}  // namespace

Identity sampleIdentity(Rng& rng)
{
    Identity id;
    // Clipped so that no single identity is a freak before caricature exaggeration starts.
    for (float& z : id.z) z = clampf(static_cast<float>(rng.normal()), -2.5f, 2.5f);
    static const std::array<float, 6> hairWeights = {0.12f, 0.3f, 0.2f, 0.14f, 0.13f, 0.11f};
    id.hair = static_cast<HairStyle>(pickWeighted(rng, hairWeights));
    static const std::array<float, 4> facialWeights = {0.8f, 0.07f, 0.08f, 0.05f};
    id.facialHair = static_cast<FacialHair>(pickWeighted(rng, facialWeights));
    id.glasses = rng.chance(0.2) ? (rng.chance(0.5) ? Glasses::Round : Glasses::Square) : Glasses::None;
    id.hairPartSide = rng.chance(0.5) ? 1 : -1;
    id.skinColour = skinFromTone(id.z[SkinTone]);
    id.hairColour = sampleHairColour(rng);
    id.eyeColour = sampleEyeColour(rng);
    id.glassesColour = sampleFrameColour(rng);
    return id;
}

namespace {

// ---------------------------------------------------------------------------------------------
// Face geometry
//
// Canonical frame: origin at the face centre, x to the image right, y down, one unit is about
// half the face height. Every point carries a depth towards the viewer so that the head can be
// turned (yaw) without a 3-D model: nearer points move further.

struct P3 {
    float x, y, d;
};

enum class Part : std::uint8_t {
    // masses: shaded as volumes, outlined as silhouettes
    BackHair,
    Body,
    Neck,
    Ear,
    Head,
    Beard,
    Hair,
    // features: filled
    EyeWhite,
    Iris,
    Pupil,
    Catchlight,
    Brow,
    Nostril,
    UpperLip,
    LowerLip,
    Moustache,
    // lines
    Lid,
    Crease,
    NoseLine,
    MouthLine,
    HairStrand,
    EarInner,
    GlassesFrame,
    GlassesArm,
    // relief: only shapes the lighting, never painted
    NoseRidge,
    Socket,
    kCount
};
enum class Kind : std::uint8_t { Fill, Stroke, Ring, Relief };

struct Primitive {
    Part part;
    Kind kind;
    std::vector<P3> pts;
    float width = 0.f;  // canonical units, for strokes
};
using Figure = std::vector<Primitive>;  // painter's order

bool isMass(Part p) { return p <= Part::Hair; }

// Concrete geometry, derived from the identity's z-scores times the exaggeration factor.
struct FaceSpec {
    float W, top, chin, taper, chinPow, cheek;
    float eyeY, eyeDx, eyeW, eyeH, eyeTilt;
    float browGap, browThick, browTilt;
    float noseY, noseW;
    float mouthY, mouthW, lip;
    float ear, hairVolume, hairline;
};

float cheekFactor(const FaceSpec& s, float y) { return 1.f + s.cheek * std::exp(-sq((y - 0.3f * s.chin) / 0.35f)); }

// The face outline is an ellipse above the centre line and a tapered superellipse below it,
// so that jaw width and chin pointedness are independent traits.
float halfWidthAt(const FaceSpec& s, float y)
{
    if (y <= 0.f) {
        const float t = std::min(1.f, -y / s.top);
        return s.W * std::sqrt(std::max(0.f, 1.f - t * t)) * cheekFactor(s, y);
    }
    const float t = std::min(1.f, y / s.chin);
    return s.W * std::pow(std::max(0.f, 1.f - std::pow(t, s.chinPow)), 1.f / s.chinPow) * (1.f - s.taper * t * t) * cheekFactor(s, y);
}

// a: 0 = right cheek, pi/2 = chin (y points down).
cv::Point2f outlinePoint(const FaceSpec& s, float a)
{
    const float c = std::cos(a), sn = std::sin(a);
    if (sn <= 0.f) {
        const float y = s.top * sn;
        return {s.W * c * cheekFactor(s, y), y};
    }
    const float e = 2.f / s.chinPow;
    const float y = s.chin * std::pow(sn, e);
    const float t = y / s.chin;
    const float x = std::copysign(s.W * std::pow(std::abs(c), e), c) * (1.f - s.taper * t * t) * cheekFactor(s, y);
    return {x, y};
}

// Angle on the lower outline where it reaches height y.
float lowerOutlineAngle(const FaceSpec& s, float y)
{
    const float t = clampf(y / s.chin, 0.f, 1.f);
    return std::asin(std::pow(t, s.chinPow / 2.f));
}

float surfaceDepth(const FaceSpec& s, float x, float y)
{
    const float ry = y < 0.f ? s.top : s.chin;
    return 0.55f * std::sqrt(std::max(0.f, 1.f - sq(x / s.W) - sq(y / ry)));
}

P3 on(const FaceSpec& s, float x, float y, float relief = 0.f) { return {x, y, surfaceDepth(s, x, y) + relief}; }

// Keeps an exaggerated face drawable: features stay inside the outline and in order.
void enforceLayout(FaceSpec& s)
{
    s.chin = std::max(s.chin, s.mouthY + 1.4f * s.lip + 0.16f);
    const float eyeRoom = halfWidthAt(s, s.eyeY);
    s.eyeW = std::min(s.eyeW, 0.4f * eyeRoom);
    s.eyeH = 0.48f * s.eyeW;
    s.eyeDx = clampf(s.eyeDx, s.eyeW + 0.05f, std::max(s.eyeW + 0.05f, 0.86f * eyeRoom - s.eyeW));
    s.noseW = std::min(s.noseW, 0.8f * s.eyeDx);
    s.mouthW = std::min(s.mouthW, 0.8f * halfWidthAt(s, s.mouthY));
    s.browGap = std::min(s.browGap, s.eyeY + s.top * 0.8f - s.eyeH - s.browThick);
}

FaceSpec specFrom(const Identity& id, float exaggeration)
{
    const auto z = [&](Trait t) { return clampf(id.z[t] * exaggeration, -5.5f, 5.5f); };
    FaceSpec s{};
    s.W = clampf(0.74f + 0.055f * z(FaceWidth), 0.5f, 1.05f);
    s.chin = clampf(1.0f + 0.07f * z(FaceHeight), 0.75f, 1.4f);
    s.top = clampf(0.93f + 0.045f * z(FaceHeight), 0.75f, 1.2f);
    s.taper = clampf(0.22f - 0.07f * z(JawWidth), 0.f, 0.6f);
    s.chinPow = clampf(2.3f + 0.35f * z(ChinShape), 1.35f, 4.5f);
    s.cheek = clampf(0.03f * z(CheekFullness), -0.12f, 0.15f);
    s.eyeW = clampf(0.135f + 0.018f * z(EyeSize), 0.06f, 0.25f);
    s.eyeH = 0.48f * s.eyeW;
    s.eyeY = clampf(-0.08f + 0.045f * z(EyeHeight), -0.4f, 0.2f);
    s.eyeDx = 0.31f + 0.03f * z(EyeSpacing);
    s.eyeTilt = clampf(0.07f * z(EyeTilt), -0.35f, 0.35f);
    s.browThick = clampf(0.05f + 0.014f * z(BrowThickness), 0.015f, 0.13f);
    s.browTilt = clampf(0.1f * z(BrowAngle), -0.5f, 0.5f);
    s.browGap = clampf(0.12f + 0.025f * z(BrowHeight), 0.04f, 0.3f);
    s.noseY = s.eyeY + clampf(0.4f + 0.05f * z(NoseLength), 0.18f, 0.75f);
    s.noseW = clampf(0.1f + 0.017f * z(NoseWidth), 0.045f, 0.22f);
    s.mouthY = s.noseY + clampf(0.21f + 0.032f * z(MouthHeight), 0.09f, 0.45f);
    s.mouthW = clampf(0.21f + 0.028f * z(MouthWidth), 0.1f, 0.42f);
    s.lip = clampf(0.045f + 0.013f * z(LipThickness), 0.012f, 0.12f);
    s.ear = clampf(0.19f + 0.03f * z(EarSize), 0.08f, 0.36f);
    s.hairVolume = clampf(0.13f + 0.04f * z(HairVolume), 0.03f, 0.34f);
    s.hairline = clampf(0.6f + 0.07f * z(HairlineHeight), 0.35f, 0.88f);
    enforceLayout(s);
    return s;
}

std::vector<P3> ellipsePts(const FaceSpec& s, float cx, float cy, float rx, float ry, float rot, float relief, int n = 28)
{
    std::vector<P3> pts;
    pts.reserve(n);
    const float c = std::cos(rot), sn = std::sin(rot);
    for (int i = 0; i < n; ++i) {
        const float a = 2.f * kPi * static_cast<float>(i) / static_cast<float>(n);
        const float x = rx * std::cos(a), y = ry * std::sin(a);
        pts.push_back(on(s, cx + c * x - sn * y, cy + sn * x + c * y, relief));
    }
    return pts;
}

// Straight edges are split so that the caricature warp can bend them.
void appendSegment(std::vector<P3>& pts, P3 a, P3 b, int steps)
{
    for (int i = 0; i < steps; ++i) {
        const float t = static_cast<float>(i) / static_cast<float>(steps);
        pts.push_back({a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t, a.d + (b.d - a.d) * t});
    }
}

void addBody(Figure& f, const FaceSpec& s, float bodyScale)
{
    const float neck = 0.13f + 0.16f * bodyScale;
    const float shoulderTop = s.chin + 0.02f + 0.1f * bodyScale;
    std::vector<P3> neckPts;
    appendSegment(neckPts, {-neck, 0.2f, 0.f}, {-neck * 1.08f, shoulderTop + 0.15f, 0.f}, 6);
    appendSegment(neckPts, {-neck * 1.08f, shoulderTop + 0.15f, 0.f}, {neck * 1.08f, shoulderTop + 0.15f, 0.f}, 4);
    appendSegment(neckPts, {neck * 1.08f, shoulderTop + 0.15f, 0.f}, {neck, 0.2f, 0.f}, 6);
    f.push_back({Part::Neck, Kind::Fill, std::move(neckPts)});

    const float reach = 1.6f * bodyScale + 0.1f;
    std::vector<P3> body;
    for (int i = 0; i <= 12; ++i) {  // left shoulder, from the arm to the neck
        const float u = 1.f - static_cast<float>(i) / 12.f;
        body.push_back({-(neck + (reach - neck) * u), shoulderTop + 0.55f * bodyScale * std::pow(u, 2.2f), 0.f});
    }
    for (int i = 0; i <= 12; ++i) {
        const float u = static_cast<float>(i) / 12.f;
        body.push_back({neck + (reach - neck) * u, shoulderTop + 0.55f * bodyScale * std::pow(u, 2.2f), 0.f});
    }
    body.push_back({reach + 0.1f, 4.f, 0.f});
    body.push_back({-reach - 0.1f, 4.f, 0.f});
    f.push_back({Part::Body, Kind::Fill, std::move(body)});
}

void addEars(Figure& f, const FaceSpec& s)
{
    const float y = s.eyeY + 0.12f;
    const float room = halfWidthAt(s, y);
    for (int side : {-1, 1}) {
        const float cx = static_cast<float>(side) * (room + 0.18f * s.ear);
        // Ears sit behind the face plane, so a turned head hides the far one behind the cheek.
        f.push_back({Part::Ear, Kind::Fill, ellipsePts(s, cx, y, 0.5f * s.ear, s.ear, side * 0.15f, -0.2f)});
        std::vector<P3> inner;
        for (int i = 0; i <= 10; ++i) {
            const float a = radians(-110.f + 220.f * static_cast<float>(i) / 10.f);
            inner.push_back(on(s, cx + side * 0.28f * s.ear * std::cos(a) - side * 0.06f * s.ear, y + 0.62f * s.ear * std::sin(a), -0.2f));
        }
        f.push_back({Part::EarInner, Kind::Stroke, std::move(inner), 0.012f});
    }
}

void addHead(Figure& f, const FaceSpec& s)
{
    std::vector<P3> pts;
    for (int i = 0; i < 72; ++i) {
        const cv::Point2f p = outlinePoint(s, 2.f * kPi * static_cast<float>(i) / 72.f);
        pts.push_back({p.x, p.y, 0.f});
    }
    f.push_back({Part::Head, Kind::Fill, std::move(pts)});
}

void addRelief(Figure& f, const FaceSpec& s)
{
    for (int side : {-1, 1})
        f.push_back({Part::Socket, Kind::Relief, ellipsePts(s, side * s.eyeDx, s.eyeY - 0.3f * s.eyeH, 1.5f * s.eyeW, 2.6f * s.eyeH, 0.f, 0.f, 16)});
    std::vector<P3> ridge = {on(s, -0.045f, s.eyeY), on(s, 0.045f, s.eyeY), on(s, 0.9f * s.noseW, s.noseY + 0.02f), on(s, 0.f, s.noseY + 0.06f),
                             on(s, -0.9f * s.noseW, s.noseY + 0.02f)};
    f.push_back({Part::NoseRidge, Kind::Relief, std::move(ridge)});
}

// Temple height where the hair meets the side of the face.
float templeY(const FaceSpec& s) { return std::min(s.eyeY - s.eyeH - 0.1f, -0.05f); }

void addBackHair(Figure& f, const FaceSpec& s, const Identity& id)
{
    if (id.hair != HairStyle::Long) return;
    const float v = s.hairVolume;
    const float outer = s.W + v + 0.1f;
    const float end = s.chin + 0.3f + 2.f * v;
    std::vector<P3> pts;
    for (int i = 0; i <= 24; ++i) {
        const float a = kPi * static_cast<float>(i) / 24.f;
        pts.push_back({(s.W + v + 0.06f) * std::cos(a), -(s.top + v) * std::sin(a), -0.3f});
    }
    appendSegment(pts, {-outer, 0.f, -0.3f}, {-outer - 0.04f, end, -0.3f}, 6);
    for (int i = 0; i <= 12; ++i) {  // a slightly wavy cut
        const float u = static_cast<float>(i) / 12.f;
        pts.push_back({-outer - 0.04f + 2.f * (outer + 0.04f) * u, end + 0.04f * std::sin(u * 5.f * kPi), -0.3f});
    }
    appendSegment(pts, {outer + 0.04f, end, -0.3f}, {outer, 0.f, -0.3f}, 6);
    f.push_back({Part::BackHair, Kind::Fill, std::move(pts)});
}

void addSideHair(Figure& f, const FaceSpec& s)
{
    const float y0 = templeY(s) - 0.1f, y1 = s.eyeY + 0.2f;
    for (int side : {-1, 1}) {
        std::vector<P3> pts;
        for (int i = 0; i <= 8; ++i) {
            const float y = y0 + (y1 - y0) * static_cast<float>(i) / 8.f;
            pts.push_back(on(s, side * (halfWidthAt(s, y) + 0.015f), y, 0.02f));
        }
        for (int i = 8; i >= 0; --i) {
            const float y = y0 + (y1 - y0) * static_cast<float>(i) / 8.f;
            const float thick = 0.045f * std::sin(kPi * (0.15f + 0.7f * static_cast<float>(i) / 8.f));
            pts.push_back(on(s, side * (halfWidthAt(s, y) - thick), y, 0.02f));
        }
        f.push_back({Part::Hair, Kind::Fill, std::move(pts)});
    }
}

// Where the hair meets the forehead, from the left temple to the right.
std::vector<P3> hairline(const FaceSpec& s, const Identity& id, float yTemple)
{
    const float xT = 0.97f * halfWidthAt(s, yTemple);
    const float browTop = s.eyeY - s.eyeH - s.browGap - s.browThick;
    const float yH = -s.hairline * s.top;
    const float yFringe = std::max(browTop - 0.06f, yH);
    std::vector<P3> pts;
    const int n = 33;
    for (int i = 0; i < n; ++i) {
        const float u = -1.f + 2.f * static_cast<float>(i) / static_cast<float>(n - 1);
        float y = yH + (yTemple - yH) * std::pow(std::abs(u), 3.f);
        if (id.hair == HairStyle::Short || id.hair == HairStyle::Quiff)  // combed across from the parting
            y += 0.1f * (1.f - u * u) * (0.5f - 0.5f * u * static_cast<float>(id.hairPartSide));
        if (id.hair == HairStyle::Fringe) {
            const float zig = 0.035f * (1.f - 2.f * std::abs(std::fmod(std::abs(u) * 6.f, 1.f) - 0.5f) * 2.f);
            y = yFringe + zig + (yTemple - yFringe) * smoothstep(0.7f, 1.f, std::abs(u));
        }
        pts.push_back(on(s, u * xT, y, 0.05f));
    }
    return pts;
}

void addHairStrands(Figure& f, const FaceSpec& s, const Identity& id, const std::vector<P3>& line, float crownY)
{
    if (id.hair == HairStyle::Curly) {
        // Rows of small curls between hairline and crown.
        for (int row = 0; row < 3; ++row) {
            const float t = 0.25f + 0.25f * static_cast<float>(row);
            for (int k = 0; k < 7 - row; ++k) {
                const P3& base = line[(k * 5 + 3 + row * 2) % line.size()];
                const float cx = base.x * (1.f - 0.4f * t), cy = base.y + (crownY - base.y) * t;
                std::vector<P3> curl;
                for (int i = 0; i <= 8; ++i) {
                    const float a = 1.5f * kPi * static_cast<float>(i) / 8.f + static_cast<float>(k);
                    curl.push_back(on(s, cx + 0.045f * std::cos(a), cy + 0.04f * std::sin(a), 0.08f));
                }
                f.push_back({Part::HairStrand, Kind::Stroke, std::move(curl), 0.012f});
            }
        }
        return;
    }
    const float crownX = 0.25f * s.W * static_cast<float>(id.hairPartSide);
    for (int k = 1; k < 8; ++k) {
        const P3& a = line[k * (line.size() - 1) / 8];
        std::vector<P3> strand;
        for (int i = 0; i <= 6; ++i) {
            const float t = 0.75f * static_cast<float>(i) / 6.f;
            const float x = a.x + (crownX - a.x) * t * t;
            const float y = a.y + (crownY - a.y) * t;
            strand.push_back(on(s, x, y, 0.08f));
        }
        f.push_back({Part::HairStrand, Kind::Stroke, std::move(strand), 0.01f});
    }
}

void addHair(Figure& f, const FaceSpec& s, const Identity& id)
{
    if (id.hair == HairStyle::Bald) {
        addSideHair(f, s);
        return;
    }
    const float v = s.hairVolume * (id.hair == HairStyle::Curly ? 1.5f : 1.f);
    const float yTemple = templeY(s);
    const float start = std::asin(clampf(-yTemple / s.top, -0.5f, 0.95f));
    const float side = static_cast<float>(id.hairPartSide);
    std::vector<P3> pts;
    const int n = 48;
    for (int i = 0; i <= n; ++i) {  // outer contour, right temple over the crown to the left temple
        const float a = start + (kPi - 2.f * start) * static_cast<float>(i) / static_cast<float>(n);
        float r = v;
        // Cropped styles hug the temples; bobs and fringes keep their volume down the sides.
        if (id.hair == HairStyle::Short || id.hair == HairStyle::Quiff) r *= 0.25f + 0.75f * std::sin(a);
        if (id.hair == HairStyle::Curly) r *= 0.75f + 0.5f * std::abs(std::sin(9.f * a));
        float x = (s.W + r) * std::cos(a), y = -(s.top + 1.3f * r) * std::sin(a);
        if (id.hair == HairStyle::Quiff) y -= 1.6f * v * std::exp(-sq((a - (kPi / 2.f - 0.35f * side)) / 0.45f));
        pts.push_back(on(s, x, y, 0.05f));
    }
    const std::vector<P3> line = hairline(s, id, yTemple);
    pts.insert(pts.end(), line.begin(), line.end());
    f.push_back({Part::Hair, Kind::Fill, std::move(pts)});
    addHairStrands(f, s, id, line, -(s.top + 0.8f * v));
}

void addEye(Figure& f, const FaceSpec& s, int side, float gaze)
{
    const float cx = static_cast<float>(side) * s.eyeDx, cy = s.eyeY;
    const float rot = -static_cast<float>(side) * s.eyeTilt;  // positive tilt lifts the outer corners
    const float c = std::cos(rot), sn = std::sin(rot);
    const auto local = [&](float u, float v, float relief) { return on(s, cx + c * u - sn * v, cy + sn * u + c * v, relief); };
    const auto upper = [&](float u) { return -s.eyeH * std::pow(std::max(0.f, 1.f - u * u), 0.75f); };
    const auto lower = [&](float u) { return 0.75f * s.eyeH * std::pow(std::max(0.f, 1.f - u * u), 0.9f); };

    std::vector<P3> white, lid, crease;
    const int n = 14;
    for (int i = 0; i <= n; ++i) {
        const float u = -1.f + 2.f * static_cast<float>(i) / n;
        white.push_back(local(u * s.eyeW, upper(u), 0.f));
        lid.push_back(local(u * s.eyeW * 1.06f, upper(u) * 1.05f, 0.f));
        if (u > -0.8f) crease.push_back(local(u * s.eyeW * 0.92f, 1.5f * upper(u * 0.95f) - 0.012f, 0.f));
    }
    for (int i = n - 1; i > 0; --i) {
        const float u = -1.f + 2.f * static_cast<float>(i) / n;
        white.push_back(local(u * s.eyeW, lower(u), 0.f));
    }
    f.push_back({Part::EyeWhite, Kind::Fill, std::move(white)});

    // The iris is clipped by the lids, as in a real eye, rather than drawn as a full disc.
    const float r = 0.88f * s.eyeH;
    const float ix = gaze * 0.25f * s.eyeW;
    const auto disc = [&](float radius, float ox, float oy, Part part) {
        std::vector<P3> pts;
        for (int i = 0; i < 20; ++i) {
            const float a = 2.f * kPi * static_cast<float>(i) / 20.f;
            const float u = ix + ox + radius * std::cos(a);
            const float un = clampf(u / s.eyeW, -1.f, 1.f);
            const float v = clampf(oy + radius * std::sin(a), 0.97f * upper(un), 0.97f * lower(un));
            pts.push_back(local(u, v, 0.01f));
        }
        f.push_back({part, Kind::Fill, std::move(pts)});
    };
    disc(r, 0.f, 0.f, Part::Iris);
    disc(0.45f * r, 0.f, 0.f, Part::Pupil);
    disc(0.2f * r, -0.35f * r, -0.35f * r, Part::Catchlight);
    f.push_back({Part::Lid, Kind::Stroke, std::move(lid), 0.024f});
    f.push_back({Part::Crease, Kind::Stroke, std::move(crease), 0.01f});
}

void addBrow(Figure& f, const FaceSpec& s, int side)
{
    const float sd = static_cast<float>(side);
    const float by = s.eyeY - s.eyeH - s.browGap;
    const float inner = s.eyeDx - 1.0f * s.eyeW, outer = s.eyeDx + 1.25f * s.eyeW;
    const float len = outer - inner;
    std::vector<P3> top, bottom;
    const int n = 12;
    for (int i = 0; i <= n; ++i) {
        const float u = static_cast<float>(i) / n;  // inner to outer end
        const float x = sd * (inner + len * u);
        const float y = by - 0.045f * std::sin(kPi * std::pow(u, 0.8f)) + s.browTilt * (0.5f - u) * len;
        const float t = s.browThick * (1.f - 0.55f * u) * (0.6f + 0.4f * std::sin(kPi * std::min(1.f, 0.15f + u)));
        top.push_back(on(s, x, y - 0.5f * t, 0.03f));
        bottom.push_back(on(s, x, y + 0.5f * t, 0.03f));
    }
    top.insert(top.end(), bottom.rbegin(), bottom.rend());
    f.push_back({Part::Brow, Kind::Fill, std::move(top)});
}

void addNose(Figure& f, const FaceSpec& s, int lineSide)
{
    const float ty = s.noseY, w = s.noseW;
    for (int side : {-1, 1}) {
        const float sd = static_cast<float>(side);
        f.push_back({Part::Nostril, Kind::Fill, ellipsePts(s, sd * 0.5f * w, ty + 0.028f, 0.28f * w, 0.13f * w, sd * 0.35f, 0.2f, 14)});
        std::vector<P3> wing = {on(s, sd * 0.55f * w, ty - 0.07f, 0.2f), on(s, sd * 0.9f * w, ty - 0.025f, 0.2f),
                                on(s, sd * 0.95f * w, ty + 0.02f, 0.2f), on(s, sd * 0.8f * w, ty + 0.055f, 0.2f),
                                on(s, sd * 0.5f * w, ty + 0.07f, 0.2f)};
        f.push_back({Part::NoseLine, Kind::Stroke, std::move(wing), 0.014f});
    }
    const float sd = static_cast<float>(lineSide);
    std::vector<P3> bridge;
    for (int i = 0; i <= 6; ++i) {
        const float t = static_cast<float>(i) / 6.f;
        bridge.push_back(on(s, sd * (0.055f + (0.4f * w - 0.055f) * t * t), s.eyeY + 0.05f + (ty - 0.1f - s.eyeY - 0.05f) * t, 0.25f));
    }
    f.push_back({Part::NoseLine, Kind::Stroke, std::move(bridge), 0.012f});
}

void addMouth(Figure& f, const FaceSpec& s, float smile)
{
    const float my = s.mouthY, mw = s.mouthW, lip = s.lip;
    const auto line = [&](float u) { return my - smile * u * u; };
    const auto bow = [](float u) { return std::exp(-sq((std::abs(u) - 0.28f) / 0.16f)) - 0.6f * std::exp(-sq(u / 0.08f)); };
    const int n = 20;
    std::vector<P3> upper, lower, mouthLine;
    for (int i = 0; i <= n; ++i) {
        const float u = -1.f + 2.f * static_cast<float>(i) / n;
        upper.push_back(on(s, u * mw, line(u) - 0.85f * lip * std::sqrt(1.f - u * u) * (1.f + 0.3f * bow(u)), 0.08f));
    }
    for (int i = n; i >= 0; --i) {
        const float u = -1.f + 2.f * static_cast<float>(i) / n;
        upper.push_back(on(s, u * mw, line(u), 0.08f));
    }
    for (int i = 0; i <= n; ++i) {
        const float u = -1.f + 2.f * static_cast<float>(i) / n;
        lower.push_back(on(s, u * mw, line(u), 0.08f));
        mouthLine.push_back(on(s, u * mw * 1.04f, line(u * 1.04f), 0.08f));
    }
    for (int i = n; i >= 0; --i) {
        const float u = -1.f + 2.f * static_cast<float>(i) / n;
        lower.push_back(on(s, u * mw, line(u) + 1.15f * lip * std::pow(1.f - u * u, 0.6f), 0.08f));
    }
    f.push_back({Part::UpperLip, Kind::Fill, std::move(upper)});
    f.push_back({Part::LowerLip, Kind::Fill, std::move(lower)});
    f.push_back({Part::MouthLine, Kind::Stroke, std::move(mouthLine), 0.018f});
}

void addBeard(Figure& f, const FaceSpec& s, FacialHair style)
{
    if (style == FacialHair::Goatee) {
        const float yTop = s.mouthY + 1.2f * s.lip + 0.035f;
        const float rx = 0.6f * s.mouthW, ry = s.chin + 0.05f - yTop;
        std::vector<P3> pts;
        for (int i = 0; i <= 16; ++i) {
            const float a = kPi * static_cast<float>(i) / 16.f;
            pts.push_back(on(s, rx * std::cos(a), yTop + ry * std::sin(a), 0.06f));
        }
        f.push_back({Part::Beard, Kind::Fill, std::move(pts)});
        return;
    }
    if (style != FacialHair::Beard) return;
    const float y0 = s.eyeY + 0.2f;
    const float a0 = lowerOutlineAngle(s, y0);
    std::vector<P3> pts;
    for (int i = 0; i <= 30; ++i) {  // outside the jaw, right sideburn round the chin to the left
        const float a = a0 + (kPi - 2.f * a0) * static_cast<float>(i) / 30.f;
        const cv::Point2f p = outlinePoint(s, a);
        pts.push_back(on(s, p.x * 1.06f, p.y + 0.07f * std::max(0.f, p.y / s.chin), 0.06f));
    }
    const float below = s.mouthY + 1.3f * s.lip + 0.06f;
    const float side = halfWidthAt(s, y0) - 0.1f;
    const std::array<cv::Point2f, 7> inner = {cv::Point2f{-side, y0},
                                              {-(s.mouthW + 0.09f), s.mouthY - 0.02f},
                                              {-0.6f * s.mouthW, below},
                                              {0.f, below + 0.02f},
                                              {0.6f * s.mouthW, below},
                                              {s.mouthW + 0.09f, s.mouthY - 0.02f},
                                              {side, y0}};
    for (std::size_t i = 0; i + 1 < inner.size(); ++i)
        appendSegment(pts, on(s, inner[i].x, inner[i].y, 0.06f), on(s, inner[i + 1].x, inner[i + 1].y, 0.06f), 4);
    f.push_back({Part::Beard, Kind::Fill, std::move(pts)});
}

void addMoustache(Figure& f, const FaceSpec& s)
{
    const float w = 1.12f * s.mouthW;
    std::vector<P3> top, bottom;
    for (int i = 0; i <= 16; ++i) {
        const float u = -1.f + 2.f * static_cast<float>(i) / 16.f;
        const float yb = s.mouthY - 0.85f * s.lip + (0.06f + 0.9f * s.lip) * std::pow(u, 4.f);
        const float yt = std::min(yb - 0.03f, s.noseY + 0.075f + 0.08f * u * u);
        top.push_back(on(s, u * w, yt, 0.1f));
        bottom.push_back(on(s, u * w, yb, 0.1f));
    }
    top.insert(top.end(), bottom.rbegin(), bottom.rend());
    f.push_back({Part::Moustache, Kind::Fill, std::move(top)});
}

void addGlasses(Figure& f, const FaceSpec& s, Glasses style)
{
    if (style == Glasses::None) return;
    const bool round = style == Glasses::Round;
    float rx = round ? std::max(1.3f * s.eyeW, 2.4f * s.eyeH) : 1.4f * s.eyeW;
    rx = std::min(rx, s.eyeDx - 0.025f);
    const float ry = round ? 0.92f * rx : std::max(0.95f * s.eyeW, 2.2f * s.eyeH);
    const float width = round ? 0.022f : 0.03f;
    const float cy = s.eyeY + 0.01f;
    for (int side : {-1, 1}) {
        const float cx = static_cast<float>(side) * s.eyeDx;
        std::vector<P3> frame;
        for (int i = 0; i < 32; ++i) {
            const float a = 2.f * kPi * static_cast<float>(i) / 32.f;
            const float c = std::cos(a), sn = std::sin(a);
            // A superellipse gives square frames with rounded corners.
            const float e = round ? 1.f : 0.5f;
            frame.push_back(
                on(s, cx + rx * std::copysign(std::pow(std::abs(c), e), c), cy + ry * std::copysign(std::pow(std::abs(sn), e), sn), 0.12f));
        }
        f.push_back({Part::GlassesFrame, Kind::Ring, std::move(frame), width});
        const float room = halfWidthAt(s, cy);
        std::vector<P3> arm = {on(s, cx + side * rx, cy - 0.3f * ry, 0.1f), on(s, side * (room + 0.01f), cy - 0.25f * ry, 0.f)};
        f.push_back({Part::GlassesArm, Kind::Stroke, std::move(arm), width});
    }
    const float gap = s.eyeDx - rx;
    std::vector<P3> bridge = {on(s, -gap, cy - 0.3f * ry, 0.14f), on(s, 0.f, cy - 0.4f * ry, 0.16f), on(s, gap, cy - 0.3f * ry, 0.14f)};
    f.push_back({Part::GlassesFrame, Kind::Stroke, std::move(bridge), width});
}

// Per-image variation that does not change who the person is.
struct Expression {
    float smile = 0.f;  // lifts the mouth corners (canonical units)
    float gaze = 0.f;  // -1..1, horizontal
    float bodyScale = 1.f;  // < 1: the caricaturist's big head on a small body
};

Figure buildFigure(const Identity& id, const FaceSpec& s, const Expression& e)
{
    Figure f;
    f.reserve(64);
    addBackHair(f, s, id);
    addBody(f, s, e.bodyScale);
    addEars(f, s);
    addHead(f, s);
    addRelief(f, s);
    addBeard(f, s, id.facialHair);
    addHair(f, s, id);
    for (int side : {-1, 1}) addEye(f, s, side, e.gaze);
    for (int side : {-1, 1}) addBrow(f, s, side);
    addNose(f, s, id.hairPartSide);
    addMouth(f, s, e.smile);
    if (id.facialHair != FacialHair::None) addMoustache(f, s);
    addGlasses(f, s, id.glasses);
    return f;
}

// Image-left first for a frontal face: the person's right eye and mouth corner.
std::array<P3, 5> landmarkPoints(const FaceSpec& s, float smile)
{
    return {on(s, -s.eyeDx, s.eyeY), on(s, s.eyeDx, s.eyeY), on(s, 0.f, s.noseY, 0.3f), on(s, -s.mouthW, s.mouthY - smile, 0.08f),
            on(s, s.mouthW, s.mouthY - smile, 0.08f)};
}

// ---------------------------------------------------------------------------------------------
// Camera and caricature warp

struct Bump {
    float cx, cy, dx, dy;
};

// A smooth displacement field in the canonical frame. It is applied to the geometry rather than
// to pixels (cv::remap), so lines stay crisp and the landmarks follow the warp exactly.
struct Warp {
    std::vector<Bump> bumps;
    float sigma = 0.5f;
    float pear = 0.f;  // > 0 widens the jaw, < 0 the forehead

    void apply(float& x, float& y) const
    {
        x *= 1.f + pear * clampf(y, -1.3f, 1.3f);
        float dx = 0.f, dy = 0.f;
        for (const Bump& b : bumps) {
            const float w = std::exp(-(sq(x - b.cx) + sq(y - b.cy)) / (2.f * sigma * sigma));
            dx += b.dx * w;
            dy += b.dy * w;
        }
        x += dx;
        y += dy;
    }
};

struct Camera {
    float cosYaw = 1.f, sinYaw = 0.f, cosRoll = 1.f, sinRoll = 0.f;
    float scale = 1.f;  // canvas pixels per canonical unit
    cv::Point2f centre;
    Warp warp;

    cv::Point2f project(const P3& p) const
    {
        float x = p.x, y = p.y;
        warp.apply(x, y);
        const float xt = x * cosYaw + p.d * sinYaw;
        return {centre.x + scale * (cosRoll * xt - sinRoll * y), centre.y + scale * (sinRoll * xt + cosRoll * y)};
    }
};

struct Jitter {
    float yawDeg, rollDeg, scale, shift, height, centreY;
};

Camera sampleCamera(Rng& rng, int canvas, const Jitter& j)
{
    Camera cam;
    const float yaw = radians(uni(rng, -j.yawDeg, j.yawDeg));
    const float roll = radians(uni(rng, -j.rollDeg, j.rollDeg));
    cam.cosYaw = std::cos(yaw);
    cam.sinYaw = std::sin(yaw);
    cam.cosRoll = std::cos(roll);
    cam.sinRoll = std::sin(roll);
    cam.scale = static_cast<float>(canvas) * j.height * uni(rng, 1.0 - j.scale, 1.0 + j.scale);
    cam.centre = {static_cast<float>(canvas) * (0.5f + uni(rng, -j.shift, j.shift)),
                  static_cast<float>(canvas) * (j.centreY + uni(rng, -j.shift, j.shift))};
    return cam;
}

Warp sampleWarp(Rng& rng)
{
    Warp w;
    w.sigma = uni(rng, 0.4, 0.6);
    w.pear = uni(rng, -0.22, 0.22);
    const int n = 2 + rng.index(3);
    for (int i = 0; i < n; ++i)
        w.bumps.push_back(
            {uni(rng, -0.7, 0.7), uni(rng, -0.9, 0.9), static_cast<float>(0.07 * rng.normal()), static_cast<float>(0.07 * rng.normal())});
    return w;
}

// ---------------------------------------------------------------------------------------------
// Projected scene and drawing helpers

struct Shape {
    Part part;
    Kind kind;
    std::vector<cv::Point2f> pts;  // canvas pixels
    float width;  // canvas pixels
};

struct Scene {
    int canvas = 0;
    std::vector<Shape> shapes;
    Landmarks5 marks;  // canvas pixels
};

Scene project(const Figure& figure, const std::array<P3, 5>& marks, const Camera& cam, int canvas)
{
    Scene sc;
    sc.canvas = canvas;
    sc.shapes.reserve(figure.size());
    for (const Primitive& p : figure) {
        Shape sh{p.part, p.kind, {}, p.width * cam.scale};
        sh.pts.reserve(p.pts.size());
        for (const P3& q : p.pts) sh.pts.push_back(cam.project(q));
        sc.shapes.push_back(std::move(sh));
    }
    for (std::size_t i = 0; i < marks.size(); ++i) {
        const cv::Point2f q = cam.project(marks[i]);
        sc.marks[i] = {q.x, q.y};
    }
    return sc;
}

// Fixed-point vertices keep sub-pixel precision in OpenCV's integer drawing functions.
constexpr int kShift = 4;

std::vector<cv::Point> toFixed(const std::vector<cv::Point2f>& pts, float scale = 1.f)
{
    std::vector<cv::Point> out;
    out.reserve(pts.size());
    const float f = static_cast<float>(1 << kShift);
    for (const cv::Point2f& p : pts) out.emplace_back(cvRound(((p.x + 0.5f) * scale - 0.5f) * f), cvRound(((p.y + 0.5f) * scale - 0.5f) * f));
    return out;
}

void fillShape(cv::Mat& img, const Shape& sh, const cv::Scalar& colour, float scale = 1.f, int lineType = cv::LINE_8)
{
    const std::vector<std::vector<cv::Point>> polys = {toFixed(sh.pts, scale)};
    cv::fillPoly(img, polys, colour, lineType, kShift);
}

std::vector<cv::Point2f> withoutRepeats(const std::vector<cv::Point2f>& pts, bool closed)
{
    std::vector<cv::Point2f> out;
    out.reserve(pts.size());
    for (const cv::Point2f& p : pts)
        if (out.empty() || cv::norm(p - out.back()) > 1e-3) out.push_back(p);
    if (closed && out.size() > 1 && cv::norm(out.front() - out.back()) <= 1e-3) out.pop_back();
    return out;
}

// Offsets of a polyline by +-half its width, with miter joins clamped so that sharp corners
// (eye and mouth corners) do not spike.
void ribbonSides(const std::vector<cv::Point2f>& pts, bool closed, float half, std::vector<cv::Point2f>& left, std::vector<cv::Point2f>& right)
{
    const std::size_t n = pts.size();
    const auto normalOf = [](cv::Point2f d) {
        const float len = std::sqrt(d.x * d.x + d.y * d.y);
        return cv::Point2f(-d.y / len, d.x / len);
    };
    for (std::size_t i = 0; i < n; ++i) {
        const bool first = i == 0, last = i + 1 == n;
        const cv::Point2f prev = first ? (closed ? pts[n - 1] : pts[i]) : pts[i - 1];
        const cv::Point2f next = last ? (closed ? pts[0] : pts[i]) : pts[i + 1];
        const cv::Point2f nIn = normalOf(pts[i] - prev == cv::Point2f() ? next - pts[i] : pts[i] - prev);
        const cv::Point2f nOut = normalOf(next - pts[i] == cv::Point2f() ? pts[i] - prev : next - pts[i]);
        cv::Point2f miter = nIn + nOut;
        const float len = std::sqrt(miter.dot(miter));
        miter = len < 1e-4f ? nOut : miter / len;
        const float reach = half / std::max(0.5f, miter.dot(nOut));
        left.push_back(pts[i] + miter * reach);
        right.push_back(pts[i] - miter * reach);
    }
}

void strokePts(cv::Mat& img, const std::vector<cv::Point2f>& raw, bool closed, const cv::Scalar& colour, float width)
{
    const std::vector<cv::Point2f> pts = withoutRepeats(raw, closed);
    if (pts.size() < 2) return;
    cv::Point2f lo = pts[0], hi = pts[0];
    for (const cv::Point2f& p : pts) {
        lo = {std::min(lo.x, p.x), std::min(lo.y, p.y)};
        hi = {std::max(hi.x, p.x), std::max(hi.y, p.y)};
    }
    // cv::polylines draws a thick line as one quad plus one circle per vertex, which dominated
    // the render time; a ribbon polygon is one fill. Hairlines and tiny loops (where the inner
    // offset would fold over) still go through polylines.
    if (width <= 1.5f || (closed && std::min(hi.x - lo.x, hi.y - lo.y) < 3.f * width)) {
        const std::vector<std::vector<cv::Point>> polys = {toFixed(pts)};
        cv::polylines(img, polys, closed, colour, std::max(1, cvRound(width)), cv::LINE_AA, kShift);
        return;
    }
    std::vector<cv::Point2f> left, right;
    ribbonSides(pts, closed, 0.5f * width, left, right);
    std::vector<std::vector<cv::Point>> polys;
    if (closed) {
        polys = {toFixed(left), toFixed(right)};  // even-odd filling leaves the inside open
    } else {
        left.insert(left.end(), right.rbegin(), right.rend());
        polys = {toFixed(left)};
    }
    cv::fillPoly(img, polys, colour, cv::LINE_8, kShift);
}

void strokeShape(cv::Mat& img, const Shape& sh, const cv::Scalar& colour, float width)
{
    strokePts(img, sh.pts, sh.kind != Kind::Stroke, colour, width);
}

// Top-most part under each output pixel (0: background). Per-pixel effects (lighting, hatching)
// run at output resolution: they are smooth or pixel-sized, so supersampling them buys nothing.
cv::Mat partMap(const Scene& sc, int size)
{
    cv::Mat map(size, size, CV_8U, cv::Scalar(0));
    const float scale = static_cast<float>(size) / static_cast<float>(sc.canvas);
    for (const Shape& sh : sc.shapes)
        if (sh.kind == Kind::Fill) fillShape(map, sh, cv::Scalar(static_cast<int>(sh.part) + 1), scale);
    return map;
}

int partAt(const cv::Mat& parts, int y, int x) { return parts.at<std::uint8_t>(y, x) - 1; }

bool isSkin(int part)
{
    const Part p = static_cast<Part>(part);
    return p == Part::Head || p == Part::Neck || p == Part::Ear;
}

bool isHairPart(int part)
{
    const Part p = static_cast<Part>(part);
    return p == Part::Hair || p == Part::BackHair || p == Part::Beard || p == Part::Moustache;
}

// ---------------------------------------------------------------------------------------------
// Lighting: a height field from the blurred silhouettes (round head) plus relief shapes (nose
// ridge, eye sockets), lit by a Lambert + Blinn model. Computed at quarter resolution because
// the shading is smooth anyway.

struct Light {
    cv::Vec3f dir;  // towards the light; x right, y down, z towards the viewer
    float ambient;
};

Light sampleLight(Rng& rng)
{
    const float azimuth = -kPi / 2.f + uni(rng, -1.3, 1.3);  // mostly from above
    const float elevation = radians(uni(rng, 25.0, 55.0));
    return {{std::sin(elevation) * std::cos(azimuth), std::sin(elevation) * std::sin(azimuth), std::cos(elevation)}, uni(rng, 0.3, 0.5)};
}

struct Shading {
    cv::Mat diffuse;  // CV_32F output size, 1 on flat ground
    cv::Mat specular;  // CV_32F output size, 0..1
};

float massHeight(Part p)
{
    switch (p) {
    case Part::Hair: return 1.12f;
    case Part::Body: return 0.7f;
    case Part::BackHair: return 0.8f;
    default: return 1.f;
    }
}

// x^(2^k) by squaring: the specular exponent is a power of two, and std::pow per pixel is slow.
float powPow2(float x, int squarings)
{
    for (int i = 0; i < squarings; ++i) x *= x;
    return x;
}

Shading computeShading(const Scene& sc, const Light& light, int shininessLog2, int size)
{
    const int low = std::max(16, sc.canvas / 4);
    const float k = static_cast<float>(low) / static_cast<float>(sc.canvas);
    cv::Mat mass(low, low, CV_32F, cv::Scalar(0)), relief(low, low, CV_32F, cv::Scalar(0));
    for (const Shape& sh : sc.shapes) {
        if (sh.kind == Kind::Fill && isMass(sh.part)) fillShape(mass, sh, cv::Scalar(massHeight(sh.part)), k);
        if (sh.kind == Kind::Relief) fillShape(relief, sh, cv::Scalar(sh.part == Part::NoseRidge ? 1.0 : -0.8), k);
    }
    cv::Mat fine, broad;
    cv::GaussianBlur(mass, fine, cv::Size(), low / 60.0);
    // The broad dome is blurred at half resolution: a wide kernel is the costliest step.
    cv::resize(mass, broad, cv::Size(low / 2, low / 2), 0, 0, cv::INTER_AREA);
    cv::GaussianBlur(broad, broad, cv::Size(), low / 20.0);
    cv::resize(broad, broad, mass.size(), 0, 0, cv::INTER_LINEAR);
    cv::GaussianBlur(relief, relief, cv::Size(), low / 70.0);
    const cv::Mat height = 0.45f * fine + broad + 0.35f * relief;
    cv::Mat gx, gy;
    cv::Sobel(height, gx, CV_32F, 1, 0, 3, 1.0 / 8.0);
    cv::Sobel(height, gy, CV_32F, 0, 1, 3, 1.0 / 8.0);

    const float gain = 0.45f * static_cast<float>(low);
    const cv::Vec3f half = cv::normalize(light.dir + cv::Vec3f(0.f, 0.f, 1.f));
    const float flat = light.ambient + (1.f - light.ambient) * light.dir[2];
    Shading out{cv::Mat(low, low, CV_32F), cv::Mat(low, low, CV_32F)};
    for (int y = 0; y < low; ++y) {
        for (int x = 0; x < low; ++x) {
            const cv::Vec3f n = cv::normalize(cv::Vec3f(-gain * gx.at<float>(y, x), -gain * gy.at<float>(y, x), 1.f));
            const float ndl = std::max(0.f, n.dot(light.dir));
            out.diffuse.at<float>(y, x) = (light.ambient + (1.f - light.ambient) * ndl) / flat;
            out.specular.at<float>(y, x) = powPow2(std::max(0.f, n.dot(half)), shininessLog2);
        }
    }
    cv::resize(out.diffuse, out.diffuse, cv::Size(size, size), 0, 0, cv::INTER_LINEAR);
    cv::resize(out.specular, out.specular, cv::Size(size, size), 0, 0, cv::INTER_LINEAR);
    return out;
}

float specularWeight(int part)
{
    const Part p = static_cast<Part>(part);
    if (isSkin(part) || p == Part::Nostril) return 1.f;
    if (isHairPart(part)) return 0.5f;
    if (p == Part::UpperLip || p == Part::LowerLip) return 0.8f;
    if (p == Part::Body) return 0.2f;
    return 0.f;
}

void applyShading(cv::Mat& img, const cv::Mat& parts, const Shading& shade, float specStrength)
{
    for (int y = 0; y < img.rows; ++y) {
        auto* px = img.ptr<cv::Vec3b>(y);
        const auto* part = parts.ptr<std::uint8_t>(y);
        const auto* diff = shade.diffuse.ptr<float>(y);
        const auto* spec = shade.specular.ptr<float>(y);
        for (int x = 0; x < img.cols; ++x) {
            if (part[x] == 0) continue;
            const float add = 255.f * specStrength * specularWeight(part[x] - 1) * spec[x];
            for (int c = 0; c < 3; ++c) px[x][c] = cv::saturate_cast<std::uint8_t>(px[x][c] * diff[x] + add);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Colour painting (photos and the painterly style)

struct Palette {
    cv::Vec3f skin, hair, brow, iris, lip, clothes, frame, eyeWhite;
};

Palette basePalette(const Identity& id, const cv::Vec3f& clothes)
{
    Palette p;
    p.skin = id.skinColour;
    p.hair = id.hairColour;
    p.brow = id.hairColour * 0.72f;
    p.iris = id.eyeColour;
    p.lip = mix(id.skinColour, rgb(196, 86, 92), 0.35f) * 0.9f;
    p.clothes = clothes;
    p.frame = id.glassesColour;
    p.eyeWhite = rgb(218, 212, 206);
    return p;
}

cv::Vec3f partColour(Part part, const Palette& p)
{
    switch (part) {
    case Part::BackHair: return p.hair * 0.85f;
    case Part::Hair:
    case Part::Beard:
    case Part::Moustache: return p.hair;
    case Part::HairStrand: return p.hair * 0.6f + gray(22.f);
    case Part::Body: return p.clothes;
    case Part::Neck: return p.skin * 0.9f;
    case Part::Ear:
    case Part::Head: return p.skin;
    case Part::EarInner: return p.skin * 0.72f;
    case Part::EyeWhite: return p.eyeWhite;
    case Part::Iris: return p.iris;
    case Part::Pupil: return gray(18.f);
    case Part::Catchlight: return gray(250.f);
    case Part::Brow: return p.brow;
    case Part::Nostril: return p.skin * 0.42f;
    case Part::UpperLip: return p.lip * 0.86f;
    case Part::LowerLip: return p.lip;
    case Part::Lid: return gray(35.f);
    case Part::Crease: return p.skin * 0.78f;
    case Part::NoseLine: return p.skin * 0.76f;
    case Part::MouthLine: return p.lip * 0.45f;
    case Part::GlassesFrame:
    case Part::GlassesArm: return p.frame;
    default: return gray(128.f);
    }
}

void paintColour(cv::Mat& img, const Scene& sc, const Palette& pal)
{
    for (const Shape& sh : sc.shapes) {
        if (sh.kind == Kind::Relief) continue;
        const cv::Scalar c = scalar(partColour(sh.part, pal));
        if (sh.kind == Kind::Fill)
            fillShape(img, sh, c);
        else
            strokeShape(img, sh, c, sh.width);
    }
}

cv::Vec3f randomColour(Rng& rng, float lo, float hi) { return {uni(rng, lo, hi), uni(rng, lo, hi), uni(rng, lo, hi)}; }

// An out-of-focus room: gradient wall plus blurred furniture-like blocks.
cv::Mat photoBackground(int canvas, Rng& rng)
{
    const int low = std::max(8, canvas / 4);
    const cv::Vec3f a = mix(randomColour(rng, 40, 230), gray(140.f), 0.4f);
    const cv::Vec3f b = mix(randomColour(rng, 40, 230), gray(110.f), 0.4f);
    const float angle = uni(rng, 0.0, 2.0 * kPi);
    const float ca = std::cos(angle), sa = std::sin(angle);
    cv::Mat bg(low, low, CV_8UC3);
    for (int y = 0; y < low; ++y)
        for (int x = 0; x < low; ++x) {
            const float t = clampf(0.5f + ((x - low / 2.f) * ca + (y - low / 2.f) * sa) / low, 0.f, 1.f);
            const cv::Vec3f c = mix(a, b, t);
            bg.at<cv::Vec3b>(y, x) =
                cv::Vec3b(cv::saturate_cast<std::uint8_t>(c[0]), cv::saturate_cast<std::uint8_t>(c[1]), cv::saturate_cast<std::uint8_t>(c[2]));
        }
    const int clutter = 3 + rng.index(8);
    for (int i = 0; i < clutter; ++i) {
        const cv::Scalar c = scalar(mix(randomColour(rng, 20, 240), mix(a, b, 0.5f), uni(rng, 0.2, 0.6)));
        const cv::Point p(rng.index(low), rng.index(low));
        const int r = std::max(2, static_cast<int>(low * uni(rng, 0.05, 0.3)));
        switch (rng.index(3)) {
        case 0: cv::circle(bg, p, r, c, cv::FILLED, cv::LINE_AA); break;
        case 1: cv::rectangle(bg, p, p + cv::Point(r, static_cast<int>(r * uni(rng, 0.5, 3.0))), c, cv::FILLED); break;
        default: cv::line(bg, p, cv::Point(rng.index(low), rng.index(low)), c, std::max(1, r / 3), cv::LINE_AA); break;
        }
    }
    cv::GaussianBlur(bg, bg, cv::Size(), low / 60.0 * uni(rng, 0.6, 2.0));
    cv::resize(bg, bg, cv::Size(canvas, canvas), 0, 0, cv::INTER_LINEAR);
    return bg;
}

// ---------------------------------------------------------------------------------------------
// Finishing at output resolution

// 4096 samples of (nearly) N(0, 1): Irwin–Hall sums of 12 uniforms, made with integer-seeded
// float arithmetic only, so the table is the same on every platform.
const std::array<float, 4096>& normalTable()
{
    static const std::array<float, 4096> table = [] {
        std::array<float, 4096> t{};
        std::uint64_t counter = 0;
        for (float& v : t) {
            float sum = 0.f;
            for (int j = 0; j < 12; ++j) sum += static_cast<float>(splitmix64(++counter) >> 40) / 16777216.f;
            v = sum - 6.f;
        }
        return t;
    }();
    return table;
}

// Sensor or paper grain. Per-value mt19937_64 draws would cost more than drawing the face, so
// a counter-based splitmix64 stream seeded once from the image's stream picks entries of an
// integer table scaled to sigma, five per 64-bit draw. Integer arithmetic only after the
// table, so the result is exact on every platform.
void addGrain(cv::Mat& img, float sigma, bool mono, Rng& rng)
{
    CV_Assert(img.type() == CV_8UC3 && img.isContinuous());
    const std::array<float, 4096>& normal = normalTable();
    std::array<std::int16_t, 4096> offset{};
    for (std::size_t i = 0; i < offset.size(); ++i) offset[i] = static_cast<std::int16_t>(cvRound(sigma * normal[i]));

    const std::size_t pixels = img.total();
    const std::size_t count = mono ? pixels : 3 * pixels;
    std::vector<std::int16_t> noise(count + 5);
    std::uint64_t counter = rng.bits();
    for (std::size_t i = 0; i < count; i += 5) {
        std::uint64_t b = splitmix64(++counter);
        for (std::size_t k = 0; k < 5; ++k, b >>= 12) noise[i + k] = offset[b & 4095u];
    }
    std::uint8_t* p = img.data;
    const auto clamp8 = [](int v) { return static_cast<std::uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v)); };
    if (mono) {
        for (std::size_t i = 0; i < pixels; ++i, p += 3)
            for (int c = 0; c < 3; ++c) p[c] = clamp8(p[c] + noise[i]);
    } else {
        for (std::size_t i = 0; i < count; ++i) p[i] = clamp8(p[i] + noise[i]);
    }
}

// Slow, smooth variation of a paper's brightness.
cv::Mat paperBlotches(int canvas, float amplitude, Rng& rng)
{
    const int low = std::max(4, canvas / 24);
    cv::Mat m(low, low, CV_32F);
    for (int y = 0; y < low; ++y)
        for (int x = 0; x < low; ++x) m.at<float>(y, x) = 1.f + amplitude * uni(rng, -1.0, 1.0);
    cv::resize(m, m, cv::Size(canvas, canvas), 0, 0, cv::INTER_CUBIC);
    return m;
}

void multiplyBy(cv::Mat& img, const cv::Mat& factor)
{
    for (int y = 0; y < img.rows; ++y) {
        auto* px = img.ptr<cv::Vec3b>(y);
        const auto* f = factor.ptr<float>(y);
        for (int x = 0; x < img.cols; ++x)
            for (int c = 0; c < 3; ++c) px[x][c] = cv::saturate_cast<std::uint8_t>(px[x][c] * f[x]);
    }
}

cv::Mat downsample(const cv::Mat& canvas, int size)
{
    cv::Mat out;
    cv::resize(canvas, out, cv::Size(size, size), 0, 0, cv::INTER_AREA);
    return out;
}

Landmarks5 toOutput(const Landmarks5& canvasMarks)
{
    // Pixel centres: output pixel j covers canvas pixels [f*j, f*j + f).
    Landmarks5 out;
    const float f = static_cast<float>(kSupersample);
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = {(canvasMarks[i].x + 0.5f) / f - 0.5f, (canvasMarks[i].y + 0.5f) / f - 0.5f};
    // Strong roll or warp must not break the image-left-first convention.
    if (out[0].x > out[1].x) std::swap(out[0], out[1]);
    if (out[3].x > out[4].x) std::swap(out[3], out[4]);
    return out;
}

// ---------------------------------------------------------------------------------------------
// Caricature styles. Each draws on the supersampled canvas and returns the output-size image.

constexpr int kStyleCount = 4;

bool inkFilled(Part p, bool darkHair, bool darkEyes)
{
    switch (p) {
    case Part::Pupil:
    case Part::Brow:
    case Part::Nostril: return true;
    case Part::Iris: return darkEyes;
    case Part::Hair:
    case Part::BackHair:
    case Part::Beard:
    case Part::Moustache: return darkHair;
    default: return false;
    }
}

// Parallel-line hatching keyed to the lighting, as an illustrator shades with a pen.
void hatch(cv::Mat& img, const cv::Mat& parts, const cv::Mat& diffuse, const cv::Scalar& ink, int spacing, float lightLimit, float crossLimit,
           bool hatchLightHair)
{
    const int w = std::max(1, spacing / 3);
    const cv::Vec3b inkPx(static_cast<std::uint8_t>(ink[0]), static_cast<std::uint8_t>(ink[1]), static_cast<std::uint8_t>(ink[2]));
    for (int y = 0; y < img.rows; ++y) {
        auto* px = img.ptr<cv::Vec3b>(y);
        for (int x = 0; x < img.cols; ++x) {
            const int part = partAt(parts, y, x);
            if (part < 0) continue;
            const bool hair = isHairPart(part);
            if (!(isSkin(part) || static_cast<Part>(part) == Part::Body || (hair && hatchLightHair))) continue;
            // Light hair gets single-direction strokes only, which read as strands.
            const float d = hair ? 0.5f * (lightLimit + crossLimit) : diffuse.at<float>(y, x);
            const bool first = d < lightLimit && (x + y) % spacing < w;
            const bool cross = d < crossLimit && (x - y + 4096 * spacing) % spacing < w;
            if (first || cross) px[x] = inkPx;
        }
    }
}

cv::Mat styleInk(const Scene& sc, const Identity& id, const cv::Mat& parts, const Shading& shade, Rng& rng, int size)
{
    const int canvas = sc.canvas;
    const cv::Scalar paper(uni(rng, 228, 246), uni(rng, 238, 250), uni(rng, 242, 252));
    const cv::Scalar ink(22, 20, 24);
    const bool darkHair = luminance(id.hairColour) < 100.f;
    const bool darkEyes = luminance(id.eyeColour) < 75.f;
    const float line = static_cast<float>(canvas) / 110.f * uni(rng, 0.8, 1.5);
    cv::Mat img(canvas, canvas, CV_8UC3, paper);
    for (const Shape& sh : sc.shapes) {
        if (sh.kind == Kind::Relief) continue;
        if (sh.kind == Kind::Fill) {
            fillShape(img, sh, inkFilled(sh.part, darkHair, darkEyes) ? ink : paper);
            if (sh.part == Part::Catchlight) continue;
            strokeShape(img, sh, ink, isMass(sh.part) ? line : 0.6f * line);
        } else {
            // Strands show as white highlight lines on solid black hair.
            const bool reverse = sh.part == Part::HairStrand && darkHair;
            strokeShape(img, sh, reverse ? paper : ink, std::max(0.6f * line, 0.8f * sh.width));
        }
    }
    cv::Mat out = downsample(img, size);
    hatch(out, parts, shade.diffuse, ink, std::max(3, size / 40), uni(rng, 0.75, 0.9), uni(rng, 0.45, 0.6), !darkHair);
    multiplyBy(out, paperBlotches(size, 0.03f, rng));
    addGrain(out, 2.f, true, rng);
    return out;
}

cv::Vec3f cartoonColour(const cv::Vec3f& c, float saturation, float brightness)
{
    const float m = (c[0] + c[1] + c[2]) / 3.f;
    return (gray(m) + (c - gray(m)) * saturation) * brightness;
}

void cartoonBackground(cv::Mat& img, Rng& rng)
{
    static const std::array<cv::Vec3f, 6> colours = {rgb(255, 214, 90),  rgb(120, 200, 235), rgb(250, 150, 160),
                                                     rgb(160, 220, 140), rgb(200, 170, 240), rgb(255, 170, 90)};
    const cv::Vec3f a = colours[rng.index(static_cast<int>(colours.size()))];
    img.setTo(scalar(a));
    if (rng.chance(0.5)) {  // comic "burst" behind the head
        const cv::Point2f c(img.cols * 0.5f, img.rows * 0.4f);
        const int wedges = 12 + 2 * rng.index(5);
        const float turn = uni(rng, 0.0, 2.0 * kPi);
        const float r = 2.f * static_cast<float>(img.cols);
        for (int i = 0; i < wedges; i += 2) {
            const float a0 = turn + 2.f * kPi * i / wedges, a1 = turn + 2.f * kPi * (i + 1) / wedges;
            const std::vector<cv::Point> tri = {cv::Point(c), cv::Point(c + r * cv::Point2f(std::cos(a0), std::sin(a0))),
                                                cv::Point(c + r * cv::Point2f(std::cos(a1), std::sin(a1)))};
            cv::fillConvexPoly(img, tri, scalar(a * 0.88f));
        }
    }
}

void posterise(cv::Mat& img, int levels)
{
    cv::Mat lut(1, 256, CV_8U);
    const float step = 255.f / static_cast<float>(levels - 1);
    for (int i = 0; i < 256; ++i) lut.at<std::uint8_t>(i) = cv::saturate_cast<std::uint8_t>(std::round(i / step) * step);
    cv::LUT(img, lut, img);
}

// Cel shading: one hard shadow tone where the light falls off.
void celShade(cv::Mat& img, const cv::Mat& parts, const cv::Mat& diffuse, float threshold)
{
    for (int y = 0; y < img.rows; ++y) {
        auto* px = img.ptr<cv::Vec3b>(y);
        const auto* d = diffuse.ptr<float>(y);
        for (int x = 0; x < img.cols; ++x) {
            const int part = partAt(parts, y, x);
            if (part < 0 || !(isMass(static_cast<Part>(part)))) continue;
            if (d[x] < threshold)
                for (int c = 0; c < 3; ++c) px[x][c] = static_cast<std::uint8_t>(px[x][c] * 0.76f);
        }
    }
}

cv::Mat styleCartoon(const Scene& sc, const Identity& id, const cv::Mat& parts, const Shading& shade, Rng& rng, int size)
{
    const int canvas = sc.canvas;
    cv::Mat img(canvas, canvas, CV_8UC3);
    cartoonBackground(img, rng);
    Palette pal = basePalette(id, cartoonColour(randomColour(rng, 30, 230), 1.6f, 1.1f));
    pal.skin = cartoonColour(pal.skin, 1.25f, 1.08f);
    pal.hair = cartoonColour(pal.hair, 1.4f, 1.05f);
    pal.brow = pal.hair * 0.6f;
    pal.iris = cartoonColour(pal.iris, 1.5f, 1.1f);
    pal.lip = cartoonColour(pal.lip, 1.5f, 1.05f);
    pal.eyeWhite = gray(252.f);
    const cv::Scalar ink(25, 20, 30);
    const float line = static_cast<float>(canvas) / 70.f * uni(rng, 0.8, 1.3);
    for (const Shape& sh : sc.shapes) {
        if (sh.kind == Kind::Relief) continue;
        if (sh.kind == Kind::Fill) {
            fillShape(img, sh, scalar(partColour(sh.part, pal)));
            if (sh.part != Part::Catchlight && sh.part != Part::Pupil) strokeShape(img, sh, ink, isMass(sh.part) ? line : 0.5f * line);
        } else {
            const bool lineArt = sh.part == Part::HairStrand || sh.part == Part::Crease || sh.part == Part::EarInner;
            strokeShape(img, sh, lineArt ? scalar(partColour(sh.part, pal) * 0.6f) : ink, std::max(sh.width, (lineArt ? 0.35f : 0.55f) * line));
        }
    }
    cv::Mat out = downsample(img, size);
    celShade(out, parts, shade.diffuse, uni(rng, 0.78, 0.9));
    posterise(out, 7);
    addGrain(out, 1.f, true, rng);
    return out;
}

void jitteredStroke(cv::Mat& img, const std::vector<cv::Point2f>& pts, bool closed, const cv::Scalar& colour, float width, float amount, Rng& rng)
{
    const cv::Point2f shift(uni(rng, -amount, amount), uni(rng, -amount, amount));
    std::vector<cv::Point2f> moved;
    moved.reserve(pts.size());
    for (const cv::Point2f& p : pts)
        moved.push_back(p + shift + cv::Point2f(uni(rng, -0.4 * amount, 0.4 * amount), uni(rng, -0.4 * amount, 0.4 * amount)));
    strokePts(img, moved, closed, colour, width);
}

float pencilFillTone(Part p, const Identity& id, float paper)
{
    switch (p) {
    case Part::Pupil: return 45.f;
    case Part::Brow: return 40.f + 0.45f * luminance(id.hairColour);
    case Part::Nostril: return 80.f;
    case Part::Iris: return 60.f + 0.5f * luminance(id.eyeColour);
    case Part::Hair:
    case Part::BackHair:
    case Part::Beard:
    case Part::Moustache: return 70.f + 0.6f * luminance(id.hairColour);
    default: return paper;
    }
}

// Graphite tone: soft hatching whose darkness follows the light, on skin and clothes.
void pencilShade(cv::Mat& img, const cv::Mat& parts, const cv::Mat& diffuse, float angle, float spacing, float strength)
{
    const float ca = std::cos(angle) * 2.f * kPi / spacing, sa = std::sin(angle) * 2.f * kPi / spacing;
    for (int y = 0; y < img.rows; ++y) {
        auto* px = img.ptr<cv::Vec3b>(y);
        const auto* d = diffuse.ptr<float>(y);
        for (int x = 0; x < img.cols; ++x) {
            const int part = partAt(parts, y, x);
            if (part < 0) continue;
            const bool hair = isHairPart(part);
            if (!(hair || isSkin(part) || static_cast<Part>(part) == Part::Body)) continue;
            const float pattern = 0.5f + 0.5f * std::sin(x * ca + y * sa);
            const float dark = hair ? 0.4f + 0.3f * pattern : clampf((0.95f - d[x]) * 1.6f, 0.f, 1.f) * (0.55f + 0.45f * pattern);
            const float k = 1.f - strength * dark;
            for (int c = 0; c < 3; ++c) px[x][c] = static_cast<std::uint8_t>(px[x][c] * k);
        }
    }
}

cv::Mat stylePencil(const Scene& sc, const Identity& id, const cv::Mat& parts, const Shading& shade, Rng& rng, int size)
{
    const int canvas = sc.canvas;
    const float paper = uni(rng, 228, 244);
    cv::Mat img(canvas, canvas, CV_8UC3, cv::Scalar(paper, paper, paper));
    const float graphite = uni(rng, 55, 95);
    const float width = std::max(1.f, static_cast<float>(canvas) / 200.f);
    const float wobble = static_cast<float>(canvas) / 260.f;
    for (const Shape& sh : sc.shapes) {
        if (sh.kind == Kind::Relief) continue;
        if (sh.kind == Kind::Fill) {
            const float tone = sh.part == Part::Catchlight ? paper : pencilFillTone(sh.part, id, paper);
            fillShape(img, sh, cv::Scalar(tone, tone, tone));
            if (sh.part == Part::Catchlight) continue;
        }
        // Sketchy double lines, as drawn by a quick hand.
        const bool closed = sh.kind != Kind::Stroke;
        const cv::Scalar g(graphite, graphite, graphite);
        jitteredStroke(img, sh.pts, closed, g, std::max(width, 0.7f * sh.width), wobble, rng);
        jitteredStroke(img, sh.pts, closed, g * 1.25, width, 1.5f * wobble, rng);
    }
    cv::Mat out = downsample(img, size);
    pencilShade(out, parts, shade.diffuse, uni(rng, 0.5, 1.2), std::max(3.f, size / 24.f), uni(rng, 0.35, 0.55));
    multiplyBy(out, paperBlotches(size, 0.04f, rng));
    addGrain(out, 4.f, true, rng);
    const cv::Scalar tint(uni(rng, 0.9, 0.97), uni(rng, 0.96, 1.0), 1.0);  // warm paper
    cv::multiply(out, tint, out);
    return out;
}

void paintBlobBackground(cv::Mat& img, Rng& rng)
{
    cv::Mat low(3, 3, CV_8UC3);
    for (int y = 0; y < 3; ++y)
        for (int x = 0; x < 3; ++x) {
            const cv::Vec3f c = mix(randomColour(rng, 60, 240), gray(170.f), 0.45f);
            low.at<cv::Vec3b>(y, x) =
                cv::Vec3b(cv::saturate_cast<std::uint8_t>(c[0]), cv::saturate_cast<std::uint8_t>(c[1]), cv::saturate_cast<std::uint8_t>(c[2]));
        }
    cv::Mat mid;
    cv::resize(low, mid, cv::Size(std::max(8, img.cols / 8), std::max(8, img.rows / 8)), 0, 0, cv::INTER_CUBIC);
    cv::resize(mid, img, img.size(), 0, 0, cv::INTER_LINEAR);
}

// Brush strokes coloured from a median-smoothed copy, laid along the large-scale contours and
// kept off sharp edges so that eyes and mouth survive: an oil-painting look from imgproc alone.
void brushStrokes(cv::Mat& img, Rng& rng)
{
    cv::Mat base, grayImg, smooth, ex, ey, fx, fy;
    cv::medianBlur(img, base, 3);
    cv::cvtColor(base, grayImg, cv::COLOR_BGR2GRAY);
    cv::Sobel(grayImg, ex, CV_32F, 1, 0, 3);
    cv::Sobel(grayImg, ey, CV_32F, 0, 1, 3);
    cv::GaussianBlur(grayImg, smooth, cv::Size(), img.cols / 40.0);
    cv::Sobel(smooth, fx, CV_32F, 1, 0, 3);
    cv::Sobel(smooth, fy, CV_32F, 0, 1, 3);
    const int size = img.cols;
    const float flow = uni(rng, 0.0, kPi);
    const int strokes = size * size / 24;
    const float width = 0.5f * std::max(1.5f, size / 64.f);
    img = base.clone();
    for (int i = 0; i < strokes; ++i) {
        const int x = rng.index(size), y = rng.index(size);
        const cv::Vec3b c = base.at<cv::Vec3b>(y, x);
        if (std::hypot(ex.at<float>(y, x), ey.at<float>(y, x)) > 160.f) continue;
        const float gx = fx.at<float>(y, x), gy = fy.at<float>(y, x);
        const float mag = std::sqrt(gx * gx + gy * gy);
        const cv::Point2f dir = mag > 8.f ? cv::Point2f(-gy / mag, gx / mag) : cv::Point2f(std::cos(flow), std::sin(flow));
        const float half = 0.5f * static_cast<float>(size) * uni(rng, 0.02, 0.045);
        const float tone = uni(rng, 0.93, 1.07);
        const cv::Scalar colour(c[0] * tone, c[1] * tone, c[2] * tone);
        // A plain quad instead of cv::line, whose thick lines get round caps drawn as circles; not
        // anti-aliased either, which at this count would cost more than the rest of the image.
        const cv::Point2f centre(static_cast<float>(x), static_cast<float>(y)), across(-dir.y * width, dir.x * width);
        const std::vector<cv::Point> quad =
            toFixed({centre - dir * half - across, centre + dir * half - across, centre + dir * half + across, centre - dir * half + across});
        cv::fillConvexPoly(img, quad, colour, cv::LINE_8, kShift);
    }
}

cv::Mat stylePainterly(const Scene& sc, const Identity& id, const cv::Mat& parts, const Shading& shade, Rng& rng, int size)
{
    cv::Mat img(sc.canvas, sc.canvas, CV_8UC3);
    paintBlobBackground(img, rng);
    Palette pal = basePalette(id, randomColour(rng, 40, 220));
    pal.skin = cartoonColour(pal.skin, 1.2f, 1.04f);
    pal.hair = cartoonColour(pal.hair, 1.2f, 1.f);
    paintColour(img, sc, pal);
    cv::Mat out = downsample(img, size);
    applyShading(out, parts, shade, 0.25f);
    brushStrokes(out, rng);
    addGrain(out, 2.f, true, rng);
    return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

RenderedImage renderPhoto(const Identity& identity, int size, Rng& rng)
{
    const int canvas = size * kSupersample;
    const FaceSpec spec = specFrom(identity, 1.f);
    const Expression expr{uni(rng, -0.015, 0.045), uni(rng, -0.5, 0.5), 1.f};
    const Camera cam = sampleCamera(rng, canvas, {10.f, 8.f, 0.06f, 0.035f, 0.335f, 0.49f});
    const Scene sc = project(buildFigure(identity, spec, expr), landmarkPoints(spec, expr.smile), cam, canvas);

    cv::Mat img = photoBackground(canvas, rng);
    paintColour(img, sc, basePalette(identity, randomColour(rng, 20, 220)));

    RenderedImage out;
    out.bgr = downsample(img, size);
    applyShading(out.bgr, partMap(sc, size), computeShading(sc, sampleLight(rng), 5, size), uni(rng, 0.1, 0.3));
    const float exposure = uni(rng, 0.85, 1.1);
    cv::multiply(out.bgr, cv::Scalar(exposure * uni(rng, 0.92, 1.08), exposure, exposure * uni(rng, 0.92, 1.08)), out.bgr);
    cv::GaussianBlur(out.bgr, out.bgr, cv::Size(3, 3), uni(rng, 0.3, 0.9));
    addGrain(out.bgr, uni(rng, 2.0, 6.0), false, rng);
    out.landmarks = toOutput(sc.marks);
    out.jpegQuality = 55 + rng.index(41);
    return out;
}

RenderedImage renderCaricature(const Identity& identity, int size, Rng& rng)
{
    const int canvas = size * kSupersample;
    const FaceSpec spec = specFrom(identity, uni(rng, 1.5, 3.0));
    const Expression expr{uni(rng, -0.01, 0.07), uni(rng, -0.6, 0.6), uni(rng, 0.42, 0.62)};
    Camera cam = sampleCamera(rng, canvas, {20.f, 15.f, 0.1f, 0.04f, 0.32f, 0.45f});
    cam.warp = sampleWarp(rng);
    const Scene sc = project(buildFigure(identity, spec, expr), landmarkPoints(spec, expr.smile), cam, canvas);
    const cv::Mat parts = partMap(sc, size);
    const Shading shade = computeShading(sc, sampleLight(rng), 4, size);

    RenderedImage out;
    switch (rng.index(kStyleCount)) {
    case 0: out.bgr = styleInk(sc, identity, parts, shade, rng, size); break;
    case 1: out.bgr = styleCartoon(sc, identity, parts, shade, rng, size); break;
    case 2: out.bgr = stylePencil(sc, identity, parts, shade, rng, size); break;
    default: out.bgr = stylePainterly(sc, identity, parts, shade, rng, size); break;
    }
    out.landmarks = toOutput(sc.marks);
    out.jpegQuality = 75 + rng.index(21);
    return out;
}

}  // namespace carilab::data::carisynth
