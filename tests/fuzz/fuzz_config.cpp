// libFuzzer target: a run's config.json (carilab-cli train --config, and every run that is
// resumed or opened). Contract (run/train_config.h): any JSON is either a valid TrainConfig or
// a std::invalid_argument naming the problem -- never another exception, never UB -- and a
// config that is accepted survives its own round trip through toJson unchanged.
#include "fuzz_support.h"

#include "run/train_config.h"

#include <stdexcept>

using namespace carilab::run;
using json = nlohmann::json;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size)
{
    const json j = json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return 0;  // not JSON at all: the caller's parse error, not ours
    TrainConfig c;
    try {
        c = trainConfigFromJson(j);
    } catch (const std::invalid_argument&) {
        return 0;
    }
    const json once = toJson(c);
    TrainConfig again;
    try {
        again = trainConfigFromJson(once);
    } catch (const std::invalid_argument& e) {
        carilab::fuzz::contractBroken(std::string("an accepted config fails its round trip: ") + e.what());
    }
    FUZZ_REQUIRE(toJson(again) == once);
    return 0;
}
