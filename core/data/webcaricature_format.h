#pragma once
// WebCaricature as distributed (Huo et al. 2018):
//   <root>/OriginalImages/<Name with spaces>/{C,P}NNNNN.jpg
//   <root>/FacialPoints/<Name>/<image stem>.txt      (17 "x y" lines)
//   <root>/EvaluationProtocols/{FaceVerification,FaceIdentification}/...
// Every image with a valid landmark file gets both the 5-point alignment landmarks and the
// official box; a landmark file with the wrong point count is reported (file and line) and
// its image is kept, cropped whole.
#include "data/dataset_index.h"

namespace carilab::data {

class WebCaricatureFormat final : public DatasetFormat {
public:
    std::string name() const override { return "webcaricature"; }
    double detect(const std::string& root) const override;
    DatasetIndex load(const std::string& root) const override;
};

}  // namespace carilab::data
