#pragma once
// Everything needed to repeat a training run; config.json is this struct as JSON.
#include "data/identity_sampler.h"
#include "nn/identity_head.h"
#include "nn/inference_precision.h"
#include "nn/param_groups.h"
#include "nn/weighting_strategy.h"

#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

namespace carilab::data {
struct PipelineOptions;
}
namespace carilab::nn {
struct BackboneInfo;
}

namespace carilab::run {

// The lr after the warm-up: as scheduled (None), or that times a cosine falling to 0 at the
// last step (Cosine).
enum class LrDecay { None, Cosine };
const char* lrDecayName(LrDecay d);  // "none" | "cosine", as in config.json
const char* samplerName(data::Sampler s);  // "uniform" | "identity", as in config.json

// "split": which images train. auto: the dataset's protocol split when it has one, else image.
enum class SplitKind { Auto, Image, Identity, Protocol, Official, Refit };
// Throws std::invalid_argument naming the valid splits.
SplitKind parseSplitKind(const std::string& name);
const char* splitKindName(SplitKind k);  // as in config.json: "auto", "image", ...

// "face_crop": what an image is cropped to before the network sees it.
enum class FaceCrop { Auto, Align, Box, FaceApi };
// Throws std::invalid_argument naming the valid crops.
FaceCrop parseFaceCrop(const std::string& name);
const char* faceCropName(FaceCrop c);  // as in config.json: "auto", "align", "box", "face-api"

// "device": where a run trains: cpu, cuda (the current GPU) or cuda:N. Whether this build can
// use it is checked when the run starts (run/device.h), not here: a config must read anywhere.
enum class DeviceKind { Cpu, Cuda };
struct DeviceChoice {
    DeviceKind kind = DeviceKind::Cpu;
    int index = -1;  // N of cuda:N; -1: none given
    bool operator==(const DeviceChoice& o) const { return kind == o.kind && index == o.index; }
};
// Throws std::invalid_argument naming the valid devices.
DeviceChoice parseDeviceChoice(const std::string& name);
std::string deviceName(const DeviceChoice& d);  // as in config.json: "cpu", "cuda", "cuda:1"

struct TrainConfig {
    std::string dataset;  // dataset root
    std::string format = "auto";
    std::string backbone = "tiny";
    int inputSize = 0;  // 0: the backbone's own size
    bool pretrained = true;  // pretrained backbones (face-resnet): start from the fetched weights; false: from scratch
    nn::StrategyOptions strategy;
    nn::OptimizerSpec optimizer;  // kind, lr (base), weight decay
    double clipNorm = 5.0;  // global-norm gradient clipping (official 5.0); 0 = off
    // lr by epoch: (first epoch, lr) pairs; official CaVI schedule is {0: 0.1, 50: 0.01}.
    // Empty: optimizer.lr throughout.
    std::vector<std::pair<int, double>> lrSchedule;
    // Fine-tuning recipe; the defaults keep one lr for everything, no warm-up, no decay.
    nn::LrMultipliers lrMultipliers = nn::kUnitLrMultipliers;  // lr per param group = lr x this
    long long warmupSteps = 0;  // lr ramps linearly from ~0 over the first N steps
    // lr by step: (first step, lr) pairs; exclusive with lrSchedule. Empty: lrSchedule/optimizer.lr.
    std::vector<std::pair<long long, double>> lrScheduleSteps;
    LrDecay lrDecay = LrDecay::None;  // "lr_decay": none | cosine
    int batch = 64;
    // "sampler": uniform, one flat shuffled list (official code) | identity, P identities x
    // K = batch / P images each, half caricatures and half photos where the identity has both.
    data::Sampler sampler = data::Sampler::Uniform;
    int identitiesPerBatch = 0;  // P for the identity sampler; 0: batch / 4 (K = 4)
    long long steps = 0;  // total steps; 0: use epochs
    double epochs = 0;  // total epochs when steps is 0
    std::uint64_t seed = 1;
    int threads = 0;  // LibTorch intra-op threads; 0 = all cores
    DeviceChoice device;  // cpu
    // "precision": fp32 | bf16 (autocast on the network; CPUs with AMX or AVX-512 BF16, or CUDA)
    // | fp16 (CUDA, with a loss scaler). Losses, the weighting unit, centres, master weights and
    // optimiser states stay fp32. Whether the device can run it is checked when the run starts.
    nn::Precision precision = nn::Precision::Fp32;
    // "sync_bn": with several data-parallel ranks, batch norm's statistics over the global batch
    // (nn/sync_batch_norm.h) instead of each rank's shard. No effect in one process.
    bool syncBn = false;
    // "distributed": {"world_size", "backend"}: the job that trains the run (rank 0 writes it;
    // absent for one process). Not part of the recipe: a resume may use another rank count.
    int worldSize = 1;
    std::string distBackend;
    double centerLossFactor = 0.1;
    double centerLossAlpha = 0.5;
    bool centerLossAllBranches = true;
    double dropout = 0.5;
    bool reluOnIdLogits = false;
    nn::IdentityHeadOptions idHead;  // "id_head": {"kind": softmax | cosface, "scale", "margin"}
    // auto: the dataset's own protocol split when it has one (CaVI: every image in neither the
    // test pairs nor validation.txt, whose images select models; WebCaricature: RestrictedView1
    // DevTrain / DevTest images), else image. image | identity | protocol force one; official is
    // the official CaVI code's split (data/protocol_split.h: most test images are trained on);
    // refit is protocol with the validation images trained on (nothing held out).
    SplitKind split = SplitKind::Auto;
    std::string pairs = "testing_1";  // CaVI pair list whose images the protocol split holds out
    double testFraction = 0.2;
    bool align = true;  // similarity-align with landmarks when present
    // auto: the backbone's own (face-api for face-resnet, else align) | align (5-point similarity)
    // | box (official WebCaricature crop) | face-api (face-api's aligned box, data/face_api_crop.h)
    FaceCrop faceCrop = FaceCrop::Auto;
    bool augment = false;  // official published runs: no augmentation
    // What augment does (data::AugmentOptions' defaults); caricatures want flip + colour only.
    bool augmentFlip = true;
    double augmentRotationDeg = 8.0;
    double augmentScale = 0.06;  // relative
    double augmentShift = 0.04;  // relative to the side
    double augmentColourJitter = 0.15;
    double augmentErase = 0.0;  // probability of random erasing (data::AugmentOptions)
    int loaderWorkers = 1;
    int prefetch = 4;
    int logEvery = 1;  // steps between metrics records
    int evalEvery = 0;  // steps between evaluations; 0 = once per epoch
    int checkpointEvery = 100;  // steps between checkpoints
    int keepCheckpoints = 3;
    // "inspect_every": steps between task-gradient inspections (the "grad" record of
    // metrics.jsonl); 0 = off; kInspectAuto ("auto", the default) = resolvedInspectEvery's.
    long long inspectEvery = kInspectAuto;
    static constexpr long long kInspectAuto = -1;
    // Inspections in a run when inspect_every is auto (one every 5 % of it): enough for a curve,
    // few enough that their cost (three backward passes through the shared layers each, 2-4
    // steps' worth; carilab-cli bench) stays a few per cent of a real run.
    static constexpr long long kAutoInspections = 20;

    long long totalSteps(long long batchesPerEpoch) const;
    double lrAtEpoch(double epoch) const;
    // The identity sampler's P once 0 (auto) is resolved.
    int resolvedIdentitiesPerBatch() const;
    // Steps between gradient inspections once auto is resolved (0 = off). Auto takes
    // kAutoInspections per run, on logged steps (a multiple of log_every).
    long long resolvedInspectEvery(long long totalSteps) const;
};

// Strict: unknown keys and wrong types are errors naming the key, so a typo in a config never
// silently trains something else. Missing keys take the defaults above.
TrainConfig trainConfigFromJson(const nlohmann::json& j);
// The same for a config read from a file (or built from one): errors start with `source` (the
// file's path), so a user knows which file to fix. Same exception types.
TrainConfig trainConfigFromJson(const nlohmann::json& j, const std::string& source);
nlohmann::json toJson(const TrainConfig& c);
// Range checks with actionable messages (throws std::invalid_argument).
void validate(const TrainConfig& c);

// The crop a run's images get (training, evaluation, galleries, queries): face_crop resolved
// against the backbone (never Auto), written into the pipeline's crop fields.
FaceCrop resolvedFaceCrop(const TrainConfig& c, const nn::BackboneInfo& backbone);
void applyFaceCrop(const TrainConfig& c, const nn::BackboneInfo& backbone, data::PipelineOptions& pipeline);

// Applies "dynamic"/"naive" defaults from the official code for a dataset kind when the user
// did not set them: naive uses temperature 0.5 (l2_normalize(...)/2).
void applyStrategyDefaults(TrainConfig& c, const nlohmann::json& userStrategyJson);

}  // namespace carilab::run
