// carilab-cli project: a dataset's embeddings as a 2-D map (PCA or t-SNE), as CSV or a figure,
// with the map's trustworthiness and k-NN identity accuracies printed and kept in a JSON beside it.
#include "cli_args.h"
#include "cli_commands.h"
#include "cli_threads.h"

#include "io/atomic_file.h"
#include "run/embedding_map.h"
#include "run/folder_guard.h"

#ifdef CARILAB_HAS_GUI
#include "embedding_map_export.h"

#include <QApplication>
#endif

#include <cstdlib>
#include <filesystem>
#include <iostream>

namespace carilab::cli {

namespace {

std::string projectOutSuffix(const std::string& path)
{
    std::string s = std::filesystem::path(path).extension().string();
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// map.csv -> map.map.json: beside the output, and never a file of another tool's name (eval.json).
std::string projectSummaryPath(const std::string& out)
{
    std::filesystem::path p(out);
    return (p.parent_path() / (p.stem().string() + ".map.json")).string();
}

run::EmbeddingMapRequest projectRequestFrom(const Args& a)
{
    run::EmbeddingMapRequest r;
    r.runDir = a.get("run", "");
    r.pretrained = a.get("pretrained", "");
    r.checkpoint = a.get("checkpoint");
    r.dataset = a.get("dataset", "");
    r.format = a.get("format");
    r.method = a.get("method");
    if (r.method != "pca" && r.method != "tsne") throw UsageError("--method must be pca or tsne, not '" + r.method + "'");
    r.perplexity = a.getDoubleIn("perplexity", 2, 1000);
    r.iterations = a.getIntIn("iterations", 1, 100000);
    r.seed = static_cast<std::uint64_t>(a.getLong("seed"));
    r.maxPoints = a.has("max-points") ? a.getIntIn("max-points", 0, 10000000) : -1;
    r.batch = a.getIntIn("batch", 1, 4096);
    r.device = a.get("device", "");
    return r;
}

void writeProjectFigure(const run::EmbeddingMap& map, const std::string& out, const Args& a)
{
#ifdef CARILAB_HAS_GUI
    // Offscreen rendering needs no display; respect an explicit choice.
    if (!std::getenv("QT_QPA_PLATFORM")) setenv("QT_QPA_PLATFORM", "offscreen", 1);
    int argc = 1;
    char name[] = "carilab-cli";
    char* args[] = {name, nullptr};
    QApplication app(argc, args);
    widgets::exportEmbeddingMap(map, QString::fromStdString(out), a.getIntIn("width", 16, 20000), a.getIntIn("height", 16, 20000),
                                a.getIntIn("dpi", 10, 2400), a.flagSet("lines"));
#else
    (void)map;
    (void)a;
    throw std::runtime_error(out + ": this carilab-cli was built without the GUI, which draws the figures; write a .csv instead");
#endif
}

}  // namespace

int runProject(const Argv& argv)
{
    Args a("project",
           "A dataset's embeddings (a run's checkpoint, or the pretrained descriptor) projected to 2-D by PCA or exact t-SNE, "
           "written as CSV (identity,modality,path,x,y) or drawn (.png .pdf .svg: coloured by identity, triangles for caricatures, "
           "discs for photos). Prints how far the map can be believed: its trustworthiness (k=10) and the 5-NN identity accuracy "
           "on the map and in the full embedding space; the same figures go to FILE's stem + .map.json.\n"
           "t-SNE is exact (O(N^2)): datasets above --max-points (3000 by default) are mapped by a seeded random sample, "
           "which the CSV's first line, the figure and the JSON say.");
    a.option("run", "DIR", "a trained run")
        .option("pretrained", "face-resnet", "the zero-shot pretrained descriptor instead of a run (needs --dataset)")
        .option("checkpoint", "latest|best|FILE", "with --run: which checkpoint", "latest")
        .option("dataset", "PATH", "the dataset to map (default: the run's own)")
        .option("format", "F", "auto|folder|cavi|webcaricature", "auto")
        .option("method", "pca|tsne", "the projection", "tsne")
        .option("perplexity", "P", "t-SNE: effective neighbours per point (clamped to (N-1)/3)", "30")
        .option("iterations", "N", "t-SNE: gradient steps", "1000")
        .option("seed", "S", "seed of the random sample and of t-SNE's initial layout", "1")
        .option("max-points", "N", "map at most N images, a seeded random sample (0 = all; default 3000 for t-SNE, all for PCA)")
        .option("out", "FILE", "output: .csv, .png, .pdf or .svg")
        .option("width", "PX", "figure width in pixels", "1400")
        .option("height", "PX", "figure height in pixels", "1000")
        .option("dpi", "N", "resolution stored in PNG files", "200")
        .flag("lines", "figure: join each caricature to its identity's photo centroid")
        .option("batch", "N", "images per forward pass", "64")
        .option("threads", "N", "LibTorch threads (default: all cores)")
        .option("device", "D", "cpu|cuda (default: the run's)")
        .flag("json", "print the summary as JSON instead of text");
    if (!a.parse(argv)) return 0;
    if (a.has("run") == a.has("pretrained")) throw UsageError("give either --run DIR or --pretrained face-resnet");
    if (a.has("pretrained") && a.get("pretrained") != "face-resnet")
        throw UsageError("unknown --pretrained '" + a.get("pretrained") + "' (expected: face-resnet)");
    if (a.has("pretrained") && !a.has("dataset")) throw UsageError("--pretrained needs --dataset PATH (there is no run to take it from)");
    if (!a.has("out")) throw UsageError("give --out FILE (.csv, .png, .pdf or .svg)");
    const std::string out = a.get("out");
    // Before any model loads: a wrong --out must not cost the whole embedding pass.
    run::checkOutputFile(out, {".csv", ".png", ".pdf", ".svg"}, a.get("dataset", ""));
    if (const auto parent = std::filesystem::path(out).parent_path(); !parent.empty()) std::filesystem::create_directories(parent);
    const auto request = projectRequestFrom(a);
    configureThreads(a);

    const bool json = a.flagSet("json");
    std::string lastStage;
    std::size_t lastShown = 0;
    auto progress = [&](const std::string& stage, std::size_t done, std::size_t total) {
        if (json || total == 0) return;
        if (stage != lastStage) lastShown = 0, lastStage = stage;
        if (done == total || done - lastShown >= (stage == "embedding" ? 256u : 100u)) {
            std::cerr << "\r" << stage << " " << done << "/" << total << (done == total ? "\n" : "") << std::flush;
            lastShown = done;
        }
    };
    auto warn = [](const std::string& w) { std::cerr << "project: warning: " << w << "\n"; };
    const auto map = run::computeEmbeddingMap(request, progress, {}, warn);

    if (projectOutSuffix(out) == ".csv")
        io::writeFileAtomic(out, run::embeddingMapCsv(map));
    else
        writeProjectFigure(map, out, a);
    const auto summary = run::embeddingMapSummary(map);
    io::writeFileAtomic(projectSummaryPath(out), summary.dump(2) + "\n");
    if (json) {
        std::cout << summary.dump(2) << "\n";
        return 0;
    }
    std::cout << map.model << " on " << map.dataset << "\n"
              << run::describeMethod(map) << "\n"
              << run::describeQuality(map.quality) << "\n"
              << "embedding " << map.embedSeconds << " s, projection " << map.projectSeconds << " s\n"
              << "wrote " << out << " and " << projectSummaryPath(out) << "\n";
    return 0;
}

}  // namespace carilab::cli
