#include "run/training_data.h"

#include "data/dataset_registry.h"
#include "data/protocol_split.h"
#include "run/dataset_fingerprint.h"

#include <stdexcept>

namespace carilab::run {

namespace {

std::string resolvedSplitKind(const TrainConfig& c, const data::DatasetIndex& index)
{
    if (c.split != "auto") return c.split;
    return data::hasProtocolSplit(index, c.pairs) ? "protocol" : "image";
}

data::Split makeSplit(const std::string& kind, const TrainConfig& c, const data::DatasetIndex& index)
{
    if (kind == "protocol") return data::protocolSplit(index, c.pairs);
    if (kind == "official") return data::officialCaviSplit(index, c.pairs);
    if (kind == "refit") return data::protocolRefitSplit(index, c.pairs);
    if (kind == "identity") return data::splitByIdentity(index, c.testFraction, c.seed);
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
    if (d.splitKind == "refit") {
        // Selecting on the test images would be choosing on the test list: nothing is held out.
        d.heldOut.clear();
        d.heldOutName = "none";
        dir.log("split: refit (" + std::to_string(d.split.train.size()) + " train images, validation's included; " +
                std::to_string(d.split.test.size()) + " test images, never evaluated during training; the last checkpoint is the model)");
        return d;
    }
    dir.log("split: " + d.splitKind + " (" + std::to_string(d.split.train.size()) + " train, " + std::to_string(d.split.validation.size()) +
            " validation, " + std::to_string(d.split.test.size()) + " test images; held-out evaluation and model selection on " + d.heldOutName +
            ")");
    return d;
}

}  // namespace carilab::run
