#pragma once
// Where a click on the embedding map leads: the image in the Datasets browser's inspector
// (opening the map's dataset there first when another one is open).
#include <QString>

namespace carilab::widgets {

class DatasetBrowser;

// Selects the identity in the browser and makes the image current in its grid, so the inspector
// shows it; when the browser holds another dataset (or is loading), opens datasetRoot and does
// so once it has loaded.
void showImageInBrowser(DatasetBrowser* browser, const QString& datasetRoot, const QString& format, const QString& imagePath,
                        const QString& identity);

}  // namespace carilab::widgets
