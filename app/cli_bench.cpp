#include "cli_args.h"
#include "cli_bench_scaling.h"
#include "cli_commands.h"
#include "cli_threads.h"

#include "nn/backbone.h"
#include "perf/bench_runner.h"
#include "run/trainer.h"

#include <cstdio>
#include <iostream>
#include <sstream>

namespace carilab::cli {

namespace {

std::string fixed(double v, int decimals)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

std::string spread(const perf::SampleStats& s, double scale, int decimals)
{
    return fixed(s.median * scale, decimals) + " (" + fixed(s.min * scale, decimals) + "-" + fixed(s.max * scale, decimals) +
        ", n=" + std::to_string(s.count) + ")";
}

void row(std::ostream& out, const std::string& what, const std::string& value)
{
    out << "  " << what << std::string(what.size() < 44 ? 44 - what.size() : 1, ' ') << value << "\n";
}

void printTable(const perf::BenchReport& r, std::ostream& out)
{
    const auto& o = r.options;
    const auto& m = r.machine;
    out << "carilab bench: " << o.backbone << ", batch " << o.batch << ", " << r.inputSize << "x" << r.inputSize << ", " << o.strategy
        << " strategy, " << o.steps << " measured steps after " << o.warmup << " warm-up\n";
    out << "machine: " << m.cpuModel << ", " << m.logicalCores << " logical cores, LibTorch threads " << m.torchThreads << " (inter-op "
        << m.interopThreads << "), BLAS " << m.blas << ", OMP_WAIT_POLICY " << m.ompWaitPolicy << ", OPENBLAS_THREAD_TIMEOUT "
        << m.openBlasThreadTimeout << ", malloc thresholds: " << m.mallocThresholds
        << (m.runtimeTuned ? "" : "  [could not re-execute with the runtime settings: OpenMP/OpenBLAS defaults]") << "\n";
    out << "load average (1 min): " << fixed(m.loadBefore, 2) << " before, " << fixed(m.loadAfter, 2) << " after"
        << (m.loadAfter > 0.5 || m.loadBefore > 0.5 ? "  [other processes were running: figures taken under load]" : "") << "\n\n";
    out << "FLOPs (multiply-add = 2; conv + linear + batch norm; training step = 3 x forward)\n";
    row(out, "forward, per image",
        fixed(r.forwardPerImage.total() / 1e9, 3) + " GFLOP (conv " + fixed(r.forwardPerImage.conv / 1e9, 3) + ", linear " +
            fixed(r.forwardPerImage.linear / 1e9, 3) + ", bn " + fixed(r.forwardPerImage.batchNorm / 1e9, 3) + ")");
    row(out, "training step, per image", fixed(r.trainFlopsPerImage / 1e9, 3) + " GFLOP");
    row(out, "embedding (trunk + branch 1), per image", fixed(r.embedPerImage.total() / 1e9, 3) + " GFLOP");
    if (r.peak) {
        out << "\nmachine peak through LibTorch, GFLOP/s median (min-max)\n";
        row(out, "fp32 matmul 2048x2048", spread(r.peak->matmulGflops, 1.0, 1));
        row(out, "3x3 convolution 16x128x28x28", spread(r.peak->convGflops, 1.0, 1));
    }
    out << "\ntraining, synthetic input (compute only, " << nn::precisionName(r.options.precision) << ")\n";
    row(out, "step time, ms median (min-max)", spread(r.synthetic.stepSeconds, 1e3, 0));
    row(out, "images/s", fixed(r.synthetic.imagesPerSecond, 2));
    row(out, "page faults per step", fixed(r.synthetic.pageFaultsPerStep, 0));
    row(out, "achieved GFLOP/s", fixed(r.trainGflops(), 1));
    if (r.peak) {
        row(out, "utilisation of the fp32 matmul peak", fixed(100.0 * r.utilisationOfMatmulPeak(), 1) + "%");
        row(out, "utilisation of the 3x3 convolution peak", fixed(100.0 * r.utilisationOfConvPeak(), 1) + "%");
    }
    if (r.inspection) {
        const auto& i = *r.inspection;
        out << "\ntask-gradient inspection (inspect_every; " << i.sharedParameters << " shared parameters, 3 backward passes)\n";
        row(out, "time, ms median (min-max)", spread(i.seconds, 1e3, 0));
        row(out, "one inspection / one step", fixed(100.0 * i.stepFraction, 1) + "%");
        row(out, "added to a run at inspect_every auto", fixed(i.secondsPerAutoRun, 1) + " s (" + std::to_string(run::TrainConfig::kAutoInspections) + " inspections)");
    }
    if (r.pipeline) {
        out << "\ntraining, real data pipeline (" << o.dataset << ", cold decode cache, " << o.loaderWorkers << " loader thread)\n";
        row(out, "step time, ms median (min-max)", spread(r.pipeline->stepSeconds, 1e3, 0));
        row(out, "images/s", fixed(r.pipeline->imagesPerSecond, 2));
        row(out, "page faults per step", fixed(r.pipeline->pageFaultsPerStep, 0));
        row(out, "data wait (blocked on the loader / step)", fixed(100.0 * r.pipeline->dataWait, 1) + "%");
        row(out, "images decoded / cache hits (measured steps)",
            std::to_string(r.pipeline->cacheMisses) + " / " + std::to_string(r.pipeline->cacheHits));
    }
    out << "\nevaluation (embedding, eval mode, no grad, " << nn::precisionName(r.options.precision) << ")\n";
    row(out, "batch time, ms median (min-max)", spread(r.embedBatchSeconds, 1e3, 0));
    row(out, "images/s, compute only", fixed(r.embedImagesPerSecond, 1));
    if (r.evalPipeline) {
        row(out, "images/s, embedImages from files (cold)",
            fixed(r.evalPipeline->imagesPerSecond, 1) + " (" + std::to_string(r.evalPipeline->images) + " images in " +
                fixed(r.evalPipeline->seconds, 1) + " s)");
        row(out, "12 000 images (CaVI) at that rate", fixed(12000.0 / r.evalPipeline->imagesPerSecond, 0) + " s");
    }
    out << "\npeak RSS: " << fixed(r.peakRssMiB, 0) << " MiB\n";
}

}  // namespace

int runBench(const Argv& argv)
{
    std::string backbones;
    for (const auto& b : nn::backboneNames()) backbones += (backbones.empty() ? "" : "|") + b;
    Args a("bench",
           "Measure training and evaluation speed in one process: FLOPs per image, training images/s on\n"
           "synthetic input and (with --dataset) through the real loader with its data-wait fraction,\n"
           "embedding images/s, peak RSS, and this machine's fp32 matmul and 3x3 convolution GFLOP/s, so the\n"
           "training step's utilisation is quoted against the machine's own measured peak.\n"
           "With --nproc-per-node N: data-parallel scaling of real trainings instead, 1 rank against N ranks.");
    a.option("backbone", "B", backbones, "inception-resnet-v1")
        .option("strategy", "S", "weighting strategy of the step", "dynamic")
        .option("batch", "N", "training batch size", "32")
        .option("eval-batch", "N", "embedding batch size (evaluation's default is 64)", "64")
        .option("precision", "fp32|bf16", "arithmetic of the training steps and the embedding figures (bf16: needs AMX or AVX-512 BF16; as train/eval --precision)", "fp32")
        .option("steps", "N", "measured training steps (and embedding batches)", "10")
        .option("warmup", "N", "unmeasured steps first", "2")
        .option("input-size", "PX", "input side (default: the backbone's own)", "0")
        .option("classes", "N", "identities for synthetic input (CaVI: 206)", "206")
        .option("dataset", "PATH", "a dataset folder: also measure the real data pipeline and embedImages")
        .option("eval-images", "N", "dataset images embedded from files (0 = all)", "256")
        .option("loader-workers", "N", "batch loader threads (the trainer's default is 1)", "1")
        .option("threads", "N", "LibTorch threads (default: all cores)", "0")
        .option("profile", "FILE.json",
                "then profile 3 more training steps (LibTorch's profiler) into a Chrome trace; "
                "bench/profile_summary.py totals it per op")
        .option("inspections", "N", "task-gradient inspections timed on the synthetic batch (0 = none)", "5")
        .flag("no-peak", "skip the machine-peak measurement")
        .flag("nchw", "activations and weights in plain NCHW order instead of channels-last (the layout comparison)")
        .flag("json", "print one JSON object with every figure instead of the table");
    declareScalingOptions(a);
    if (!a.parse(argv)) return 0;
    if (wantsScalingBench(a)) return runScalingBench(a, argv);
    if (a.has("device")) throw UsageError("--device applies to the scaling bench (with --nproc-per-node); the one-process bench runs on the CPU");
    perf::BenchOptions o;
    o.backbone = a.get("backbone");
    o.strategy = a.get("strategy");
    o.batch = a.getInt("batch");
    o.evalBatch = a.getInt("eval-batch");
    o.steps = a.getInt("steps");
    o.warmup = a.getInt("warmup");
    o.inputSize = a.getInt("input-size");
    o.classes = a.getInt("classes");
    o.dataset = a.get("dataset", "");
    o.evalImages = a.getInt("eval-images");
    o.loaderWorkers = a.getInt("loader-workers");
    o.measurePeak = !a.flagSet("no-peak");
    o.channelsLast = !a.flagSet("nchw");
    o.precision = nn::parsePrecision(a.get("precision"));
    o.profile = a.get("profile", "");
    o.inspections = a.getInt("inspections");
    if (o.loaderWorkers < 1) throw UsageError("--loader-workers must be at least 1");
    configureThreads(a);

    const bool json = a.flagSet("json");
    const perf::BenchReport r = perf::runBench(o, [](const std::string& phase) { std::cerr << "bench: " << phase << "\n"; });
    if (json)
        std::cout << r.toJson().dump(2) << "\n";
    else
        printTable(r, std::cout);
    return 0;
}

}  // namespace carilab::cli
