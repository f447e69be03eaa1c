#pragma once
// Format detection and loading by name; later formats (CaVI, WebCaricature) register here.
#include "data/dataset_index.h"

#include <memory>

namespace carilab::data {

std::vector<std::unique_ptr<DatasetFormat>> datasetFormats();
std::vector<std::string> datasetFormatNames();

// The most confident format for root; throws with the candidates tried when none fits.
std::string detectDatasetFormat(const std::string& root);

// format: "auto" or a name from datasetFormatNames(). Throws std::runtime_error on an unknown
// format or an unusable folder. Every format takes 5-point landmarks for its images without
// any from <index.root>/landmarks.csv (data/landmarks.h; `carilab-cli dataset align` writes it
// for datasets that ship none, such as CaVI).
DatasetIndex loadDataset(const std::string& root, const std::string& format = "auto");

// That merge alone (loadDataset calls it): a broken file or rows naming no image are warnings.
void mergeLandmarksSidecar(DatasetIndex& index);
// The same for face_boxes.csv (data/face_boxes.h), for every format: sets ImageRecord::faceApiBox.
void mergeFaceBoxesSidecar(DatasetIndex& index);

}  // namespace carilab::data
