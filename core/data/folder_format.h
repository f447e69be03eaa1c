#pragma once
// The generic layout: <root>/<identity>/{photo,caricature}/<image>, optional <root>/landmarks.csv.
#include "data/dataset_index.h"

namespace carilab::data {

class FolderFormat final : public DatasetFormat {
public:
    std::string name() const override { return "folder"; }
    double detect(const std::string& root) const override;
    DatasetIndex load(const std::string& root) const override;
};

}  // namespace carilab::data
