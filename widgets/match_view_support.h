#pragma once
// What MatchView's files share: sizes, the results table's columns, the verdict's colours and a
// few helpers for text and images. Internal to the Match view (match_view*.cpp).
#include "match_worker.h"

#include <QColor>
#include <QImage>
#include <QPixmap>
#include <QRectF>
#include <QString>

namespace carilab::widgets::match_detail {

inline constexpr int kThumbSide = 64;
inline constexpr int kShotSide = 150;  // face-resnet's input size: the query shown as the network sees it, 1:1
inline constexpr int kSliderScale = 1000;  // threshold slider steps per unit of cosine similarity
inline constexpr int kMaxIdentityChars = 26;  // longer identity names elide (their tooltip is whole)
inline constexpr const char* kOpenItem = "\x01open";
inline constexpr const char* kChooseRun = "(choose a run)";  // the run box before any run is in use

enum MatchColumn { RankColumn, ImageColumn, IdentityColumn, ScoreColumn, ColumnCount };

inline const QColor kYes(0x2C, 0xA0, 0x2C);
inline const QColor kNo(0xD6, 0x27, 0x28);

inline QString html(const QString& s) { return s.toHtmlEscaped(); }

inline bool isZeroShot(const QString& runDir) { return runDir == QLatin1String(MatchWorker::kZeroShotModel); }
inline QString zeroShotLabel() { return QStringLiteral("Pretrained face-resnet (zero-shot)"); }

// Decodes with core's checks and scales so the longer side is `side` (INTER_AREA to shrink);
// a worker of the view's pool runs it.
QImage loadScaled(const QString& path, int side, QString* error);
// A grey square with `text` in it, for an image still loading or unreadable.
QPixmap placeholder(int side, const QString& text);
// "photo"/"photos", "caricature"/"caricatures", "image"/"images" for "both".
QString modalityPlural(const QString& m, int n);
QString describeBox(const QRectF& r);
// "Gallery: 800 photos of demo — embedded in 3.2 s and cached beside the run".
QString describeGallery(const MatchGalleryInfo& g, bool zeroShot);

}  // namespace carilab::widgets::match_detail
