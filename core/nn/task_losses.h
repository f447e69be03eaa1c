#pragma once
// The three task losses of one batch.
#include "nn/center_loss.h"
#include "nn/multitask_net.h"

namespace carilab::nn {

struct TaskLossOptions {
    double centerLossFactor = 0.1;  // official README / WebCaricature: 1e-1
    bool centerLossAllBranches = true;  // the official code adds it to all three branches
    IdentityHeadOptions idHead;  // cosface: the margin is taken off the true class here
};

struct TaskLosses {
    torch::Tensor losses;  // [3] L_verification, L_caricature, L_visual (attached)
    torch::Tensor crossEntropy;  // [3] the softmax parts alone (detached, for logging)
    torch::Tensor center;  // scalar centre-loss of branch 1 (detached)
    std::int64_t photos = 0, caricatures = 0;
};

// L1 over every image; L2 over caricatures only (every image with idHead.caricatureHeadOnPhotos);
// L3 over photos only (masks by modality). A batch without caricatures (or photos) gives that
// task a zero loss that still has a graph.
TaskLosses computeTaskLosses(const MultiTaskOutput& out, const torch::Tensor& labels, const torch::Tensor& isCaricature, CenterLoss& center,
                             const TaskLossOptions& options);

}  // namespace carilab::nn
