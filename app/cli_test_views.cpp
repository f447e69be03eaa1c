#include "cli_test_views.h"

#include <stdexcept>

namespace carilab::cli {

nn::TestViews testViewsFrom(const Args& a)
{
    nn::TestViews views{a.flagSet("mirror"), a.has("zoom-out") ? a.getDoubles("zoom-out") : std::vector<double>{}};
    try {
        nn::validate(views);
    } catch (const std::invalid_argument& e) {
        throw UsageError(std::string("--zoom-out: ") + e.what());
    }
    return views;
}

}  // namespace carilab::cli
