#pragma once
// The "same person?" threshold of a pretrained descriptor used without training. A run's verdict
// takes the threshold its own evaluation chose (match::runThreshold); the zero-shot descriptor
// has no run, so its threshold was calibrated once, on CaVI's validation list (never the test
// list), and is recorded here with where it comes from and what it accepts. Without one a
// verdict would be a guess: the descriptor's cosine scores sit at 0.7-0.99 for everybody.
#include <optional>
#include <string>

namespace carilab::match {

struct CalibratedThreshold {
    double value = 0;
    std::string source;  // the data, the rule and its error rates, for the user to read
};

// nullopt for a pretrained network without a calibration.
std::optional<CalibratedThreshold> zeroShotThreshold(const std::string& pretrained);

}  // namespace carilab::match
