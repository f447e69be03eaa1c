#pragma once
// Runs a network over dataset images in batches: L2-normalised branch-1 embeddings (the
// verification and ranking scores are their dot products) and each branch's predicted class.
#include "data/dataset_index.h"
#include "data/image_cache.h"
#include "data/image_pipeline.h"
#include "data/protocol_files.h"
#include "nn/multitask_net.h"

#include <functional>
#include <optional>
#include <vector>

namespace carilab::eval {

struct EmbeddedImages {
    std::vector<int> images;  // the dataset image indices, in row order
    torch::Tensor embeddings;  // [N, D] float32 on the CPU, unit rows (zeros where !ok)
    // [N, 3] int64: the argmax class of branch 1 and of the image's own modality's branch (2 for
    // caricatures, 3 for photos), -1 in the other column and where !ok.
    torch::Tensor predicted;
    // [N, 3, K] float32: each column's identity probabilities (zeros where predicted is -1);
    // undefined for a network without classification heads.
    torch::Tensor probabilities;
    std::vector<char> ok;  // false: the image could not be read
    std::vector<data::ProtocolIssue> failures;  // one per unreadable image, naming it
    int rowOf(int image) const;  // -1 when not embedded
    std::vector<int> rowIndex_;  // dense image -> row map (internal)
};

using EmbedProgress = std::function<void(std::size_t done, std::size_t total)>;

// One decoded dataset image (rgb8, with its record's geometry already scaled to its pixels) to
// the network's input: float32 HWC, pipeline.size square, normalised. Unset: data::preprocess
// with the record's landmarks and box. A face detector + landmark alignment step for images
// without geometry plugs in here.
using FacePreparer = std::function<cv::Mat(const cv::Mat& rgb8, const std::optional<data::Landmarks5>& landmarks,
                                           const std::optional<data::FaceBox>& box, const data::PipelineOptions& pipeline)>;

// A network without classification heads (the zero-shot pretrained model) runs only its
// verification branch; `predicted` is then -1 throughout.
EmbeddedImages embedImages(nn::MultiTaskNet& net, const data::DatasetIndex& index, const std::vector<int>& images, data::ImageCache& cache,
                           const data::PipelineOptions& pipeline, int batch, torch::Device device, const EmbedProgress& progress = {},
                           const FacePreparer& prepare = {});

// An ensemble's view of the same images embedded by several networks: each image's unit
// embeddings summed and renormalised (every member's cosine counts alike), its identity
// probabilities averaged and the predictions taken from that average. An image counts as read
// only where every member read it. Throws when the members embedded different image lists, or
// their classification heads disagree (some without heads, or another number of identities).
EmbeddedImages averageEmbedded(const std::vector<EmbeddedImages>& members);

}  // namespace carilab::eval
