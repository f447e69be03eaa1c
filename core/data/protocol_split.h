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
Split protocolSplit(const DatasetIndex& index, const std::string& caviPairs = "testing_1");

}  // namespace carilab::data
