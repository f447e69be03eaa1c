#pragma once
// A run's failures on a CaVI pair list, as `carilab-cli failures` shows them: the worst false
// accepts and false rejects at the run's threshold, the crops the network saw for each, and
// per-identity verification and identification figures with the caricature branch's confusions.
// Nothing is written here (run/failure_page.h writes the page).
#include "run/run_evaluation.h"

#include <opencv2/core.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace carilab::run {

struct FailureRequest {
    // runDir, checkpoint, dataset (empty: the run's own), pairs, seed, batch, device and mirror
    // are used; protocol must be "cavi".
    EvaluationRequest evaluation;
    int top = 20;  // pairs listed of each kind
};

// One image of a listed pair.
struct FailureImage {
    int image = -1;  // index into the dataset index
    std::string path;  // as the dataset index stores it (CaVI: relative to its root)
    std::string identity;
    std::string modality;  // "caricature" | "photo"
};

struct FailurePair {
    int rank = 0;  // 1 = worst
    double score = 0;
    bool positive = false;  // the list's label
    FailureImage a, b;  // CaVI: a caricature, b a photo
};

// Figures of one identity of the list. A pair counts for each identity it involves (a negative
// pair for both of its two), so the pair counts add up to positives + 2 x negatives.
struct IdentityFigures {
    std::string identity;
    long long pairs = 0, pairsCorrect = 0;  // verification at the threshold
    long long caricatures = 0, caricaturesCorrect = 0;  // caricature branch's closed-set predictions
    long long photos = 0, photosCorrect = 0;  // visual branch's
    bool knownToRun = false;  // one of the run's classes; otherwise no identification figures
    std::optional<double> verificationAccuracy() const;
    std::optional<double> caricatureAccuracy() const;  // nullopt: unknown identity or no caricature
    std::optional<double> visualAccuracy() const;
};

// A caricature identified as another identity by the caricature branch.
struct Confusion {
    std::string trueIdentity, predicted;
    long long count = 0;
};

struct FailureGallery {
    std::string run, checkpoint, key, dataset, pairsFile;
    long long step = 0;
    double threshold = 0;
    std::string thresholdSource;  // in words: eval.json's fold mean, or chosen on these pairs
    long long pairs = 0, positives = 0, negatives = 0;  // scored pairs
    long long falseAcceptCount = 0, falseRejectCount = 0;  // all of them, not only the listed
    long long skippedLines = 0, unreadableImages = 0, pairsDropped = 0;
    std::vector<FailurePair> falseAccepts;  // negatives with score >= threshold, highest first, at most top
    std::vector<FailurePair> falseRejects;  // positives with score < threshold, lowest first, at most top
    std::vector<IdentityFigures> identities;  // one per identity of the list's pairs, by name
    std::vector<Confusion> confusions;  // most frequent first
    std::map<int, cv::Mat> crops;  // image -> the uint8 RGB crop the network saw (listed pairs' images)
    int cropSize = 0;  // the network's input side in pixels
    std::vector<std::string> notes;  // what the reader should know (threshold caveats, skipped lines)
};

// Loads the run's model (with --mirror as the request says), embeds the list's images, scores
// every pair and analyses the failures. The threshold is eval.json's for the same key (the mean
// of the per-fold thresholds) when it was measured at the same checkpoint step, else the best on
// these pairs. Throws with what to do: not a run, no checkpoint, a protocol other than cavi, a
// dataset that is not CaVI or not the run's, no usable pairs.
FailureGallery analyseFailures(const FailureRequest& request, const EvaluationProgress& progress = {}, const WarningSink& warn = {});

}  // namespace carilab::run
