#include "run/training_data.h"

#include "data/dataset_registry.h"
#include "data/protocol_split.h"
#include "run/dataset_fingerprint.h"

#include <stdexcept>

namespace carilab::run {

namespace {

SplitKind resolvedSplitKind(const TrainConfig& c, const data::DatasetIndex& index)
{
    if (c.split != SplitKind::Auto) return c.split;
    return data::hasProtocolSplit(index, c.pairs) ? SplitKind::Protocol : SplitKind::Image;
}

data::Split makeSplit(SplitKind kind, const TrainConfig& c, const data::DatasetIndex& index)
{
    switch (kind) {
    case SplitKind::Protocol: return data::protocolSplit(index, c.pairs);
    case SplitKind::Official: return data::officialCaviSplit(index, c.pairs);
    case SplitKind::Refit: return data::protocolRefitSplit(index, c.pairs);
    case SplitKind::Identity: return data::splitByIdentity(index, c.testFraction, c.seed);
    case SplitKind::Image:
    case SplitKind::Auto: break;  // Auto never reaches here (resolvedSplitKind)
    }
    return data::splitByImage(index, c.testFraction, c.seed);
}

}  // namespace

TrainingData loadTrainingData(const TrainConfig& config, const RunDirectory& dir, const WarningSink& warn)
{
    TrainingData d;
    d.index = std::make_shared<const data::DatasetIndex>(data::loadDataset(config.dataset, config.format));
    const data::DatasetIndex& index = *d.index;
    // Before any checkpoint loads: a changed dataset must be named as such, not as a bad checkpoint.
    recordOrCheckRunDataset(dir, index);
    // One class leaves identification nothing to tell apart and verification no negative pairs.
    if (index.identities.size() < 2)
        throw std::runtime_error(config.dataset + ": the dataset has " + std::to_string(index.identities.size()) +
                                 " identity; training needs at least 2 (with photos and caricatures)");
    for (const auto& w : index.warnings) warn(w);
    if (!index.skipped.empty())
        warn(std::to_string(index.skipped.size()) + " file(s) skipped while indexing the dataset (see 'carilab-cli dataset info')");
    d.splitKind = resolvedSplitKind(config, index);
    d.split = makeSplit(d.splitKind, config, index);
    const bool validation = !d.split.validation.empty();
    d.heldOut = validation ? d.split.validation : d.split.test;
    d.heldOutName = validation ? "validation" : "test";
    if (d.splitKind == SplitKind::Refit) {
        // Selecting on the test images would be choosing on the test list: nothing is held out.
        d.heldOut.clear();
        d.heldOutName = "none";
        dir.log("split: refit (" + std::to_string(d.split.train.size()) + " train images, validation's included; " +
                std::to_string(d.split.test.size()) + " test images, never evaluated during training; the last checkpoint is the model)");
        return d;
    }
    dir.log(std::string("split: ") + splitKindName(d.splitKind) + " (" + std::to_string(d.split.train.size()) + " train, " +
            std::to_string(d.split.validation.size()) + " validation, " + std::to_string(d.split.test.size()) +
            " test images; held-out evaluation and model selection on " + d.heldOutName + ")");
    return d;
}

}  // namespace carilab::run
