#include "cli_args.h"
#include "cli_commands.h"
#include "cli_threads.h"

#include "data/dataset_registry.h"
#include "data/dataset_summary.h"
#include "match/dataset_alignment.h"
#include "run/trainer.h"

#include <iostream>

namespace carilab::cli {

namespace {

int runDatasetAlign(const Argv& argv)
{
    Args a("dataset align",
           "Finds the face in every image with face-api's detector (SSD MobileNet v1 by default, --detector tiny\n"
           "for the faster tiny one) and 68 landmarks (fetched by `carilab-cli pretrained fetch`), and writes\n"
           "<dataset>/face_boxes.csv (face-api's aligned face box per image: what the pretrained face-resnet\n"
           "crops) and, for images without landmarks of their own, their 5 points (eye centres, nose tip, mouth\n"
           "corners) to <dataset>/landmarks.csv. Every dataset format reads both: training, evaluation and\n"
           "matching then crop those images. Images where no face is found keep the whole-image crop.\n"
           "--out writes a copy of the dataset (hard links where possible) with the file instead of touching\n"
           "the dataset: for read-only datasets. Interrupted, it resumes where it stopped.");
    std::string formats = "auto";
    for (const auto& n : data::datasetFormatNames()) formats += "|" + n;
    a.positional("PATH", "dataset root folder")
        .option("format", formats, "dataset layout", "auto")
        .option("out", "DIR", "align a copy of the dataset here instead")
        .option("detector", "ssd|tiny", "face-api's face detector", "ssd")
        .option("threads", "N", "LibTorch threads (default: all cores)")
        .flag("json", "print one JSON object instead of text");
    if (!a.parse(argv)) return 0;
    configureThreads(a);
    match::FaceFinder finder(match::FaceFinderOptions{match::parseFaceApiDetector(a.get("detector"))});
    match::DatasetAlignOptions o;
    o.format = a.get("format");
    o.out = a.get("out", "");
    const bool json = a.flagSet("json");
    const auto r = match::alignDataset(a.get("PATH"), o, finder, [&](std::size_t done, std::size_t total) {
        if (!json && (done % 100 == 0 || done == total))
            std::cerr << "\raligning " << done << "/" << total << (done == total ? "\n" : "") << std::flush;
    });
    if (json) {
        std::cout << match::toJson(r).dump(2) << "\n";
        return 0;
    }
    std::cout << "dataset   " << r.root << " (" << r.format << ", " << r.images << " images)\n"
              << "wrote     " << r.landmarksFile << "\n"
              << "          " << r.faceBoxesFile << " (" << r.detector << " detector)\n"
              << "aligned   " << r.aligned << " images now, " << r.hadLandmarks << " done by an earlier run\n"
              << "face box  " << r.faceBoxes << " images now (what face-resnet crops)\n"
              << "no face   " << r.noFace << (r.noFace ? " (they keep the whole-image crop)" : "") << "\n";
    for (std::size_t i = 0; i < r.noFaceFiles.size() && i < 10; ++i) std::cout << "            " << r.noFaceFiles[i] << "\n";
    if (r.noFaceFiles.size() > 10) std::cout << "            ... and " << r.noFaceFiles.size() - 10 << " more (--json lists all)\n";
    if (r.badLandmarks) {
        std::cout << "face, landmarks unusable " << r.badLandmarks << " (unaligned too)\n";
        for (std::size_t i = 0; i < r.badLandmarkFiles.size() && i < 10; ++i) std::cout << "            " << r.badLandmarkFiles[i] << "\n";
    }
    if (r.unreadable) {
        std::cout << "unreadable " << r.unreadable << ":\n";
        for (const auto& f : r.failures) std::cout << "            " << f << "\n";
    }
    std::cout << "took      " << static_cast<int>(r.seconds + 0.5) << " s\n";
    return 0;
}

}  // namespace

int runDataset(const Argv& argv)
{
    if (argv.empty() || argv[0] == "--help") {
        std::cout << "usage: carilab-cli dataset info PATH [--format F] [--json]\n"
                     "       carilab-cli dataset align PATH [--format F] [--out DIR] [--threads N] [--json]\n\n"
                     "info:  identities, images per modality, per-identity min/max, skipped files.\n"
                     "align: 5-point landmarks from face-api's detector for images without any (CaVI), into the\n"
                     "       dataset's landmarks.csv (or a copy of the dataset with --out).\n";
        return argv.empty() ? 2 : 0;
    }
    if (argv[0] == "align") return runDatasetAlign(Argv(argv.begin() + 1, argv.end()));
    if (argv[0] != "info") throw UsageError("unknown dataset subcommand '" + argv[0] + "' (expected: info or align)");
    Args a("dataset info", "Identities, images per modality, per-identity min/max, and skipped files with reasons.");
    std::string formats = "auto";
    for (const auto& n : data::datasetFormatNames()) formats += "|" + n;
    a.positional("PATH", "dataset root folder")
        .option("format", formats, "dataset layout", "auto")
        .flag("json", "print one JSON object instead of text");
    if (!a.parse(Argv(argv.begin() + 1, argv.end()))) return 0;
    const auto index = data::loadDataset(a.get("PATH"), a.get("format"));
    const auto summary = data::summarizeDataset(index);
    if (a.flagSet("json"))
        std::cout << summary.dump(2) << "\n";
    else
        std::cout << data::formatDatasetSummary(summary);
    return 0;
}

}  // namespace carilab::cli
