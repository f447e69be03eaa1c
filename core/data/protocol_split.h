#pragma once
// Training splits that follow a dataset's own protocol, so nothing evaluated was trained on.
#include "data/splits.h"

#include <string>

namespace carilab::data {

// Whether the index's format has a protocol split (CaVI with a pair list, WebCaricature with
// EvaluationProtocols/).
bool hasProtocolSplit(const DatasetIndex& index, const std::string& caviPairs = "testing_1");

// CaVI: test = the images of the pair list, train = every other image (the official code).
// WebCaricature: train = the images of RestrictedView1_DevTrain pairs, test = those of DevTest
// (the official code). Throws when the dataset has no protocol files.
// CaVI with validation.txt beside the pair list: its images are held out too, as `validation`
// (model selection), and not trained on.
Split protocolSplit(const DatasetIndex& index, const std::string& caviPairs = "testing_1");

// The official code's CaVI split (../shared/docs/paper-code-and-datasets.md, 1.5): test = the
// images of every 20th pair of the list in file order (652 of testing_1's 13 035 pairs, as its
// --downsample 20), train = every other image of the list's identities (195). Most testing_1
// images are therefore trained on; the held-out evaluation is on the down-sampled test images,
// as the official code evaluates. Throws for other formats.
constexpr int kOfficialCaviDownsample = 20;
Split officialCaviSplit(const DatasetIndex& index, const std::string& caviPairs = "testing_1");

// The protocol split refitted (CaVI only): the validation images join training and nothing is
// held out for selection; test = the pair list's images, as in protocolSplit. For the second
// stage of the usual recipe: choose the recipe and its length on validation with a protocol-split
// run, then train once more on training + validation for that many steps and keep the last
// checkpoint. Throws without a validation list.
Split protocolRefitSplit(const DatasetIndex& index, const std::string& caviPairs = "testing_1");

}  // namespace carilab::data
