#pragma once
// A 2-D map of a dataset's embeddings, as `carilab-cli project` writes it and the GUI's
// Embeddings tab draws it: a run's checkpoint (or the zero-shot pretrained descriptor) embeds
// the images, PCA or exact t-SNE lays them out, and the map reports how far it can be believed
// (trustworthiness, k-NN identity accuracy on the map and in the full space).
#include "run/run_evaluation.h"

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace carilab::run {

// Exact t-SNE holds a few N x N matrices and runs N^2 work per iteration: 3000 points take
// about half a minute on two cores (docs/command-line.md has the figures). Larger datasets
// are subsampled to this many images unless the request says otherwise.
inline constexpr int kDefaultTsneMaxPoints = 3000;

struct EmbeddingMapRequest {
    std::string runDir;  // a run, or
    std::string pretrained;  // "face-resnet": the zero-shot descriptor (needs dataset)
    std::string checkpoint = "latest";  // with runDir: latest | best | a step-*.pt file
    std::string dataset;  // empty: the run's own (checked against the one it trained on)
    std::string format = "auto";
    std::string method = "tsne";  // "pca" | "tsne"
    double perplexity = 30.0;  // t-SNE
    int iterations = 1000;  // t-SNE
    std::uint64_t seed = 1;  // of the subsample and of t-SNE's initial layout
    // Images mapped at most, drawn at random (seeded) when the dataset has more. -1: the
    // method's default (kDefaultTsneMaxPoints for t-SNE, every image for PCA); 0: every image.
    int maxPoints = -1;
    int batch = 64;
    std::string device;  // empty: the run's own (pretrained: cpu)
};

struct MapPoint {
    int image = -1;  // index into the dataset index
    int identity = -1;  // index into EmbeddingMap::identities
    std::string modality;  // "caricature" | "photo"
    std::string path;  // as the dataset index stores it
    std::string absolutePath;
    double x = 0, y = 0;
};

struct MapQuality {
    int trustworthinessK = 0;
    double trustworthiness = 0;  // of the map against the full embedding space
    int voteK = 0;
    double knnAccuracyMap = 0, knnAccuracyFull = 0;  // leave-one-out identity vote
};

struct EmbeddingMap {
    std::string model;  // "run DIR, step N" or "pretrained face-resnet (zero-shot)"
    std::string checkpoint;
    long long step = 0;
    std::string dataset, format;
    std::vector<std::string> identities;  // the dataset's, by MapPoint::identity
    std::string method;
    double perplexity = 0;  // as used (t-SNE clamps it for small sets)
    int iterations = 0;
    double klDivergence = 0;  // t-SNE's final KL(P || Q)
    std::array<double, 2> explainedVariance{};  // PCA's two axes
    std::uint64_t seed = 1;
    long long datasetImages = 0;  // images in the dataset
    long long sampled = 0;  // images chosen for the map (all, or a seeded sample)
    long long unreadable = 0;  // chosen but not read: left off the map
    bool subsampled = false;
    std::vector<MapPoint> points;
    MapQuality quality;
    double embedSeconds = 0, projectSeconds = 0;
};

// A caricature and its identity's photo centroid on the map (identities with photos on it).
struct CentroidLink {
    int point = -1;  // index into EmbeddingMap::points (a caricature)
    double cx = 0, cy = 0;  // the mean of the identity's photo points
};
std::vector<CentroidLink> photoCentroidLinks(const EmbeddingMap& map);

// stage: "loading", "embedding" (images), "projecting" (t-SNE iterations; PCA reports 0/1, 1/1).
using MapProgress = std::function<void(const std::string& stage, std::size_t done, std::size_t total)>;

// Loads the model and the dataset, embeds the chosen images, projects them and measures the
// map. cancelled is asked between batches and t-SNE iterations (EvaluationCancelled). Throws
// with what to do: neither or both of run and pretrained, an unknown method, a bad perplexity,
// fewer than 2 * trustworthiness k + 1 readable images, a dataset the run did not train on.
EmbeddingMap computeEmbeddingMap(const EmbeddingMapRequest& request, const MapProgress& progress = {}, const CancelCheck& cancelled = {},
                                 const WarningSink& warn = {});

// identity,modality,path,x,y, one row per point; a subsampled map starts with a '#' line that
// says so (and how many of how many).
std::string embeddingMapCsv(const EmbeddingMap& map);
// Everything but the points: model, dataset, method and its parameters, sample, quality, times.
nlohmann::json embeddingMapSummary(const EmbeddingMap& map);
// One line: "trustworthiness (k=10) 0.953; 5-NN identity accuracy 91.2% on the map, 93.0% in the full space".
std::string describeQuality(const MapQuality& q);
// "t-SNE (perplexity 30, seed 1), 3000 of 12012 images (random sample)" and the like.
std::string describeMethod(const EmbeddingMap& map);

}  // namespace carilab::run
