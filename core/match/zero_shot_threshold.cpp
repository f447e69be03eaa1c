#include "match/zero_shot_threshold.h"

namespace carilab::match {

std::optional<CalibratedThreshold> zeroShotThreshold(const std::string& pretrained)
{
    // Measured with `carilab-cli eval --pretrained face-resnet --dataset CAVI --protocol cavi
    // --pairs validation` (docs/results-cavi.md): the mean of the ten folds' accuracy-optimal
    // thresholds; accuracy 82.9 %.
    if (pretrained == "face-resnet")
        return CalibratedThreshold{0.874,
                                   "calibrated on CaVI validation.txt, 14 419 caricature-photo pairs: accuracy-optimal "
                                   "(82.9 %); accepts about 86 % of same-person pairs and 21 % of stranger pairs"};
    return std::nullopt;
}

}  // namespace carilab::match
