#pragma once
// The paper's network: shared layers -> Z -> three branches.
//   branch 1 (verification): embedding of every image, softmax over identities (+ centre loss)
//   branch 2 (caricature identification): softmax over identities, caricatures only
//   branch 3 (visual identification): softmax over identities, photos only
#include "nn/backbone.h"
#include "nn/identity_head.h"
#include "nn/test_views.h"
#include "nn/inference_precision.h"
#include "nn/param_groups.h"
#include "nn/tasks.h"

#include <torch/torch.h>

#include <array>

namespace carilab::nn {

struct MultiTaskOptions {
    std::string backbone = "tiny";
    // 0 builds an embedding-only network (no classification heads, logits left undefined): the
    // zero-shot pretrained model, which has no identities of its own.
    std::int64_t numClasses = 0;
    // Pretrained backbones (face-resnet): the fetched weights to start from
    // (pretrained::backboneWeights), or null for random ones (training from scratch; loading a
    // checkpoint, which overwrites every weight anyway).
    std::shared_ptr<const WeightSource> pretrainedWeights;
    double dropout = 0.5;  // official keep_probability 0.5
    // The official code puts a ReLU on the identification branches' logits. It is odd (logits
    // can then never be negative) and off by default; on reproduces the code exactly.
    bool reluOnIdLogits = false;
    // The identification layers of the three branches (softmax: the paper's; cosface: cosine).
    IdentityHeadOptions idHead;
    // Activations and convolution weights in NHWC (channels-last) order. oneDNN computes in a
    // channels-last layout on CPU, so NCHW tensors are reordered around every convolution and
    // pooling; in NHWC they are not. Off reproduces the plain NCHW layout (bench --nchw).
    bool channelsLast = true;
};

struct MultiTaskOutput {
    torch::Tensor sharedMap;  // [N, C, H, W] last shared layer
    torch::Tensor z;  // [N, d_z] flattened sharedMap (the dynamic module's input)
    std::array<torch::Tensor, kNumTasks> embeddings;  // per branch, [N, D], not normalised
    std::array<torch::Tensor, kNumTasks> logits;  // per branch, [N, K], for the whole batch (undefined without heads)
};

class MultiTaskNetImpl : public torch::nn::Module {
public:
    explicit MultiTaskNetImpl(const MultiTaskOptions& options);
    MultiTaskOutput forward(const torch::Tensor& images);
    // L2-normalised verification embedding only (evaluation and matching): skips branches 2-3.
    // views: also runs each image's test-time views (its mirror, zoomed-out crops) and averages
    // the views' unit embeddings (nn/test_views.h).
    torch::Tensor embed(const torch::Tensor& images, const TestViews& views = {});
    // Evaluation with the heads: the L2-normalised verification embedding and, per image, the
    // predicted identity of branch 1 and of its own modality's branch (2 for caricatures, 3 for
    // photos; -1 in the other column), [N, 3]. Each image runs two branches instead of three.
    struct Predictions {
        torch::Tensor embedding;
        torch::Tensor predicted;
        // [N, 3, K] fp32: the softmax over the identities of each column's logits, zeros where
        // predicted is -1; what an ensemble of networks averages (eval::averageEmbedded).
        torch::Tensor probabilities;
    };
    // views as embed(); the identity logits of the views are summed.
    Predictions predict(const torch::Tensor& images, const torch::Tensor& isCaricature, const TestViews& views = {});

    // Arithmetic of embed() and predict() in eval mode (training is always fp32). Outputs are
    // fp32 either way. Check support first with checkPrecisionSupported.
    void setInferencePrecision(Precision p) { precision_ = p; }
    Precision inferencePrecision() const { return precision_; }

    const BackboneInfo& info() const { return info_; }
    const MultiTaskOptions& options() const { return options_; }
    bool hasClassifiers() const { return options_.numClasses > 0; }
    // Parameters of the last shared layer (GradNorm's W).
    std::vector<torch::Tensor> lastSharedParameters();
    // The parameters of one group: Trunk = the shared layers, Branches = the three branches'
    // bodies (for face-resnet, pretrained blocks and projection), Heads = the logits layers.
    // The groups are disjoint and together are parameters().
    std::vector<torch::Tensor> groupParameters(ParamGroup group);

private:
    torch::Tensor toLayout(const torch::Tensor& images) const;

    MultiTaskOptions options_;
    Precision precision_ = Precision::Fp32;
    BackboneInfo info_;
    torch::nn::AnyModule trunk_;
    std::array<torch::nn::AnyModule, kNumTasks> branches_;
    std::array<torch::nn::AnyModule, kNumTasks> heads_;
    std::shared_ptr<torch::nn::Module> trunkModule_;
};
TORCH_MODULE(MultiTaskNet);

}  // namespace carilab::nn
