#pragma once
// --mirror and --zoom-out, read the same way by every command that embeds images (eval, failures).
#include "cli_args.h"

#include "nn/test_views.h"

namespace carilab::cli {

// The test-time views the options ask for; UsageError naming --zoom-out for a bad scale, before
// any model loads.
nn::TestViews testViewsFrom(const Args& a);

}  // namespace carilab::cli
