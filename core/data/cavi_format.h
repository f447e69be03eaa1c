#pragma once
// CaVI as published (Garg et al. 2018; lsaiml/CaVINet):
//   <root>/CaVI_Dataset/{Caricature,Real}/<Name>/<Name>_{c,r}_<k>.jpg
//   <root>/train-test-files/{testing_1,validation,...}.txt   (pair lists)
// root may be the CaVI_Dataset folder itself or the folder above it. Identities are matched
// across the two sides case-insensitively (Bruno_Mars / bruno_mars); an identity with one side
// only is a warning; Thumbs.db and other non-images are skipped and reported.
#include "data/dataset_index.h"

namespace carilab::data {

class CaviFormat final : public DatasetFormat {
public:
    std::string name() const override { return "cavi"; }
    double detect(const std::string& root) const override;
    DatasetIndex load(const std::string& root) const override;
};

}  // namespace carilab::data
