#include "cli_args.h"
#include "cli_commands.h"
#include "cli_threads.h"

#include "data/dataset_registry.h"
#include "data/face_api_crop.h"
#include "data/image_cache.h"
#include "data/image_decode.h"
#include "data/image_pipeline.h"
#include "eval/embedder.h"
#include "io/atomic_file.h"
#include "match/face_finder.h"
#include "pretrained/face_alignment.h"
#include "pretrained/face_recognition_net.h"
#include "pretrained/pretrained_store.h"
#include "run/folder_guard.h"
#include "run/run_model.h"

#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>

namespace carilab::cli {

namespace {

// Where an image's descriptor came from, for the summary and the text output.
enum class CropKind { Aligned, DatasetCrop, Whole };

// What embeds one face crop: face-api's network, or a trained run's branch 1.
struct Embedder {
    std::optional<pretrained::FaceRecognitionNet> net;  // --pretrained
    std::optional<run::RunModel> run;  // --run
    std::unique_ptr<match::FaceFinder> finder;  // --align auto: the finder every command uses

    // The descriptor of a face crop (any size, uint8 RGB), through the embedder's own input step:
    // face-api's 150x150 resize, or the run's test-time preprocessing of a whole image.
    std::vector<float> embedCrop(const cv::Mat& rgb, const std::optional<data::Landmarks5>& landmarks = std::nullopt,
                                 const std::optional<data::FaceBox>& box = std::nullopt)
    {
        if (net) {
            data::PipelineOptions p;
            p.size = pretrained::kFaceDescriptorInput;
            p.cropToBox = !landmarks && box;
            const cv::Mat face = (landmarks || box) ? data::cropFace(rgb, landmarks, p, nullptr, box) : resize150(rgb);
            return (*net)->computeDescriptor(face);
        }
        data::PipelineOptions p = run->pipeline;
        p.cropToBox = p.cropToBox && box.has_value();
        const cv::Mat x = data::preprocess(rgb, landmarks, p, nullptr, box);
        auto input = torch::empty({1, p.size, p.size, 3});
        std::memcpy(input.data_ptr<float>(), x.ptr<float>(), sizeof(float) * static_cast<std::size_t>(p.size) * p.size * 3);
        torch::NoGradGuard noGrad;
        const auto e = run->net->embed(input.permute({0, 3, 1, 2}).to(run->device)).to(torch::kCPU, torch::kFloat32).contiguous();
        return {e.data_ptr<float>(), e.data_ptr<float>() + e.numel()};
    }

    static cv::Mat resize150(const cv::Mat& rgb)
    {
        if (rgb.rows == pretrained::kFaceDescriptorInput && rgb.cols == pretrained::kFaceDescriptorInput) return rgb;
        cv::Mat out;
        cv::resize(rgb, out, cv::Size(pretrained::kFaceDescriptorInput, pretrained::kFaceDescriptorInput), 0, 0, cv::INTER_LINEAR);
        return out;
    }
};

struct AlignedResult {
    std::vector<float> values;
    std::optional<match::FoundFace> face;  // set when a face was found
};

// --align auto: the best face the finder sees, cropped as face-api crops it for its
// descriptor; nullopt face when none is found. A run gets that 150x150 crop as its image (a
// face-resnet run crops it no further).
AlignedResult embedAligned(Embedder& e, const cv::Mat& rgb)
{
    AlignedResult r;
    auto face = e.finder->find(rgb);
    if (!face || !face->faceApiBox) return r;
    const cv::Mat crop = data::faceApiCrop(rgb, face->faceApiBox, pretrained::kFaceDescriptorInput);
    r.values = e.net ? (*e.net)->computeDescriptor(crop) : e.embedCrop(crop);
    r.face = std::move(face);
    return r;
}

std::string csvField(const std::string& s)
{
    if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}

std::string formatValue(float v)
{
    std::ostringstream s;
    s.precision(9);
    s << v;
    return s.str();
}

std::string boxText(const data::FaceBox& b)
{
    std::ostringstream s;
    s.precision(4);
    s << b.x << "," << b.y << " " << b.width << "x" << b.height;
    return s.str();
}

int embedImage(Embedder& e, const Args& a, bool align)
{
    const std::string path = a.get("image");
    const cv::Mat rgb = data::decodeImageRgb8(path);
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<float> values;
    std::optional<match::FoundFace> face;
    if (align) {
        auto r = embedAligned(e, rgb);
        if (!r.face)
            throw std::runtime_error("no face found in " + path + " (" + std::to_string(rgb.cols) + "x" + std::to_string(rgb.rows) + ") by " +
                                     e.finder->detectorName() + "; --align none describes the whole image instead");
        values = std::move(r.values);
        face = std::move(r.face);
    } else {
        values = e.embedCrop(rgb);
    }
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();

    const nlohmann::json json = values;
    if (a.flagSet("json")) {
        std::cout << json.dump() << "\n";
        return 0;
    }
    double norm = 0;
    for (float v : values) norm += static_cast<double>(v) * v;
    std::cout << "image " << path << " (" << rgb.cols << "x" << rgb.rows << ", ";
    if (face)
        std::cout << "face at " << boxText(face->detection) << " score " << face->score
                  << (face->landmarks68.empty() ? ", landmarks unusable, box around the detection " : ", 68 landmarks, aligned box ")
                  << boxText(*face->faceApiBox) << ")\n";
    else
        std::cout << (e.net ? "resized whole to 150x150)\n" : "whole image, the run's preprocessing)\n");
    std::cout << (e.net ? "face-resnet descriptor, " : "run embedding (branch 1, L2-normalised), ") << values.size() << "-d, L2 norm "
              << std::sqrt(norm) << " (" << ms << " ms)\n"
              << json.dump() << "\n";
    return 0;
}

int embedDataset(Embedder& e, const Args& a, bool align)
{
    if (!a.has("out")) throw UsageError("--dataset needs --out FILE.csv");
    const std::string out = a.get("out");
    const auto index = data::loadDataset(a.get("dataset"), a.get("format"));
    const std::size_t n = index.images.size();
    std::vector<std::vector<float>> rows(n);
    std::vector<std::string> failures;
    std::size_t aligned = 0, fallback = 0;
    const bool plainProgress = !a.flagSet("json");

    if (e.run && !align) {
        // The run's own batched path: the same crops and preprocessing as its evaluation.
        std::vector<int> all(n);
        for (std::size_t i = 0; i < n; ++i) all[i] = static_cast<int>(i);
        data::ImageCache cache;
        auto emb = eval::embedImages(e.run->net, index, all, cache, e.run->pipeline, 32, e.run->device);
        for (std::size_t i = 0; i < n; ++i) {
            const int row = emb.rowOf(static_cast<int>(i));
            if (row < 0 || !emb.ok[static_cast<std::size_t>(row)]) continue;
            const auto t = emb.embeddings[row].contiguous();
            rows[i].assign(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
        }
        for (const auto& f : emb.failures) failures.push_back(f.file + ": " + f.message);
    } else {
        for (std::size_t i = 0; i < n; ++i) {
            const auto& r = index.images[i];
            try {
                const cv::Mat rgb = data::decodeImageRgb8(index.absolutePath(r));
                if (align && r.faceApiBox) {
                    // `dataset align` found this face already: its box, as evaluation crops it.
                    rows[i] = e.embedCrop(data::faceApiCrop(rgb, r.faceApiBox, pretrained::kFaceDescriptorInput));
                    ++aligned;
                    continue;
                }
                if (align) {
                    auto res = embedAligned(e, rgb);
                    if (res.face) {
                        rows[i] = std::move(res.values);
                        ++aligned;
                        continue;
                    }
                    ++fallback;
                }
                rows[i] = e.embedCrop(rgb, r.landmarks, r.box);
            } catch (const std::exception& ex) {
                failures.push_back(r.path + ": " + ex.what());
            }
            if (plainProgress && (i + 1) % 100 == 0) std::cerr << "embed: " << i + 1 << "/" << n << " images\n";
        }
    }

    std::size_t dim = 0, written = 0;
    for (const auto& v : rows) dim = std::max(dim, v.size());
    std::string csv = "identity,modality,path";
    for (std::size_t k = 0; k < dim; ++k) csv += ",v" + std::to_string(k);
    csv += "\n";
    for (std::size_t i = 0; i < n; ++i) {
        if (rows[i].empty()) continue;
        const auto& r = index.images[i];
        csv += csvField(index.identities[static_cast<std::size_t>(r.identity)]) + "," + data::modalityName(r.modality) + "," + csvField(r.path);
        for (float v : rows[i]) csv += "," + formatValue(v);
        csv += "\n";
        ++written;
    }
    io::writeFileAtomic(out, csv);

    const std::string source = e.net ? "face-resnet" : "run " + a.get("run");
    if (a.flagSet("json")) {
        nlohmann::json j{{"out", out},
                         {"images", n},
                         {"written", written},
                         {"dim", dim},
                         {"align", align ? "auto" : "none"},
                         {"detector", align ? e.finder->detectorTag() : "none"},
                         {"aligned", aligned},
                         {"no_face_dataset_crop", fallback},
                         {"unreadable", failures.size()},
                         {"failures", failures},
                         {"embedder", source}};
        std::cout << j.dump(1) << "\n";
    } else {
        std::cout << "wrote " << out << ": " << written << " of " << n << " images, " << dim << "-d (" << source << ")\n";
        if (align)
            std::cout << "  " << aligned << " aligned by face-api (detector + 68 landmarks), " << fallback
                      << " without a face found: the dataset's own crop used\n";
        if (!failures.empty()) {
            std::cout << "  " << failures.size() << " unreadable, left out:\n";
            for (const auto& f : failures) std::cout << "    " << f << "\n";
        }
    }
    return 0;
}

}  // namespace

int runEmbed(const Argv& argv)
{
    Args a("embed",
           "Face descriptors: of one image (printed; a JSON array with --json), or of every image of a\n"
           "dataset (a CSV: identity, modality, path, v0..vN-1) for analysis elsewhere.\n"
           "--pretrained face-resnet: face-api's face_recognition_model (fetch it first: carilab-cli\n"
           "pretrained fetch); the raw 128-d output, as face-api's computeFaceDescriptor (not normalised).\n"
           "--run DIR: a trained run's branch-1 embedding (L2-normalised), through the run's own\n"
           "test-time preprocessing.\n"
           "--align auto (default with --pretrained): face-api's full pipeline: its SSD detector (--detector),\n"
           "68 landmarks, aligned crop, descriptor; the best-scoring face. One image without a face is an\n"
           "error; in a dataset such images fall back to the dataset's own crop and are counted.\n"
           "--align none (default with --run): --pretrained resizes the whole image (or the dataset's\n"
           "own crop) to 150x150; --run uses the run's preprocessing as its evaluation does.");
    a.option("pretrained", "face-resnet", "face-api's pretrained descriptor network")
        .option("run", "DIR", "a trained run (its latest checkpoint unless --checkpoint)")
        .option("checkpoint", "latest|best|FILE", "with --run: which checkpoint (best: the best on the held-out validation images)", "latest")
        .option("image", "FILE", "the image to describe")
        .option("dataset", "PATH", "describe every image of this dataset (needs --out)")
        .option("format", "F", "dataset format: auto|folder|cavi|webcaricature", "auto")
        .option("out", "FILE.csv", "where --dataset writes its CSV (atomically)")
        .option("align", "auto|none", "face detection and alignment (see above)")
        .option("detector", "ssd|tiny", "with --align auto: face-api's face detector", "ssd")
        .option("threads", "N", "LibTorch threads (0 = LibTorch's default)", "0")
        .flag("json", "--image: only the descriptor as a JSON array; --dataset: a JSON summary");
    if (!a.parse(argv)) return 0;
    if (a.has("pretrained") == a.has("run")) throw UsageError("give one of --pretrained face-resnet or --run DIR");
    if (a.has("pretrained") && a.get("pretrained") != "face-resnet")
        throw UsageError("unknown --pretrained '" + a.get("pretrained") + "' (expected: face-resnet)");
    if (a.has("image") == a.has("dataset")) throw UsageError("give one of --image FILE or --dataset PATH --out FILE.csv");
    // Before any model loads: a wrong --out must not cost the whole embedding pass.
    if (a.has("dataset") && a.has("out")) run::checkOutputFile(a.get("out"), {".csv"}, a.get("dataset"));
    const std::string alignMode = a.get("align", a.has("pretrained") ? "auto" : "none");
    if (alignMode != "auto" && alignMode != "none") throw UsageError("--align must be auto or none, not '" + alignMode + "'");
    const bool align = alignMode == "auto";
    if (a.getInt("threads") != 0) configureThreads(a);  // 0 keeps LibTorch's default

    Embedder e;
    if (a.has("pretrained"))
        e.net = pretrained::loadFaceRecognitionNet(pretrained::requireModelManifest("face_recognition_model"));
    else
        e.run = run::loadRunModel(a.get("run"), a.get("checkpoint"));
    if (align) {
        e.finder = std::make_unique<match::FaceFinder>(match::FaceFinderOptions{match::parseFaceApiDetector(a.get("detector"))});
        if (!e.finder->fallbackReason().empty())
            throw std::runtime_error("--align auto needs face-api's detector and landmarks: " + e.finder->fallbackReason());
    }

    return a.has("image") ? embedImage(e, a, align) : embedDataset(e, a, align);
}

}  // namespace carilab::cli
