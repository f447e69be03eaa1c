#include "data/protocol_split.h"

#include "data/cavi_protocol.h"
#include "data/webcari_protocol.h"

#include <algorithm>
#include <stdexcept>

namespace carilab::data {

bool hasProtocolSplit(const DatasetIndex& index, const std::string& caviPairs)
{
    try {
        if (index.format == "cavi") return !findCaviPairList(index, caviPairs).empty();
        if (index.format == "webcaricature") return !webcariProtocolRoot(index).empty();
    } catch (const std::exception&) {
    }
    return false;
}

Split protocolSplit(const DatasetIndex& index, const std::string& caviPairs)
{
    Split s;
    if (index.format == "cavi") {
        s.test = imagesOf(readCaviPairs(index, findCaviPairList(index, caviPairs)));
        std::vector<char> inTest(index.images.size(), 0);
        for (int i : s.test) inTest[(size_t)i] = 1;
        for (size_t i = 0; i < index.images.size(); ++i)
            if (!inTest[i]) s.train.push_back((int)i);
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

}  // namespace carilab::data
