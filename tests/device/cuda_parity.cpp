// CPU <-> CUDA parity check and training benchmark for CariLab's network code (core/nn).
//
// (a) Parity: the same seeded MultiTaskNet ("tiny" backbone, 10 identities, dropout 0 so both
//     devices see the same network function) is built once for the CPU and once for CUDA with
//     identical weights. On identical batches it checks the forward outputs, the task losses,
//     the first step's gradients, and then a training run that mirrors core/run/trainer.cpp
//     step for step (losses, strategy weights, every parameter and buffer after every step, the
//     centre-loss centres, the strategy's own parameters, and finally eval-mode embeddings).
//     Run in float32 (TF32 off, deterministic cuDNN) and in float64; the "dynamic" strategy
//     runs the full number of steps, the other strategies a shorter run in float32.
// (b) Benchmark: training images/s of "inception-resnet-v1" at batch 32 (160x160) on CUDA,
//     full trainer step, after warm-up and with cuda synchronize (a figure, not an assertion).
//
// Errors are measured as max|ref - dev| / max(1, max|ref|) per tensor (ref = CPU), i.e. absolute
// for tensors of magnitude <= 1 and relative to the tensor's largest entry above that.
//
// Exit: 0 all checks pass, 1 a mismatch or non-finite value, 2 an exception, 77 no CUDA device
// (unless --cpu-only, which compares the CPU with a second CPU replica to test the logic).
#include "device_common.h"

#include <c10/core/DefaultDtype.h>
#include <torch/cuda.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace nn = carilab::nn;
using namespace carilab::devcheck;
using torch::Tensor;

namespace {

// ------------------------------------------------------------------------------- settings
struct Args {
    bool cpuOnly = false;  // compare CPU with CPU (logic check on machines without a GPU)
    bool benchCpu = false;  // with --cpu-only: run the benchmark code path on the CPU (tiny)
    bool skipBench = false;
    int steps = 20;  // training steps of the main (dynamic) parity run
    int extraSteps = 10;  // training steps of the other strategies
    int benchBatch = 32;
    int benchWarmup = 5;
    int benchIters = 30;
};

struct Tolerances {
    double forward;  // step-1 forward outputs and task losses
    double gradient;  // step-1 gradients of every network parameter (after clipping)
    double early;  // steps 1-3: losses, strategy weights, full state
    double losses;  // every step: task, network and strategy losses
    double weights;  // every step: strategy weights
    double state;  // every step: parameters, BN buffers, centres, strategy parameters
    double eval;  // eval-mode embeddings after the run
};

// float32 trajectories separate by themselves: ReLU and max-pool kinks route gradients
// discontinuously, so 1e-7 rounding differences flip a few routes per step, and the trainer's
// RMSProp (lr 0.1, momentum 0.9) amplifies that. Measured on an H200 (LibTorch 2.11): state error
// ~1e-7 up to step 3, ~2e-4 at step 5, ~0.2 at step 20, while float64 stays at ~4e-14 over 20
// steps. So float32 is held tight for the forward pass, the first gradients and the first three
// steps, and only to drift bounds (finite, no blow-up) after that; float64 is held tight
// throughout and is the strict proof that CPU and CUDA compute the same training step.
constexpr Tolerances kTolFloat{1e-4, 1e-3, 1e-4, 0.25, 0.05, 1.0, 0.5};
constexpr Tolerances kTolDouble{1e-10, 1e-9, 1e-8, 1e-8, 1e-8, 1e-8, 1e-8};

constexpr std::int64_t kClasses = 10;
constexpr std::int64_t kBatch = 16;
constexpr std::int64_t kBatchesPerEpoch = 3;  // so DWA's weights move within 10 steps

// ------------------------------------------------------------------------------- bookkeeping
struct Worst {
    double err = 0.0, maxAbs = 0.0;
    std::string where;
    int count = 0;
};

class Report {
public:
    explicit Report(std::string run, bool quiet = false) : run_(std::move(run)), quiet_(quiet) {}

    // Compares dev against ref; records the worst error of the category; flags a failure.
    double expectClose(const std::string& category, const std::string& what, const Tensor& ref, const Tensor& dev, double tol)
    {
        double maxAbs = 0.0, scale = 0.0;
        if (!ref.defined() || !dev.defined()) {
            if (ref.defined() != dev.defined()) fail(category + ": " + what + " defined on one device only");
            return 0.0;
        }
        const Tensor a = ref.detach().to(torch::kCPU).to(torch::kDouble);
        const Tensor b = dev.detach().to(torch::kCPU).to(torch::kDouble);
        if (a.sizes() != b.sizes()) {
            fail(category + ": " + what + " has different shapes on the two devices");
            return std::numeric_limits<double>::infinity();
        }
        if (a.numel() > 0) {
            if (!torch::isfinite(a).all().item<bool>() || !torch::isfinite(b).all().item<bool>()) {
                fail(category + ": " + what + " is not finite");
                maxAbs = std::numeric_limits<double>::infinity();
            } else {
                maxAbs = (a - b).abs().max().item<double>();
                scale = a.abs().max().item<double>();
            }
        }
        const double err = maxAbs / std::max(1.0, scale);
        Worst& w = worst_[category];
        ++w.count;
        if (err > w.err || w.where.empty()) {
            w.err = err;
            w.maxAbs = maxAbs;
            w.where = what;
        }
        tol_[category] = tol;
        if (!(err <= tol)) {
            std::ostringstream s;
            s << category << ": " << what << " differs: err " << err << " (max abs " << maxAbs << ") > tol " << tol;
            fail(s.str());
        }
        return err;
    }

    void expectFinite(const std::string& what, const Tensor& t)
    {
        if (t.defined() && !torch::isfinite(t.detach().to(torch::kCPU)).all().item<bool>()) fail(what + " is not finite");
    }

    void fail(const std::string& message)
    {
        if (!quiet_ && failures_.size() < 12) std::cout << "  MISMATCH [" << run_ << "] " << message << "\n";
        failures_.push_back(message);
    }

    bool ok() const { return failures_.empty(); }
    std::size_t failures() const { return failures_.size(); }

    void print() const
    {
        std::cout << "  " << run_ << ": " << (ok() ? "PASS" : "FAIL") << "\n";
        for (const auto& [category, w] : worst_) {
            std::printf("    %-26s worst err %.3e (max abs %.3e, tol %.0e, %d tensors) at %s\n", category.c_str(), w.err, w.maxAbs, tol_.at(category),
                        w.count, w.where.c_str());
        }
        std::fflush(stdout);
    }

    const std::string& run() const { return run_; }
    const std::map<std::string, Worst>& worst() const { return worst_; }

private:
    std::string run_;
    bool quiet_ = false;
    std::map<std::string, Worst> worst_;
    std::map<std::string, double> tol_;
    std::vector<std::string> failures_;
};

// ------------------------------------------------------------------------------- helpers
void compareModuleState(Report& r, const std::string& category, const std::string& prefix, torch::nn::Module& ref, torch::nn::Module& dev, double tol)
{
    auto dp = dev.named_parameters(true);
    for (const auto& item : ref.named_parameters(true)) r.expectClose(category, prefix + item.key(), item.value(), dp[item.key()], tol);
    auto db = dev.named_buffers(true);
    for (const auto& item : ref.named_buffers(true)) r.expectClose(category, prefix + item.key(), item.value(), db[item.key()], tol);
}

// ------------------------------------------------------------------------------- parity run
Report runParity(const std::string& strategyName, torch::ScalarType dtype, int steps, torch::Device devDevice, const Tolerances& tol, bool verbose)
{
    const std::string label = strategyName + "/" + (dtype == torch::kDouble ? "float64" : "float32") + "/" + std::to_string(steps) + " steps";
    Report rep(label);
    c10::set_default_dtype(caffe2::TypeMeta::fromScalarType(dtype));

    nn::MultiTaskOptions mo;
    mo.backbone = "tiny";
    mo.numClasses = kClasses;
    mo.dropout = 0.0;  // dropout masks come from per-device RNGs; 0 keeps the function identical
    Replica ref = makeReplica(mo, strategyName, torch::kCPU, nullptr);
    Replica dev = makeReplica(mo, strategyName, devDevice, &ref);
    const std::int64_t size = ref.net->info().inputSize;

    compareModuleState(rep, "initial state", "net.", *ref.net, *dev.net, 0.0);

    for (int s = 0; s < steps; ++s) {
        const Batch batch = makeBatch(s, kBatch, size, kClasses, dtype);
        StepRecord a = trainStep(ref, batch, s, kBatchesPerEpoch);
        StepRecord b = trainStep(dev, batch, s, kBatchesPerEpoch);
        const std::string at = " (step " + std::to_string(s + 1) + ")";
        if (s == 0) {
            rep.expectClose("forward", "sharedMap", a.out.sharedMap, b.out.sharedMap, tol.forward);
            rep.expectClose("forward", "z", a.out.z, b.out.z, tol.forward);
            for (int t = 0; t < nn::kNumTasks; ++t) {
                rep.expectClose("forward", std::string("embedding ") + nn::kTaskNames[t], a.out.embeddings[t], b.out.embeddings[t], tol.forward);
                rep.expectClose("forward", std::string("logits ") + nn::kTaskNames[t], a.out.logits[t], b.out.logits[t], tol.forward);
            }
            rep.expectClose("forward", "task losses", a.losses.losses, b.losses.losses, tol.forward);
            rep.expectClose("forward", "cross-entropy", a.losses.crossEntropy, b.losses.crossEntropy, tol.forward);
            rep.expectClose("forward", "centre loss", a.losses.center, b.losses.center, tol.forward);
            rep.expectClose("forward", "strategy weights", a.strategy.weights, b.strategy.weights, tol.forward);
            auto gb = dev.net->named_parameters(true);
            for (const auto& item : ref.net->named_parameters(true))
                rep.expectClose("gradients (step 1)", item.key(), item.value().grad(), gb[item.key()].grad(), tol.gradient);
        }
        // Tight for the first steps, drift bounds for all steps (see Tolerances).
        std::vector<std::pair<std::string, double>> checks = {{"all steps: ", 0.0}};
        if (s < 3) checks.push_back({"steps 1-3: ", tol.early});
        Report stepRep(label, /*quiet=*/true);
        double lossErr = 0.0;
        for (const auto& [prefix, tight] : checks) {
            const bool all = tight == 0.0;
            const double tl = all ? tol.losses : tight, tw = all ? tol.weights : tight, ts = all ? tol.state : tight;
            lossErr = std::max(lossErr, rep.expectClose(prefix + "losses", "task losses" + at, a.losses.losses, b.losses.losses, tl));
            rep.expectClose(prefix + "losses", "network loss" + at, a.strategy.networkLoss, b.strategy.networkLoss, tl);
            rep.expectClose(prefix + "losses", "strategy loss" + at, a.strategy.strategyLoss, b.strategy.strategyLoss, tl);
            rep.expectClose(prefix + "strategy weights", "weights" + at, a.strategy.weights, b.strategy.weights, tw);
            // Full state after the step: network parameters and BN statistics, centres, strategy.
            compareModuleState(rep, prefix + "state", "step " + std::to_string(s + 1) + " net.", *ref.net, *dev.net, ts);
            rep.expectClose(prefix + "state", "centres" + at, ref.center->centers(), dev.center->centers(), ts);
            auto pa = ref.strategy->parameters();
            auto pb = dev.strategy->parameters();
            for (std::size_t i = 0; i < pa.size(); ++i)
                rep.expectClose(prefix + "state", "strategy param " + std::to_string(i) + at, pa[i], pb[i], ts);
        }
        compareModuleState(stepRep, "state", "net.", *ref.net, *dev.net, tol.state);
        stepRep.expectClose("state", "centres", ref.center->centers(), dev.center->centers(), tol.state);
        if (s + 1 == steps) {
            compareModuleState(rep, "last step: state", "net.", *ref.net, *dev.net, tol.state);
            rep.expectClose("last step: state", "centres", ref.center->centers(), dev.center->centers(), tol.state);
        }
        rep.expectFinite("CPU task losses" + at, a.losses.losses);
        rep.expectFinite("device task losses" + at, b.losses.losses);
        if (verbose) {
            const auto w = a.strategy.weights.defined() ? a.strategy.weights.to(torch::kCPU, torch::kDouble) : torch::zeros({3}, torch::kDouble);
            const auto l = a.losses.losses.detach().to(torch::kCPU, torch::kDouble);
            std::printf("    step %2d  L=[%.4f %.4f %.4f]  w=[%.3f %.3f %.3f]  loss err %.2e  state err %.2e\n", s + 1, l[0].item<double>(),
                        l[1].item<double>(), l[2].item<double>(), w[0].item<double>(), w[1].item<double>(), w[2].item<double>(), lossErr,
                        stepRep.worst().at("state").err);
        }
    }
    for (const auto& p : ref.net->parameters()) rep.expectFinite("final CPU parameter", p);
    for (const auto& p : dev.net->parameters()) rep.expectFinite("final device parameter", p);

    // Eval mode (BN running statistics) on a fresh batch.
    {
        torch::NoGradGuard ng;
        ref.net->eval();
        dev.net->eval();
        const Batch batch = makeBatch(999, kBatch, size, kClasses, dtype);
        rep.expectClose("eval embeddings", "embed()", ref.net->embed(batch.images), dev.net->embed(batch.images.to(devDevice)), tol.eval);
    }
    c10::set_default_dtype(caffe2::TypeMeta::Make<float>());
    return rep;
}

Args parseArgs(int argc, char** argv)
{
    Args a;
    for (int i = 1; i < argc; ++i) {
        const std::string s = argv[i];
        auto value = [&](const char* name) {
            if (i + 1 >= argc) throw std::invalid_argument(std::string(name) + " needs a value");
            return std::atoi(argv[++i]);
        };
        if (s == "--cpu-only")
            a.cpuOnly = true;
        else if (s == "--bench-cpu")
            a.benchCpu = true;
        else if (s == "--no-bench")
            a.skipBench = true;
        else if (s == "--steps")
            a.steps = value("--steps");
        else if (s == "--extra-steps")
            a.extraSteps = value("--extra-steps");
        else if (s == "--bench-batch")
            a.benchBatch = value("--bench-batch");
        else if (s == "--bench-iters")
            a.benchIters = value("--bench-iters");
        else if (s == "--bench-warmup")
            a.benchWarmup = value("--bench-warmup");
        else {
            std::cout << "usage: cuda_parity [--cpu-only [--bench-cpu]] [--no-bench] [--steps N] [--extra-steps N]\n"
                         "                   [--bench-batch N] [--bench-iters N] [--bench-warmup N]\n";
            std::exit(s == "--help" || s == "-h" ? 0 : 2);
        }
    }
    return a;
}

}  // namespace

int main(int argc, char** argv)
{
    try {
        const Args args = parseArgs(argc, argv);
        std::cout << "CariLab device check: LibTorch " << TORCH_VERSION << ", CUDA available " << (torch::cuda::is_available() ? "yes" : "no")
                  << ", devices " << static_cast<int>(torch::cuda::device_count()) << ", cuDNN " << (torch::cuda::cudnn_is_available() ? "yes" : "no")
                  << "\n";
        if (!args.cpuOnly && !torch::cuda::is_available()) {
            std::cout << "no CUDA device\n";
            return 77;
        }
        const torch::Device devDevice = args.cpuOnly ? torch::Device(torch::kCPU) : torch::Device(torch::kCUDA, 0);
        std::cout << "comparing CPU (reference) with " << (args.cpuOnly ? "a second CPU replica (--cpu-only)" : "cuda:0")
                  << "; err = max|ref-dev| / max(1, max|ref|) per tensor\n"
                  << "float32 tolerances: forward " << kTolFloat.forward << ", gradients " << kTolFloat.gradient << ", steps 1-3 " << kTolFloat.early
                  << "; drift bounds, all steps: losses " << kTolFloat.losses << ", weights " << kTolFloat.weights << ", state " << kTolFloat.state
                  << ", eval " << kTolFloat.eval << " (TF32 off, deterministic cuDNN)\n"
                  << "float64 tolerances: forward " << kTolDouble.forward << ", gradients " << kTolDouble.gradient << ", everything else "
                  << kTolDouble.state << "\n";
        setDeterministicMath(true);

        std::vector<Report> reports;
        const auto t0 = std::chrono::steady_clock::now();
        std::cout << "\n[parity] dynamic, float32, " << args.steps << " steps\n";
        reports.push_back(runParity("dynamic", torch::kFloat, args.steps, devDevice, kTolFloat, true));
        reports.back().print();
        std::cout << "\n[parity] dynamic, float64, " << args.steps << " steps\n";
        reports.push_back(runParity("dynamic", torch::kDouble, args.steps, devDevice, kTolDouble, false));
        reports.back().print();
        for (const char* name : {"naive", "equal", "uncertainty", "gradnorm", "dwa"}) {
            std::cout << "\n[parity] " << name << ", float32, " << args.extraSteps << " steps\n";
            reports.push_back(runParity(name, torch::kFloat, args.extraSteps, devDevice, kTolFloat, false));
            reports.back().print();
        }
        const double parityS = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

        std::vector<std::pair<std::string, double>> bench;
        if (!args.skipBench && (!args.cpuOnly || args.benchCpu)) {
            const int batch = args.cpuOnly ? 2 : args.benchBatch;
            const int warmup = args.cpuOnly ? 1 : args.benchWarmup;
            const int iters = args.cpuOnly ? 1 : args.benchIters;
            std::cout << "\n[benchmark] inception-resnet-v1, 160x160, batch " << batch << ", dynamic strategy, rmsprop,"
                      << " full trainer step, " << warmup << " warm-up + " << iters << " timed steps\n";
            setDeterministicMath(true);
            bench.emplace_back("float32, TF32 off, deterministic cuDNN",
                               benchmarkTraining("inception-resnet-v1", nn::Precision::Fp32, devDevice, batch, warmup, iters));
            std::printf("    %-48s %8.1f images/s\n", bench.back().first.c_str(), bench.back().second);
            std::fflush(stdout);
            setDeterministicMath(false);
            bench.emplace_back("float32, cuDNN TF32 allowed (default), benchmark on",
                               benchmarkTraining("inception-resnet-v1", nn::Precision::Fp32, devDevice, batch, warmup, iters));
            std::printf("    %-48s %8.1f images/s\n", bench.back().first.c_str(), bench.back().second);
            setDeterministicMath(true);
        }

        bool ok = true;
        std::cout << "\n===== summary (" << (args.cpuOnly ? "CPU vs CPU" : "CPU vs CUDA") << ", LibTorch " << TORCH_VERSION << ") =====\n";
        std::printf("  %-30s %-4s %9s %9s %9s %9s %9s %9s\n", "run (err per tensor)", "", "forward", "grads(1)", "steps1-3", "worst", "last", "eval");
        for (const auto& r : reports) {
            auto w = [&](const std::string& category) {
                double e = 0.0;
                for (const auto& [cat, worst] : r.worst())
                    if (cat.find(category) != std::string::npos) e = std::max(e, worst.err);
                return e;
            };
            std::printf("  %-30s %-4s %9.2e %9.2e %9.2e %9.2e %9.2e %9.2e\n", r.run().c_str(), r.ok() ? "PASS" : "FAIL", w("forward"), w("gradients"),
                        w("steps 1-3"), w("all steps"), w("last step"), w("eval"));
            ok = ok && r.ok();
        }
        std::cout << "  (forward: step-1 outputs; grads(1): step-1 gradients; worst: over all steps' losses, weights and\n"
                     "   state; last: full state after the last step; eval: eval-mode embeddings after training)\n";
        std::printf("  parity runs took %.1f s\n", parityS);
        for (const auto& [name, ips] : bench) std::printf("  train images/s  %-50s %.1f\n", name.c_str(), ips);
        std::cout << (ok ? "RESULT: PASS" : "RESULT: FAIL (see MISMATCH lines above)") << std::endl;
        return ok ? 0 : 1;
    } catch (const std::exception& e) {
        std::cout << "ERROR: " << e.what() << std::endl;
        return 2;
    }
}
