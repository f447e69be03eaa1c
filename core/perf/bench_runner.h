#pragma once
// `carilab-cli bench`: every speed figure of one training configuration, measured in one process.
//
// Measured, warm-up steps excluded, as median and spread:
//   - training steps of the real multi-task network + weighting strategy (both updates of
//     dynamic) on synthetic input (compute only), and on batches from the real loader
//     (decode, crop, standardise) with the fraction of step time spent waiting for data;
//   - embedding throughput (eval mode, no grad): compute only, and eval::embedImages over a
//     dataset's images with a cold decode cache (what `carilab-cli eval` pays);
//   - this machine's fp32 matmul and 3x3 convolution GFLOP/s through LibTorch, so the training
//     step's achieved GFLOP/s can be quoted as a fraction of the machine's own peak;
//   - analytic FLOPs per image (perf/flop_count.h for the convention) and the peak RSS;
//   - what one task-gradient inspection (config inspect_every) adds to a step.
// Thread counts are whatever the process configured (run::Trainer::configureThreads).
#include "nn/inference_precision.h"
#include "perf/flop_count.h"
#include "perf/machine_info.h"
#include "perf/machine_peak.h"
#include "perf/sample_stats.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>

namespace carilab::perf {

struct BenchOptions {
    std::string backbone = "inception-resnet-v1";
    std::string strategy = "dynamic";
    int batch = 32;
    int evalBatch = 64;  // embedding batches: evaluation's own default (run::EvalOptions)
    int steps = 10;  // measured steps (and measured embedding batches)
    int warmup = 2;  // steps run first and not measured
    int inputSize = 0;  // 0: the backbone's own size (160 for inception-resnet-v1)
    int classes = 206;  // identities for synthetic input (CaVI has 206)
    std::string dataset;  // empty: no real-pipeline figures
    int evalImages = 256;  // dataset images embedded through the pipeline; 0 = all
    int loaderWorkers = 1;  // as the trainer's default
    bool measurePeak = true;
    bool channelsLast = true;  // the network's layout (nn::MultiTaskOptions::channelsLast)
    nn::Precision precision = nn::Precision::Fp32;  // arithmetic of the training steps and the embedding figures (--precision)
    std::uint64_t seed = 1;
    // After the measured steps, this many more under LibTorch's autograd profiler, written as
    // a Chrome trace here (bench/profile_summary.py totals it per op, as it does PyTorch's).
    std::string profile;
    int profileSteps = 3;
    // Task-gradient inspections measured on the synthetic batch (nn/gradient_conflict.h); 0 = none.
    int inspections = 5;
};

struct TrainFigures {
    SampleStats stepSeconds;
    double imagesPerSecond = 0.0;  // batch / median step time
    double pageFaultsPerStep = 0.0;  // minor faults: the allocator handing back and refetching memory
    double dataWait = 0.0;  // time blocked on the loader / step time (pipeline only)
    long long cacheMisses = 0;  // images decoded during the measured steps (pipeline only)
    long long cacheHits = 0;
};

// What one task-gradient inspection costs (three backward passes through the shared layers on
// the step's graph), next to the step it rides on.
struct InspectionFigures {
    SampleStats seconds;
    double stepFraction = 0.0;  // one inspection / the median synthetic step
    long long sharedParameters = 0;
    // Added to a run with inspect_every auto (run::TrainConfig::kAutoInspections inspections),
    // whatever its length.
    double secondsPerAutoRun = 0.0;
};

struct EvalFigures {
    double imagesPerSecond = 0.0;
    double seconds = 0.0;
    int images = 0;
};

struct BenchReport {
    BenchOptions options;
    int inputSize = 0;
    MachineInfo machine;
    FlopCount forwardPerImage;  // whole multi-task forward (trunk + 3 branches + heads)
    FlopCount embedPerImage;  // trunk + verification branch (what matching embeds)
    double trainFlopsPerImage = 0.0;  // 3 x forward
    std::optional<MachinePeak> peak;
    TrainFigures synthetic;
    std::optional<TrainFigures> pipeline;
    std::optional<InspectionFigures> inspection;
    SampleStats embedBatchSeconds;  // compute only, synthetic input
    double embedImagesPerSecond = 0.0;
    std::optional<EvalFigures> evalPipeline;
    double peakRssMiB = 0.0;

    double trainGflops() const { return trainFlopsPerImage * synthetic.imagesPerSecond / 1e9; }
    // Achieved training GFLOP/s over the measured fp32 matmul peak (the ratio quoted by the
    // issue); -1 when the peak was not measured.
    double utilisationOfMatmulPeak() const;
    double utilisationOfConvPeak() const;
    nlohmann::json toJson() const;
};

using BenchProgress = std::function<void(const std::string& phase)>;

// Throws std::invalid_argument on bad options and std::runtime_error naming what failed.
BenchReport runBench(const BenchOptions& options, const BenchProgress& progress = {});

}  // namespace carilab::perf
