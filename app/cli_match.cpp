#include "cli_args.h"
#include "cli_commands.h"
#include "cli_threads.h"

#include "data/dataset_registry.h"
#include "data/image_decode.h"
#include "data/protocol_types.h"
#include "match/matcher.h"
#include "match/zero_shot_threshold.h"
#include "run/dataset_fingerprint.h"
#include "run/trainer.h"

#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>

namespace carilab::cli {

namespace fs = std::filesystem;

namespace {

// The rectangle must lie inside the image: outside it the crop is empty and would still be ranked.
data::FaceBox parseBox(const std::string& s, const cv::Mat& image)
{
    data::FaceBox b;
    char c1 = 0, c2 = 0, c3 = 0;
    std::istringstream in(s);
    if (!(in >> b.x >> c1 >> b.y >> c2 >> b.width >> c3 >> b.height) || c1 != ',' || c2 != ',' || c3 != ',' || b.width <= 0 || b.height <= 0)
        throw UsageError("--box must be X,Y,W,H in pixels with W and H > 0, got '" + s + "'");
    if (b.x < 0 || b.y < 0 || b.x + b.width > image.cols || b.y + b.height > image.rows)
        throw UsageError("--box " + s + " is not inside the " + std::to_string(image.cols) + "x" + std::to_string(image.rows) +
                         " image (X and Y from 0, X+W and Y+H at most the width and height)");
    return b;
}

// The query's own record when it lies inside the gallery's dataset (its identity and modality).
const data::ImageRecord* findInDataset(const data::DatasetIndex& index, const std::string& image)
{
    std::error_code ec;
    const fs::path abs = fs::weakly_canonical(fs::absolute(image), ec);
    const fs::path rel = abs.lexically_relative(index.root);
    if (rel.empty() || *rel.begin() == "..") return nullptr;
    const int i = data::ImageLookup(index).find(rel.generic_string());
    return i < 0 ? nullptr : &index.images[static_cast<size_t>(i)];
}

// The gallery's modality when --modality is not given: the other one than the query's, as its
// dataset record or, for an outside file, its folders say; both when nothing says (an outside
// photo must not be ranked against photos, where its own copy wins).
std::optional<data::Modality> otherModalityThanTheQuery(const data::ImageRecord* own, const std::string& image, bool quiet)
{
    auto other = [](data::Modality m) { return m == data::Modality::Photo ? data::Modality::Caricature : data::Modality::Photo; };
    if (own) return other(own->modality);
    if (const auto f = data::modalityFromFolders(image)) {
        if (!quiet) std::cerr << "match: the query is a " << data::modalityName(f->modality) << " (its folder '" << f->folder << "' says)\n";
        return other(f->modality);
    }
    if (!quiet)
        std::cerr << "match: the query's modality is unknown: ranked against photos and caricatures (give --modality photo|caricature to rank "
                     "it against one)\n";
    return std::nullopt;
}

}  // namespace

int runMatch(const Argv& argv)
{
    Args a("match",
           "Rank a gallery against one caricature or photo with a trained run (or the zero-shot pretrained "
           "descriptor): detect the face (or use --box, or the whole image), embed, and list the most similar "
           "gallery images.");
    a.option("run", "DIR", "the trained run")
        .option("pretrained", "face-resnet", "use the pretrained network without training instead of a run (needs --gallery)")
        .option("image", "FILE", "the query image")
        .option("gallery", "PATH", "gallery dataset (default: the run's dataset)")
        .option("format", "F", "gallery format: auto|folder|cavi|webcaricature", "auto")
        .option("modality", "photo|caricature|both",
                "gallery images to rank (default: the other modality than the query's, by its dataset record or folder; both when neither says)")
        .option("top", "K", "results to list", "10")
        .option("box", "X,Y,W,H", "crop this rectangle of the query instead of detecting")
        .option("identity", "NAME", "the query's identity, to report the rank of its first correct match")
        .option("threshold", "T",
                "accept threshold for the same-person verdict (default: the run's evaluation; zero-shot: the one calibrated on CaVI validation)")
        .option("detector", "ssd|tiny", "face-api's face detector for a query without a box", "ssd")
        .option("checkpoint", "latest|best|FILE", "checkpoint: the newest readable, the best on the held-out validation images, or a file", "latest")
        .option("threads", "N", "LibTorch threads (default: all cores)")
        .flag("no-detect", "use the whole image (caricatures defeat photo face detectors)")
        .flag("json", "print the ranked list as JSON, best first");
    if (!a.parse(argv)) return 0;
    configureThreads(a);
    const std::string image = a.get("image");
    std::error_code ec;
    if (fs::is_directory(image, ec)) throw std::runtime_error(image + ": is a folder; give one image file");
    const cv::Mat rgb = data::decodeImageRgb8(image);  // refuses non-images, truncated and oversized files

    if (a.has("run") == a.has("pretrained")) throw UsageError("give either --run DIR or --pretrained face-resnet");
    const bool zeroShot = a.has("pretrained");
    if (zeroShot && !a.has("gallery")) throw UsageError("--pretrained needs --gallery PATH (there is no run dataset to rank)");
    const std::string runDir = a.get("run", "");
    // Every option is checked before the model and gallery load: a typo must not cost minutes.
    match::QueryOptions q;
    q.top = a.getIntIn("top", 1, 1000000);
    q.detect = !a.flagSet("no-detect");
    if (a.has("box")) q.box = parseBox(a.get("box"), rgb);
    if (a.has("identity")) q.identity = a.get("identity");
    if (a.has("threshold")) q.threshold = a.getDoubleIn("threshold", -1.0, 1.0);  // a cosine similarity
    run::RunModel model = zeroShot ? run::loadPretrainedModel(a.get("pretrained")) : run::loadRunModel(runDir, a.get("checkpoint"));
    const std::string cacheRoot = zeroShot ? match::zeroShotCacheRoot(model.pretrained) : runDir;
    match::GallerySpec spec;
    spec.dataset = a.get("gallery", "");
    spec.format = a.get("format");
    if (!a.has("threshold")) {
        if (!zeroShot)
            q.threshold = match::runThreshold(runDir);
        else if (const auto t = match::zeroShotThreshold(a.get("pretrained")))
            q.threshold = t->value;
    }

    // Work out the query's identity and modality when it comes from the gallery's dataset.
    const std::string modality = a.get("modality", "");
    const data::DatasetIndex probe =
        data::loadDataset(spec.dataset.empty() ? model.config.dataset : spec.dataset, spec.dataset.empty() ? model.config.format : spec.format);
    if (zeroShot)
        run::useDatasetCrop(model, probe);
    else if (spec.dataset.empty())
        run::checkRunDataset(run::RunDirectory::open(runDir), probe);  // the run's own, as it was
    const data::ImageRecord* own = findInDataset(probe, image);
    if (own && !q.identity) q.identity = probe.identities[static_cast<size_t>(own->identity)];
    if (own) {
        q.landmarks = own->landmarks;
        q.datasetBox = own->box;
        q.datasetFaceApiBox = own->faceApiBox;
    }
    if (modality.empty()) spec.modality = otherModalityThanTheQuery(own, image, a.flagSet("json"));
    spec.preloaded = &probe;
    if (modality == "both")
        spec.modality.reset();
    else if (!modality.empty()) {
        spec.modality = data::parseModality(modality);
        if (!spec.modality) throw UsageError("--modality must be photo, caricature or both");
    }
    const bool json = a.flagSet("json");
    auto progress = [&](size_t done, size_t total) {
        if (!json && (done == total || done % 512 == 0))
            std::cerr << "\rembedding the gallery " << done << "/" << total << (done == total ? "\n" : "") << std::flush;
    };
    const match::Gallery gallery = match::loadGallery(model, cacheRoot, spec, progress);
    std::optional<match::FaceFinder> finder;
    if (q.detect && !q.box && !own) {
        finder.emplace(match::FaceFinderOptions{match::parseFaceApiDetector(a.get("detector"))});
        if (!finder->fallbackReason().empty() && !json)
            std::cerr << "match: face-api is not available (" << finder->fallbackReason() << "); detecting with the Haar cascade\n";
    }
    const auto r = match::matchQuery(model, gallery, rgb, q, finder ? &*finder : nullptr);

    if (json) {
        auto j = match::toJson(r);
        j["query"] = image;
        j["gallery"] = {{"dataset", gallery.index.root},
                        {"images", gallery.images.size()},
                        {"modality", spec.modality ? data::modalityName(*spec.modality) : "both"},
                        {"cache", gallery.cacheFile},
                        {"from_cache", gallery.fromCache}};
        if (zeroShot)
            j["model"] = "pretrained:" + model.pretrained;
        else {
            j["run"] = runDir;
            j["step"] = model.step;
        }
        if (q.identity) j["query_identity"] = *q.identity;
        if (q.threshold) j["threshold"] = *q.threshold;
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    std::string how = match::queryCropName(r.crop);
    if (r.detector) {
        const bool faceApi = *r.detector == match::FaceDetectorKind::FaceApi;
        std::ostringstream d;
        d << " by " << (faceApi ? "face-api" : "the Haar cascade");
        if (faceApi) d << ", score " << std::fixed << std::setprecision(2) << r.detectionScore;
        d << "; " << r.cropDetail;
        how += d.str();
    }
    std::cout << "query    " << image << " (" << how << ")\n"
              << "gallery  " << gallery.index.root << ", " << gallery.images.size() << " "
              << (spec.modality ? std::string(data::modalityName(*spec.modality)) + "s" : std::string("images"))
              << (gallery.fromCache ? " (cached embeddings)" : "") << "\n\n"
              << "rank  score   identity\n";
    for (const auto& h : r.hits)
        std::cout << std::setw(4) << h.rank << "  " << std::fixed << std::setprecision(3) << std::setw(6) << h.score << "  " << h.identity << "   "
                  << h.path << "\n";
    if (q.identity)
        std::cout << "\n"
                  << *q.identity << ": "
                  << (r.trueIdentityRank ? "first correct match at rank " + std::to_string(*r.trueIdentityRank) : std::string("not in the gallery"))
                  << "\n";
    if (r.samePerson)
        std::cout << "same person as the best match? " << (*r.samePerson ? "yes" : "no") << " (threshold " << std::setprecision(3) << *q.threshold
                  << ")\n";
    return 0;
}

}  // namespace carilab::cli
