#include "data/protocol_split.h"

#include "data/cavi_protocol.h"
#include "data/webcari_protocol.h"

#include <algorithm>
#include <set>
#include <stdexcept>

namespace carilab::data {

bool hasProtocolSplit(const DatasetIndex& index, const std::string& caviPairs)
{
    try {
        if (index.format == "cavi") return !findCaviPairList(index, caviPairs).empty();
        if (index.format == "webcaricature") return !webcariProtocolRoot(index).empty();
    } catch (const std::exception&) {}
    return false;
}

Split protocolSplit(const DatasetIndex& index, const std::string& caviPairs)
{
    Split s;
    if (index.format == "cavi") {
        s.test = imagesOf(readCaviPairs(index, findCaviPairList(index, caviPairs)));
        // validation.txt's images (disjoint from testing_1's) select models; none is trained on.
        if (caviPairs != "validation") {
            try {
                s.validation = imagesOf(readCaviPairs(index, findCaviPairList(index, "validation")));
            } catch (const std::runtime_error&) {}
        }
        std::vector<char> held(index.images.size(), 0);
        for (const auto* part : {&s.test, &s.validation})
            for (int i : *part) held[static_cast<size_t>(i)] = 1;
        // The validation images that are also test images stay test images only.
        s.validation.erase(
            std::remove_if(s.validation.begin(), s.validation.end(), [&](int i) { return std::binary_search(s.test.begin(), s.test.end(), i); }),
            s.validation.end());
        for (size_t i = 0; i < index.images.size(); ++i)
            if (!held[i]) s.train.push_back(static_cast<int>(i));
    } else if (index.format == "webcaricature") {
        const auto v1 = readWebcariVerification(index, WebcariVerification::Restricted, 1);
        PairProtocol train;
        train.folds = {v1.tuning};
        s.train = imagesOf(train);
        s.test = imagesOf(PairProtocol{"", v1.folds, {}, {}});
        // An image in both lists would be evaluated on what it trained on: keep it in test only.
        std::vector<int> kept;
        std::set_difference(s.train.begin(), s.train.end(), s.test.begin(), s.test.end(), std::back_inserter(kept));
        s.train = std::move(kept);
    } else {
        throw std::runtime_error("split 'protocol': the " + index.format + " format has no protocol files (use image or identity)");
    }
    if (s.train.empty()) throw std::runtime_error("split 'protocol': no training images left after holding out the protocol's test images");
    return s;
}

Split officialCaviSplit(const DatasetIndex& index, const std::string& caviPairs)
{
    if (index.format != "cavi") throw std::runtime_error("split 'official' reproduces the official CaVI code; this dataset is " + index.format);
    const auto pairs = readCaviPairsInFileOrder(index, findCaviPairList(index, caviPairs));
    Split s;
    std::set<int> test, identities;
    for (std::size_t k = 0; k < pairs.size(); ++k) {
        for (int img : {pairs[k].caricature, pairs[k].photo}) identities.insert(index.images[static_cast<size_t>(img)].identity);
        if (k % kOfficialCaviDownsample == 0) test.insert({pairs[k].caricature, pairs[k].photo});
    }
    s.test.assign(test.begin(), test.end());
    for (std::size_t i = 0; i < index.images.size(); ++i)
        if (!test.count(static_cast<int>(i)) && identities.count(index.images[i].identity)) s.train.push_back(static_cast<int>(i));
    if (s.train.empty()) throw std::runtime_error("split 'official': no training images left");
    return s;
}

Split protocolRefitSplit(const DatasetIndex& index, const std::string& caviPairs)
{
    if (index.format != "cavi")
        throw std::runtime_error("split 'refit' is CaVI's protocol split with validation.txt trained on; this dataset is " + index.format);
    Split s = protocolSplit(index, caviPairs);
    if (s.validation.empty())
        throw std::runtime_error("split 'refit' trains on validation.txt's images, and this dataset has none beside " + caviPairs +
                                 " (train-test-files/validation.txt)");
    s.train.insert(s.train.end(), s.validation.begin(), s.validation.end());
    std::sort(s.train.begin(), s.train.end());
    s.validation.clear();
    return s;
}

}  // namespace carilab::data
