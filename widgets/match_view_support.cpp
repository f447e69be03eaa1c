#include "match_view_support.h"

#include "data/image_decode.h"

#include <opencv2/imgproc.hpp>

#include <QDir>
#include <QPainter>

#include <algorithm>
#include <cmath>

namespace carilab::widgets::match_detail {

QImage loadScaled(const QString& path, int side, QString* error)
{
    try {
        const cv::Mat rgb = data::decodeImageRgb8(path.toStdString());
        const double scale = static_cast<double>(side) / std::max(rgb.cols, rgb.rows);
        cv::Mat small = rgb;
        if (std::abs(scale - 1.0) > 1e-3)
            cv::resize(rgb, small, cv::Size(std::max(1, qRound(rgb.cols * scale)), std::max(1, qRound(rgb.rows * scale))), 0, 0,
                       scale < 1.0 ? cv::INTER_AREA : cv::INTER_CUBIC);
        return QImage(small.data, small.cols, small.rows, static_cast<qsizetype>(small.step), QImage::Format_RGB888).copy();
    } catch (const std::exception& e) {
        *error = QString::fromStdString(e.what());
        return {};
    }
}

QPixmap placeholder(int side, const QString& text)
{
    QPixmap p(side, side);
    p.fill(QColor(0xEE, 0xEE, 0xEE));
    QPainter painter(&p);
    painter.setPen(QColor(0x88, 0x88, 0x88));
    painter.drawRect(0, 0, side - 1, side - 1);
    painter.drawText(QRect(0, 0, side, side), Qt::AlignCenter | Qt::TextWordWrap, text);
    return p;
}

QString modalityPlural(const QString& m, int n)
{
    if (m == QLatin1String("both")) return n == 1 ? QStringLiteral("image") : QStringLiteral("images");
    return n == 1 ? m : m + QLatin1Char('s');
}

QString describeBox(const QRectF& r)
{
    return QStringLiteral("x %1, y %2, %3 × %4 px").arg(qRound(r.x())).arg(qRound(r.y())).arg(qRound(r.width())).arg(qRound(r.height()));
}

QString describeGallery(const MatchGalleryInfo& g, bool zeroShot)
{
    return QStringLiteral("Gallery: %1 %2 of %3 — %4")
               .arg(g.images)
               .arg(modalityPlural(g.modality, g.images), QDir(g.dataset).dirName(),
                    g.fromCache ? (zeroShot ? QStringLiteral("embeddings reused from the zero-shot cache")
                                            : QStringLiteral("embeddings reused from the run's cache"))
                                : QStringLiteral("embedded in %1 s and cached %2")
                                      .arg(g.seconds, 0, 'f', 1)
                                      .arg(zeroShot ? QStringLiteral("in the zero-shot cache") : QStringLiteral("beside the run"))) +
        (g.unreadable ? QStringLiteral(" (%1 unreadable left out)").arg(g.unreadable) : QString());
}

}  // namespace carilab::widgets::match_detail
