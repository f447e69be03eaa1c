// Mixed-precision training on a CUDA GPU (issue #24's GPU part): bf16 and fp16 autocast through
// the same code the trainer uses (nn::PrecisionScope, nn::forwardInPrecision, nn::LossScaler).
//
// (a) Autocast engages: inside a scope a convolution and a matmul of fp32 tensors come out in
//     the 16-bit type, nested scopes restore, and after the scope fp32 is back.
// (b) Step-1 forward of the same weights against fp32 on the same device: outputs in fp32 and
//     close to fp32's (bf16 has 8 significant bits, fp16 11).
// (c) Training: the "tiny" network trains --steps steps on 4 repeated batches in fp32 and in each
//     16-bit type from the same start; every loss stays finite, master weights stay fp32, the
//     16-bit run learns as fp32 does (its final loss near fp32's) and its strategy weights end
//     near fp32's; fp16's loss scaler skips at most a few steps.
// (d) Benchmark (figures, no assertion): training images/s of inception-resnet-v1 and
//     face-resnet in fp32, bf16 and fp16, LibTorch's default math with cuDNN's autotuner.
//
// --cpu runs (a)-(d) on the CPU instead (bf16 only, and only on a CPU with native bf16) to test
// the logic on machines without a GPU. Exit: 0 pass, 1 a check failed, 2 an exception, 77 no
// CUDA device (without --cpu) or nothing this CPU can run (with it).
#include "device_common.h"

#include "nn/precision_forward.h"

#include <torch/cuda.h>
#include <torch/version.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace nn = carilab::nn;
using namespace carilab::devcheck;
using torch::Tensor;

namespace {

struct Args {
    bool cpu = false;
    bool bench = true;
    int steps = 40;
    std::vector<int> benchBatches{32, 128};
    int benchWarmup = 5;
    int benchIters = 30;
};

constexpr std::int64_t kClasses = 10;
constexpr std::int64_t kBatch = 16;

class Checks {
public:
    void expect(bool ok, const std::string& what)
    {
        std::cout << "    " << (ok ? "ok    " : "FAILED") << "  " << what << "\n";
        failures_ += ok ? 0 : 1;
    }
    bool ok() const { return failures_ == 0; }

private:
    int failures_ = 0;
};

std::string fmt(double v)
{
    std::ostringstream s;
    s.precision(3);
    s << v;
    return s.str();
}

// max|a - b| / max(1, max|a|), a the fp32 reference.
double relErr(const Tensor& a, const Tensor& b)
{
    const Tensor x = a.detach().to(torch::kCPU, torch::kDouble), y = b.detach().to(torch::kCPU, torch::kDouble);
    return (x - y).abs().max().item<double>() / std::max(1.0, x.abs().max().item<double>());
}

void checkAutocast(Checks& c, nn::Precision p, torch::Device d)
{
    const auto want = p == nn::Precision::Fp16 ? torch::kHalf : torch::kBFloat16;
    const auto opts = torch::TensorOptions().device(d);
    const Tensor x = torch::randn({2, 3, 8, 8}, opts), w = torch::randn({4, 3, 3, 3}, opts), m = torch::randn({8, 8}, opts);
    {
        nn::PrecisionScope outer(p, d);
        c.expect(torch::conv2d(x, w).scalar_type() == want, "a convolution of fp32 tensors runs in " + std::string(nn::precisionName(p)));
        c.expect(torch::matmul(m, m).scalar_type() == want, "a matmul of fp32 tensors runs in " + std::string(nn::precisionName(p)));
        {
            nn::PrecisionScope inner(p, d);
        }
        c.expect(torch::conv2d(x, w).scalar_type() == want, "a nested scope's end leaves the outer one in force");
    }
    c.expect(torch::conv2d(x, w).scalar_type() == torch::kFloat, "after the scope a convolution is fp32 again");
}

nn::MultiTaskOptions tinyOptions()
{
    nn::MultiTaskOptions mo;
    mo.backbone = "tiny";
    mo.numClasses = kClasses;
    mo.dropout = 0.0;
    return mo;
}

void checkFirstForward(Checks& c, nn::Precision p, torch::Device d)
{
    Replica ref = makeReplica(tinyOptions(), "dynamic", d, nullptr);
    Replica dev = makeReplica(tinyOptions(), "dynamic", d, &ref, p);
    const Batch b = toDevice(makeBatch(0, kBatch, ref.net->info().inputSize, kClasses, torch::kFloat), d);
    const StepRecord a = trainStep(ref, b, 0, 3), h = trainStep(dev, b, 0, 3);
    const double tol = p == nn::Precision::Fp16 ? 0.02 : 0.08;
    double worst = 0.0;
    bool fp32 = true;
    for (int t = 0; t < nn::kNumTasks; ++t) {
        worst = std::max({worst, relErr(a.out.embeddings[t], h.out.embeddings[t]), relErr(a.out.logits[t], h.out.logits[t])});
        fp32 = fp32 && h.out.embeddings[t].scalar_type() == torch::kFloat && h.out.logits[t].scalar_type() == torch::kFloat;
    }
    worst = std::max(worst, relErr(a.losses.losses, h.losses.losses));
    c.expect(fp32, "the forward's outputs come back in fp32 (losses, softmax and centres run in fp32)");
    c.expect(worst <= tol, "step-1 embeddings, logits and task losses within " + fmt(tol) + " of fp32: worst " + fmt(worst));
}

struct Trajectory {
    std::vector<double> loss;  // mean task loss per step
    Tensor finalWeights;
    long long skipped = 0;
    bool masterFp32 = true;
};

Trajectory train(nn::Precision p, torch::Device d, int steps)
{
    Replica r = makeReplica(tinyOptions(), "dynamic", d, nullptr, p);
    std::vector<Batch> batches;
    for (int i = 0; i < 4; ++i) batches.push_back(toDevice(makeBatch(i, kBatch, r.net->info().inputSize, kClasses, torch::kFloat), d));
    Trajectory t;
    for (int s = 0; s < steps; ++s) {
        const StepRecord rec = trainStep(r, batches[s % 4], s, 4);
        t.loss.push_back(rec.losses.losses.detach().mean().item<double>());
        t.finalWeights = nn::normalizedWeights(rec.strategy.weights).detach().to(torch::kCPU);
    }
    t.skipped = r.scaler ? r.scaler->skippedSteps() : 0;
    for (const auto& q : r.net->parameters()) t.masterFp32 = t.masterFp32 && q.scalar_type() == torch::kFloat;
    return t;
}

std::string weightsText(const Tensor& w)
{
    std::string s = "[";
    for (int i = 0; i < w.numel(); ++i) s += (i ? " " : "") + fmt(w[i].item<double>());
    return s + "]";
}

double lastMean(const std::vector<double>& v)
{
    double s = 0.0;
    for (std::size_t i = v.size() - 4; i < v.size(); ++i) s += v[i];
    return s / 4.0;
}

void checkTraining(Checks& c, nn::Precision p, torch::Device d, int steps, const Trajectory& ref)
{
    const Trajectory t = train(p, d, steps);
    const double first = t.loss.front(), last = lastMean(t.loss), refLast = lastMean(ref.loss);
    std::printf("    mean task loss: fp32 %.4f -> %.4f, %s %.4f -> %.4f (last 4 steps); final weights fp32 %s, %s %s\n", ref.loss.front(), refLast,
                nn::precisionName(p), first, last, weightsText(ref.finalWeights).c_str(), nn::precisionName(p), weightsText(t.finalWeights).c_str());
    c.expect(t.masterFp32, "master weights stay fp32");
    c.expect(last < 0.8 * first, "it learns: the loss of the last 4 steps " + fmt(last) + " < 0.8 x the first " + fmt(first));
    const double bound = 0.1 + 0.15 * refLast;
    c.expect(std::abs(last - refLast) <= bound, "final loss within " + fmt(bound) + " of fp32's " + fmt(refLast) + ": " + fmt(last));
    const double wErr = (t.finalWeights - ref.finalWeights).abs().max().item<double>();
    c.expect(wErr <= 0.1, "final strategy weights within 0.1 of fp32's: " + fmt(wErr));
    if (p == nn::Precision::Fp16) c.expect(t.skipped <= 5, "the loss scaler skipped " + std::to_string(t.skipped) + " steps (at most 5)");
}

std::vector<int> parseList(const std::string& s)
{
    std::vector<int> v;
    std::stringstream in(s);
    for (std::string item; std::getline(in, item, ',');) v.push_back(std::atoi(item.c_str()));
    return v;
}

Args parseArgs(int argc, char** argv)
{
    Args a;
    for (int i = 1; i < argc; ++i) {
        const std::string s = argv[i];
        const auto value = [&] {
            if (i + 1 >= argc) throw std::invalid_argument(s + " needs a value");
            return std::string(argv[++i]);
        };
        if (s == "--cpu")
            a.cpu = true;
        else if (s == "--no-bench")
            a.bench = false;
        else if (s == "--steps")
            a.steps = std::atoi(value().c_str());
        else if (s == "--bench-batch")
            a.benchBatches = parseList(value());
        else if (s == "--bench-warmup")
            a.benchWarmup = std::atoi(value().c_str());
        else if (s == "--bench-iters")
            a.benchIters = std::atoi(value().c_str());
        else {
            std::cout << "usage: cuda_precision [--cpu] [--no-bench] [--steps N] [--bench-batch N[,N...]] [--bench-warmup N] [--bench-iters N]\n";
            std::exit(s == "--help" || s == "-h" ? 0 : 2);
        }
    }
    if (a.steps < 8) throw std::invalid_argument("--steps must be at least 8");
    return a;
}

std::vector<nn::Precision> lowPrecisions(torch::Device d)
{
    if (d.is_cuda()) return {nn::Precision::Bf16, nn::Precision::Fp16};
    if (nn::cpuHasNativeBf16()) return {nn::Precision::Bf16};
    return {};
}

void runBench(const Args& args, torch::Device d, const std::vector<nn::Precision>& lows)
{
    setDeterministicMath(false);
    std::cout << "\n[benchmark] training images/s, dynamic strategy, rmsprop, full trainer step, " << args.benchWarmup << " warm-up + "
              << args.benchIters << " timed steps; LibTorch's default math, cuDNN autotuner on\n";
    std::vector<nn::Precision> all{nn::Precision::Fp32};
    all.insert(all.end(), lows.begin(), lows.end());
    for (const char* backbone : {"inception-resnet-v1", "face-resnet"})
        for (int batch : args.benchBatches)
            for (nn::Precision p : all) {
                const double ips = benchmarkTraining(backbone, p, d, batch, args.benchWarmup, args.benchIters);
                std::printf("  BENCH %-20s batch %4d  %-5s %9.1f images/s\n", backbone, batch, nn::precisionName(p), ips);
                std::fflush(stdout);
            }
}

int run(const Args& args)
{
    std::cout << "CariLab mixed-precision check: LibTorch " << TORCH_VERSION << ", CUDA available " << (torch::cuda::is_available() ? "yes" : "no")
              << "\n";
    if (!args.cpu && !torch::cuda::is_available()) {
        std::cout << "no CUDA device\n";
        return 77;
    }
    const torch::Device d = args.cpu ? torch::Device(torch::kCPU) : torch::Device(torch::kCUDA, 0);
    const auto lows = lowPrecisions(d);
    if (lows.empty()) {
        std::cout << "this CPU has no native bf16: nothing to check\n";
        return 77;
    }
    setDeterministicMath(true);
    Checks c;
    std::cout << "\n[training] tiny, fp32 reference, " << args.steps << " steps\n";
    const Trajectory ref = train(nn::Precision::Fp32, d, args.steps);
    for (nn::Precision p : lows) {
        std::cout << "\n[" << nn::precisionName(p) << "] on " << d << "\n";
        checkAutocast(c, p, d);
        checkFirstForward(c, p, d);
        checkTraining(c, p, d, args.steps, ref);
    }
    if (args.bench) runBench(args, d, lows);
    std::cout << (c.ok() ? "RESULT: PASS" : "RESULT: FAIL") << std::endl;
    return c.ok() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv)
{
    try {
        return run(parseArgs(argc, argv));
    } catch (const std::exception& e) {
        std::cout << "ERROR: " << e.what() << std::endl;
        return 2;
    }
}
