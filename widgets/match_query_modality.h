#pragma once
// What the Match view can tell of a query's modality before the worker sees it: the Dataset
// browser's drag says it, and files in a dataset-like tree sit in a folder that says it (CaVI's
// Caricature/ and Real/, CariSynth's and generic folders' caricature/ and photo/). An image of the
// gallery's own dataset needs neither: its record says it (MatchWorker).
#include <QString>

namespace carilab::widgets {

struct QueryModalityGuess {
    QString modality;  // "photo" | "caricature" | "" (unknown)
    QString source;  // "drag" | "folder" | ""
    QString folder;  // "folder": the folder name that told
};

// dragModality: the drag's "modality" ("" when none). Folder names are those of the file's three
// nearest parent folders, nearest first, compared case-insensitively.
QueryModalityGuess guessQueryModality(const QString& path, const QString& dragModality = QString());

}  // namespace carilab::widgets
