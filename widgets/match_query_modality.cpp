#include "match_query_modality.h"

#include <QDir>
#include <QFileInfo>

namespace carilab::widgets {

namespace {

constexpr int kFolderLevels = 3;  // CaVI: Caricature/<identity>/<file>; folders: <identity>/photo/<file>

QString modalityOfName(const QString& name)
{
    const QString n = name.toLower();
    if (n == QLatin1String("caricature") || n == QLatin1String("caricatures") || n == QLatin1String("cari")) return QStringLiteral("caricature");
    if (n == QLatin1String("photo") || n == QLatin1String("photos") || n == QLatin1String("real") || n == QLatin1String("visual"))
        return QStringLiteral("photo");
    return {};
}

}  // namespace

QueryModalityGuess guessQueryModality(const QString& path, const QString& dragModality)
{
    QueryModalityGuess g;
    if (const QString m = modalityOfName(dragModality); !m.isEmpty()) {
        g.modality = m;
        g.source = QStringLiteral("drag");
        return g;
    }
    // By name only: the folders need not exist (a path from a drag is all there is).
    const QStringList folders = QDir::cleanPath(QFileInfo(path).absolutePath()).split(QLatin1Char('/'), Qt::SkipEmptyParts);
    for (int level = 0; level < kFolderLevels && level < folders.size(); ++level) {
        const QString& name = folders[folders.size() - 1 - level];
        if (const QString m = modalityOfName(name); !m.isEmpty()) {
            g.modality = m;
            g.source = QStringLiteral("folder");
            g.folder = name;
            return g;
        }
    }
    return g;
}

}  // namespace carilab::widgets
