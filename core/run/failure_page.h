#pragma once
// The failure gallery (run/failure_gallery.h) on disk, for a browser and for scripts:
//   OUT/index.html        the page: threshold and its source, false accepts and false rejects side
//                         by side with their crops, the per-identity table (click a heading to
//                         sort), the caricature branch's confusions; self-contained but for crops/
//   OUT/crops/*.png       each listed image as the network saw it (its input size)
//   OUT/pairs.csv         kind,rank,score,threshold,image_a,image_b,identity_a,identity_b,modality_a,modality_b
//   OUT/identities.csv    identity,pairs,pairs_correct,verification_accuracy,caricatures,
//                         caricature_id_accuracy,photos,visual_id_accuracy (empty: not measured)
//   OUT/confusions.csv    true_identity,predicted_identity,count (most frequent first)
// Every file is written atomically; index.html last, so a page that is there is complete.
#include "run/failure_gallery.h"

#include <string>

namespace carilab::run {

// Refuses (std::runtime_error saying what to do) an OUT that is a file, or a non-empty folder
// that does not hold a previous failures page (whose files the new page replaces). Called before
// the analysis, so a wrong --out costs nothing; writeFailurePage checks again.
void checkFailurePageFolder(const std::string& outDir);

struct FailurePageFiles {
    std::string index, pairsCsv, identitiesCsv, confusionsCsv;
    int crops = 0;  // PNGs written under crops/
};

// Writes the page into outDir (created when missing); a previous page's crops are removed first.
FailurePageFiles writeFailurePage(const FailureGallery& gallery, const std::string& outDir);

// The three tables alone, as the files hold them.
std::string pairsCsv(const FailureGallery& gallery);
std::string identitiesCsv(const FailureGallery& gallery);
std::string confusionsCsv(const FailureGallery& gallery);
// crops/<file>.png of a dataset image, relative to OUT.
std::string cropFileName(const FailureImage& image);

}  // namespace carilab::run
