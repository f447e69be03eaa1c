#include "embedding_map_links.h"

#include "dataset_browser.h"
#include "thumbnail_model.h"

#include <QDir>
#include <QFileInfo>

namespace carilab::widgets {

namespace {

void selectAndInspect(DatasetBrowser* browser, const QString& imagePath, const QString& identity)
{
    browser->setModalities(ThumbnailModel::Modalities::Both);
    browser->selectIdentities({identity});
    const QString wanted = QFileInfo(imagePath).absoluteFilePath();
    const ThumbnailModel* model = browser->thumbnailModel();
    for (int row = 0; row < model->rowCount(); ++row)
        if (QFileInfo(model->index(row).data(ThumbnailModel::PathRole).toString()).absoluteFilePath() == wanted) {
            browser->inspectRow(row);
            return;
        }
}

}  // namespace

void showImageInBrowser(DatasetBrowser* browser, const QString& datasetRoot, const QString& format, const QString& imagePath, const QString& identity)
{
    const bool same = !browser->isLoading() && QDir(browser->root()) == QDir(datasetRoot) && browser->index();
    if (same) {
        selectAndInspect(browser, imagePath, identity);
        return;
    }
    // Once, for this load only: a later dataset opened by the user must not jump to this image.
    auto* once = new QObject(browser);
    QObject::connect(browser, &DatasetBrowser::datasetLoaded, once, [browser, once, imagePath, identity](const QString&) {
        selectAndInspect(browser, imagePath, identity);
        once->deleteLater();
    });
    QObject::connect(browser, &DatasetBrowser::datasetFailed, once, [once] { once->deleteLater(); });
    browser->openDataset(datasetRoot, format);
}

}  // namespace carilab::widgets
