#pragma once
// A gallery: the images a query is ranked against, with their embeddings under one run's
// checkpoint (or the zero-shot pretrained model's weights). Embeddings are computed once per
// (checkpoint, dataset, modality, preprocessing) and stored in <cacheRoot>/galleries/ (the run's
// folder, or zeroShotCacheRoot()), reused until one of those changes.
#include "data/dataset_index.h"
#include "eval/embedder.h"
#include "run/run_model.h"

#include <optional>
#include <string>

namespace carilab::match {

struct GallerySpec {
    std::string dataset;  // root; empty = the run's own dataset
    std::string format = "auto";
    std::optional<data::Modality> modality;  // nullopt: both modalities
    const data::DatasetIndex* preloaded = nullptr;  // an index the caller already holds for `dataset`
};

struct Gallery {
    data::DatasetIndex index;
    std::vector<int> images;  // dataset image per embedding row (readable images only)
    torch::Tensor embeddings;  // [N, D] float32, unit rows, CPU
    std::string cacheFile;  // where it is stored
    bool fromCache = false;
    std::size_t unreadable = 0;  // images left out because they could not be read
};

// The cache file a spec maps to under this run and checkpoint (depends on the checkpoint file's
// size and time, the dataset's image list, the modality and the preprocessing).
std::string galleryCacheFile(const run::RunModel& model, const data::DatasetIndex& index, const GallerySpec& spec, const std::string& runDir);

// Where the zero-shot model `name` keeps its galleries: <userDataDir>/zero-shot/<name>.
std::string zeroShotCacheRoot(const std::string& name);

// Loads the gallery from the cache when it matches, else embeds it (progress reported) and
// stores it atomically. A damaged cache file is ignored and rebuilt.
Gallery loadGallery(run::RunModel& model, const std::string& runDir, const GallerySpec& spec, const eval::EmbedProgress& progress = {},
                    int batch = 64);

}  // namespace carilab::match
