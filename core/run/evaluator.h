#pragma once
// Held-out evaluation during and after training: caricature-photo verification and the two
// closed-set identification accuracies.
#include "data/dataset_index.h"
#include "data/image_cache.h"
#include "data/image_pipeline.h"
#include "eval/embedder.h"
#include "nn/multitask_net.h"

#include <nlohmann/json.hpp>

namespace carilab::run {

struct EvalOptions {
    data::PipelineOptions pipeline;
    int batch = 64;
    std::uint64_t seed = 1;
    int maxNegativesPerPositive = 1;  // verification pairs: all positives, this many negatives each
    int folds = 10;
};

// Embeds `images` (indices into index) with the network in eval mode, then:
//  verification_acc (10-fold, threshold from the other folds), verification_auc, pairs count,
//  photo_verification_acc/_auc/photo_pairs (the same on photo-photo pairs), and, when the network
//  has classification heads, caricature_acc (branch 2 argmax on caricatures), visual_acc (branch 3
//  argmax on photos) and the accuracy of branch 1's softmax on all images (verification_id_acc).
// Scores are cosine similarities of L2-normalised branch-1 embeddings. progress hears about the
// embedding pass, batch by batch (an exception thrown from it ends the evaluation).
nlohmann::json evaluateImages(nn::MultiTaskNet& net, const data::DatasetIndex& index, const std::vector<int>& images, data::ImageCache& cache,
                              const EvalOptions& options, torch::Device device, const eval::EmbedProgress& progress = {});
// The same figures from images already embedded (by one network, or averaged over an ensemble).
nlohmann::json scoreImages(const eval::EmbeddedImages& embedded, const data::DatasetIndex& index, const EvalOptions& options);

}  // namespace carilab::run
