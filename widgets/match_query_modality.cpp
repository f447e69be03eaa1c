#include "match_query_modality.h"

#include "data/dataset_index.h"

#include <QFileInfo>

namespace carilab::widgets {

QueryModalityGuess guessQueryModality(const QString& path, const QString& dragModality)
{
    QueryModalityGuess g;
    if (const auto m = data::parseModality(dragModality.toLower().toStdString())) {
        g.modality = QString::fromLatin1(data::modalityName(*m));
        g.source = QStringLiteral("drag");
        return g;
    }
    if (const auto f = data::modalityFromFolders(QFileInfo(path).absoluteFilePath().toStdString())) {
        g.modality = QString::fromLatin1(data::modalityName(f->modality));
        g.source = QStringLiteral("folder");
        g.folder = QString::fromStdString(f->folder);
    }
    return g;
}

}  // namespace carilab::widgets
