#pragma once
// The identification layer on top of each branch's embedding.
//   softmax: the paper's fully connected logits layer (W x + b).
//   cosface: a large-margin cosine head (Wang et al., CosFace, CVPR 2018): logits s * cos(W_j, x)
//            with rows of W and x L2-normalised; in training the true class's logit is lowered by
//            s * m, so an identity must win by a cosine margin m. Offered as an option because the
//            paper's plain softmax separates few-shot caricature identities poorly (docs/results-cavi.md).
#include <torch/torch.h>

#include <string>

namespace carilab::nn {

enum class IdentityHeadKind { Softmax, CosFace };
// Throws std::invalid_argument naming the valid kinds.
IdentityHeadKind parseIdentityHeadKind(const std::string& name);
const char* identityHeadKindName(IdentityHeadKind k);  // "softmax" | "cosface", as in config.json

struct IdentityHeadOptions {
    IdentityHeadKind kind = IdentityHeadKind::Softmax;
    double scale = 30.0;  // s: the CosFace paper's value
    double margin = 0.35;  // m: the CosFace paper's value
    // The caricature identification head also learns from the batch's photos (labelled by
    // identity like the caricatures): CaVI has few caricatures per identity, and the photos are
    // more examples of the same classes. Off is the paper's branch 2 (caricatures only).
    bool caricatureHeadOnPhotos = false;
    // Label smoothing (Szegedy et al. 2016) of the two identification heads' targets: the true
    // class gets 1 - e + e/K, every other class e/K. Aimed at the caricature head's overfitting
    // on few examples per identity; the verification branch's softmax keeps hard targets, since
    // smoothing is known to blur the embedding that verification compares. 0 is the paper's loss.
    double labelSmoothing = 0.0;
    bool isCosine() const { return kind == IdentityHeadKind::CosFace; }
};

// Throws std::invalid_argument naming the bad field (scale, margin).
void validate(const IdentityHeadOptions& o);

// s * cos(W_j, x) for every class j: W [K, D] and x [N, D] normalised along D.
class CosineHeadImpl : public torch::nn::Module {
public:
    CosineHeadImpl(std::int64_t inFeatures, std::int64_t numClasses, double scale);
    torch::Tensor forward(const torch::Tensor& x);
    torch::Tensor weight;

private:
    double scale_;
};
TORCH_MODULE(CosineHead);

// The training logits: the head's logits with s * m taken off each row's true class (cosface);
// unchanged for softmax. labels [N] int64.
torch::Tensor withMargin(const torch::Tensor& logits, const torch::Tensor& labels, const IdentityHeadOptions& o);

}  // namespace carilab::nn
