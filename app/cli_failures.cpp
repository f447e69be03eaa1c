#include "cli_args.h"
#include "cli_commands.h"
#include "cli_test_views.h"
#include "cli_threads.h"

#include "run/failure_gallery.h"
#include "run/failure_page.h"

#include <chrono>
#include <cstdio>
#include <iostream>

namespace carilab::cli {

namespace {

run::FailureRequest failureRequest(const Args& a)
{
    run::FailureRequest r;
    r.top = a.getIntIn("top", 1, 10000);
    run::EvaluationRequest& e = r.evaluation;
    e.batch = a.getIntIn("batch", 1, 4096);
    e.runDir = a.get("run");
    e.checkpoint = a.get("checkpoint");
    e.dataset = a.get("dataset", "");
    e.protocol = a.get("protocol");
    if (e.protocol != "cavi") throw UsageError("--protocol: only cavi is supported, not '" + e.protocol + "'");
    e.pairs = a.get("pairs");
    e.seed = static_cast<std::uint64_t>(a.getLong("seed"));
    e.device = a.get("device", "");
    e.views = testViewsFrom(a);  // before minutes of embedding
    return r;
}

void printSummary(const run::FailureGallery& g, const run::FailurePageFiles& files, double seconds)
{
    std::printf("run %s, step %lld\n%s: %lld pairs (%lld positive, %lld negative)\n", g.run.c_str(), g.step, g.key.c_str(), g.pairs, g.positives,
                g.negatives);
    std::printf("threshold %.4f: %s\n", g.threshold, g.thresholdSource.c_str());
    std::printf("false accepts %lld (%zu listed), false rejects %lld (%zu listed)\n", g.falseAcceptCount, g.falseAccepts.size(), g.falseRejectCount,
                g.falseRejects.size());
    std::printf("identities %zu, caricature confusions %zu\n", g.identities.size(), g.confusions.size());
    for (const auto& n : g.notes) std::printf("note: %s\n", n.c_str());
    std::printf("wrote %s (%d crops, %s, %s, %s) in %.1f s\n", files.index.c_str(), files.crops, files.pairsCsv.c_str(), files.identitiesCsv.c_str(),
                files.confusionsCsv.c_str(), seconds);
}

}  // namespace

int runFailures(const Argv& argv)
{
    Args a("failures",
           "The failure gallery of an evaluated run on a CaVI pair list: the worst false accepts and false rejects at the run's "
           "threshold (eval.json's for the same list and --mirror, else chosen on the pairs and said so), each pair's crops as the "
           "network saw them, per-identity verification and identification accuracy, and the caricature branch's confusions.\n"
           "Writes OUT/index.html, OUT/crops/*.png, OUT/pairs.csv, OUT/identities.csv and OUT/confusions.csv.");
    a.option("run", "DIR", "the run directory")
        .option("checkpoint", "latest|best|FILE", "checkpoint to load: the newest readable, the best on the held-out validation images, or a file",
                "latest")
        .option("protocol", "cavi", "evaluation protocol (CaVI only)", "cavi")
        .option("pairs", "LIST", "CaVI pair list: testing_1, validation or a file path", "testing_1")
        .option("dataset", "PATH", "CaVI dataset root (default: the run's own dataset)")
        .option("seed", "S", "the pair shuffle seed eval used (its fold thresholds are taken only when it matches)", "1")
        .option("batch", "N", "images per forward pass", "64")
        .option("threads", "N", "LibTorch threads (default: all cores)")
        .option("device", "D", "cpu|cuda (default: the run's)")
        .flag("mirror", "test-time flip, as eval --mirror (the threshold is then eval.json's <key>+mirror)")
        .option("zoom-out", "S[,S...]", "test-time zoomed-out views, as eval --zoom-out (the threshold is then eval.json's <key>+zoomS)")
        .option("top", "N", "pairs listed of each kind", "20")
        .option("out", "DIR", "output folder: new, empty, or holding a previous failures page");
    if (!a.parse(argv)) return 0;
    if (!a.has("run")) throw UsageError("give --run DIR (an evaluated run)");
    if (!a.has("out")) throw UsageError("give --out DIR (a new or empty folder for the page)");
    const run::FailureRequest req = failureRequest(a);
    const std::string out = a.get("out");
    run::checkFailurePageFolder(out);  // before minutes of embedding
    configureThreads(a);
    const auto start = std::chrono::steady_clock::now();
    std::size_t lastShown = 0;
    auto progress = [&](std::size_t done, std::size_t total) {
        if (done == total || done - lastShown >= 256) {
            std::cerr << "\rembedding " << done << "/" << total << " images" << (done == total ? "\n" : "") << std::flush;
            lastShown = done;
        }
    };
    auto warn = [](const std::string& w) { std::cerr << "failures: warning: " << w << "\n"; };
    const run::FailureGallery gallery = run::analyseFailures(req, progress, warn);
    const run::FailurePageFiles files = run::writeFailurePage(gallery, out);
    printSummary(gallery, files, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    return 0;
}

}  // namespace carilab::cli
