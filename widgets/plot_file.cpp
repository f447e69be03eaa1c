#include "plot_file.h"

#include "qcustomplot_include.h"

#include <QFileInfo>
#include <QSvgGenerator>

#include <stdexcept>

namespace carilab::widgets {

namespace {

bool writeSvg(QCustomPlot* plot, const QString& path, int width, int height, const QString& title)
{
    QSvgGenerator gen;
    gen.setFileName(path);
    gen.setSize(QSize(width, height));
    gen.setViewBox(QRect(0, 0, width, height));
    gen.setTitle(title);
    QCPPainter painter;
    if (!painter.begin(&gen)) return false;
    plot->toPainter(&painter, width, height);
    painter.end();
    return true;
}

}  // namespace

void writePlotFile(QCustomPlot* plot, const QString& path, int width, int height, int dpi, const QString& title)
{
    const QString suffix = QFileInfo(path).suffix().toLower();
    bool ok = false;
    if (suffix == QLatin1String("png"))
        ok = plot->savePng(path, width, height, 1.0, -1, dpi, QCP::ruDotsPerInch);  // the resolution only tags the file
    else if (suffix == QLatin1String("pdf"))
        ok = plot->savePdf(path, width, height, QCP::epNoCosmetic, QStringLiteral("CariLab"), title);
    else if (suffix == QLatin1String("svg"))
        ok = writeSvg(plot, path, width, height, title);
    else
        throw std::runtime_error(path.toStdString() + ": unknown image format (use .png, .pdf or .svg)");
    if (!ok) throw std::runtime_error(path.toStdString() + ": could not write the figure");
}

}  // namespace carilab::widgets
