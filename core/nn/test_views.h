#pragma once
// Test-time views: each image runs as several views whose outputs are combined (unit embeddings
// averaged, identity logits summed). mirror pairs every view with its horizontal flip; each
// zoom-out scale s > 1 adds the crop shrunk by 1/s about its centre, the border filled by
// repeating the edge pixels: the framing of a wider crop without going back to the image, so it
// works on any batch. Measured on CaVI in docs/results-cavi.md ("test-time views").
#include <torch/torch.h>

#include <string>
#include <vector>

namespace carilab::nn {

struct TestViews {
    bool mirror = false;
    std::vector<double> zoomOut;  // scales > 1, each one more view (two with mirror)
    std::int64_t count() const { return static_cast<std::int64_t>(1 + zoomOut.size()) * (mirror ? 2 : 1); }
};

// Throws std::invalid_argument naming the bad scale (each must be in (1, 2]).
void validate(const TestViews& views);

// The batch [N, C, H, W] as its views, view after view: [count() * N, C, H, W]. The plain crop
// (and its mirror) come first.
torch::Tensor expandViews(const torch::Tensor& images, const TestViews& views);
// A result computed on expandViews' batch back to one row per image: the views' rows summed.
torch::Tensor sumViews(const torch::Tensor& t, std::int64_t count);
// rows [R] int64 of an N-image batch: the same images' rows in every view ([count * R]).
torch::Tensor viewRows(const torch::Tensor& rows, std::int64_t batch, std::int64_t count);
// How a result key names the views: "", "+mirror", "+zoom1.1", "+mirror+zoom1.1+zoom1.2".
std::string viewsSuffix(const TestViews& views);

}  // namespace carilab::nn
