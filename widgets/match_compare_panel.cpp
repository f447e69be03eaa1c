#include "match_compare_panel.h"

#include "match_view_support.h"

#include <QDir>
#include <QGridLayout>
#include <QLabel>
#include <QSlider>
#include <QVBoxLayout>

#include <algorithm>

namespace carilab::widgets {

using namespace match_detail;

namespace {

// Where the query's true identity first comes in the ranking, when it is known.
QString trueRankText(const MatchOutcome& o)
{
    if (o.queryIdentity.isEmpty()) return QStringLiteral("True identity: unknown (the query is not an image of the gallery's dataset)");
    if (o.trueIdentityRank > 0)
        return QStringLiteral("True identity <b>%1</b>%2: first correct match at <b>rank %3</b> of %4")
            .arg(html(o.queryIdentity), o.identityFromDataset ? QString() : QStringLiteral(" (from the drag)"))
            .arg(o.trueIdentityRank)
            .arg(o.gallery.images);
    return QStringLiteral("True identity <b>%1</b>: not in the gallery").arg(html(o.queryIdentity));
}

QString timingText(const MatchOutcome& o)
{
    // "detect 0 ms" read as a detection that found nothing in no time: say when none ran.
    const QString detect = o.detectorRan ? QStringLiteral("detect %1 ms").arg(o.detectMs, 0, 'f', 0)
                                         : QStringLiteral("no detection (%1)")
                                               .arg(o.crop == QLatin1String("user box")               ? QStringLiteral("crop drawn by hand")
                                                    : o.crop.startsWith(QLatin1String("dataset")) ? QStringLiteral("the dataset's crop")
                                                                                                  : QStringLiteral("whole image"));
    return QStringLiteral("%1 · embed %2 ms · rank %3 ms").arg(detect).arg(o.embedMs, 0, 'f', 0).arg(o.rankMs, 0, 'f', 1);
}

QLabel* shotLabel()
{
    auto* l = new QLabel;
    l->setFixedSize(kShotSide, kShotSide);
    l->setAlignment(Qt::AlignCenter);
    l->setStyleSheet(QStringLiteral("QLabel { background: #f4f4f4; border: 1px solid #ccc; }"));
    return l;
}

QLabel* greyLine()
{
    auto* l = new QLabel;
    l->setWordWrap(true);
    l->setStyleSheet(QStringLiteral("color: gray"));
    return l;
}

}  // namespace

MatchComparePanel::MatchComparePanel(QWidget* parent) : QGroupBox(QStringLiteral("Query beside the selected result"), parent)
{
    queryShot_ = shotLabel();
    hitShot_ = shotLabel();
    queryCaption_ = new QLabel(QStringLiteral("Query"));
    hitCaption_ = new QLabel(QStringLiteral("Selected result"));
    for (auto* c : {queryCaption_, hitCaption_}) {
        c->setAlignment(Qt::AlignHCenter | Qt::AlignTop);
        c->setWordWrap(true);
        c->setFixedWidth(kShotSide);
    }
    auto* pair = new QGridLayout;
    pair->addWidget(queryShot_, 0, 0);
    pair->addWidget(hitShot_, 0, 1);
    pair->addWidget(queryCaption_, 1, 0);
    pair->addWidget(hitCaption_, 1, 1);
    threshold_ = new QSlider(Qt::Horizontal);
    threshold_->setRange(-kSliderScale, kSliderScale);
    threshold_->setValue(kSliderScale / 2);
    threshold_->setToolTip(QStringLiteral("Accept threshold on the cosine similarity for the \"same person?\" verdict"));
    thresholdLabel_ = new QLabel;
    thresholdLabel_->setWordWrap(true);  // its explanation must not set the window's minimum width
    verdict_ = new QLabel(QStringLiteral("Same person? —"));
    QFont big = verdict_->font();
    big.setPointSizeF(big.pointSizeF() * 1.35);
    big.setBold(true);
    verdict_->setFont(big);
    verdict_->setWordWrap(true);
    trueRank_ = new QLabel(QStringLiteral("True identity: —"));
    trueRank_->setWordWrap(true);
    selectedFile_ = greyLine();
    selectedFile_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    timing_ = greyLine();
    auto* cl = new QVBoxLayout(this);
    cl->addLayout(pair);
    cl->addSpacing(8);
    cl->addWidget(verdict_);
    cl->addWidget(thresholdLabel_);
    cl->addWidget(threshold_);
    cl->addSpacing(8);
    cl->addWidget(trueRank_);
    cl->addStretch();
    cl->addWidget(selectedFile_);
    cl->addWidget(timing_);
    connect(threshold_, &QSlider::valueChanged, this, [this](int) {
        fromModel_ = false;
        byHand_ = true;
        updateThresholdLabel();
        updateVerdict();
    });
    updateThresholdLabel();
}

double MatchComparePanel::threshold() const { return threshold_->value() / static_cast<double>(kSliderScale); }

void MatchComparePanel::setThreshold(double t) { threshold_->setValue(qRound(std::clamp(t, -1.0, 1.0) * kSliderScale)); }

// The model's own threshold, or none: a threshold left over from another model (a run's 0.726
// on the zero-shot descriptor) would give verdicts that mean nothing.
void MatchComparePanel::setModelThreshold(std::optional<double> threshold, const QString& source, bool modelReady)
{
    modelThreshold_ = threshold;
    modelSource_ = source;
    modelReady_ = modelReady;
    {
        const QSignalBlocker block(threshold_);
        threshold_->setValue(qRound(std::clamp(threshold.value_or(0.5), -1.0, 1.0) * kSliderScale));
    }
    fromModel_ = threshold.has_value();
    byHand_ = false;
    updateThresholdLabel();
    updateVerdict();
}

void MatchComparePanel::updateThresholdLabel()
{
    if (!hasVerdictThreshold()) {
        thresholdLabel_->setText(modelReady_ ? QStringLiteral("No threshold: this model has no evaluation, so no verdict (ranks and scores only); "
                                                              "evaluate the run, or set one by hand")
                                             : QStringLiteral("Threshold: none yet"));
        return;
    }
    QString source = fromModel_ ? modelSource_ : QStringLiteral("set by hand");
    if (!fromModel_ && modelThreshold_)
        source += QStringLiteral("; the model's is %1 (%2)").arg(*modelThreshold_, 0, 'f', 3).arg(modelSource_);
    thresholdLabel_->setText(QStringLiteral("Threshold %1 (%2)").arg(threshold(), 0, 'f', 3).arg(source));
}

void MatchComparePanel::updateVerdict()
{
    verdict_->setStyleSheet(QString());
    if (!hitScore_) {
        verdict_->setText(QStringLiteral("Same person? —"));
        return;
    }
    if (!hasVerdictThreshold()) {
        verdict_->setText(QStringLiteral("Same person? — (no calibrated threshold)"));
        return;
    }
    const bool yes = *hitScore_ >= threshold();
    verdict_->setText(QStringLiteral("Same person? %1  (%2 %3 %4)")
                          .arg(yes ? QStringLiteral("Yes") : QStringLiteral("No"))
                          .arg(*hitScore_, 0, 'f', 3)
                          .arg(yes ? QStringLiteral("≥") : QStringLiteral("<"))
                          .arg(threshold(), 0, 'f', 3));
    verdict_->setStyleSheet(QStringLiteral("color: %1").arg((yes ? kYes : kNo).name()));
}

void MatchComparePanel::clear()
{
    hitScore_.reset();
    queryShot_->clear();
    hitShot_->clear();
    hitShot_->setToolTip(QString());
    queryCaption_->setText(QStringLiteral("Query"));
    hitCaption_->setText(QStringLiteral("Selected result"));
    selectedFile_->clear();
    verdict_->setText(QStringLiteral("Same person? —"));
    verdict_->setStyleSheet(QString());
    trueRank_->setText(QStringLiteral("True identity: —"));
    timing_->clear();
}

void MatchComparePanel::showOutcome(const MatchOutcome& o)
{
    trueRank_->setText(trueRankText(o));
    timing_->setText(timingText(o));
    if (o.networkInput.isNull()) return;
    queryShot_->setPixmap(QPixmap::fromImage(o.networkInput.scaled(kShotSide - 2, kShotSide - 2, Qt::KeepAspectRatio, Qt::SmoothTransformation)));
    queryCaption_->setText(QStringLiteral("Query (%1)%2").arg(o.crop, o.queryIdentity.isEmpty() ? QString() : QStringLiteral("\n") + o.queryIdentity));
}

void MatchComparePanel::showNoResults()
{
    hitScore_.reset();
    verdict_->setText(QStringLiteral("Same person? — (no results)"));
    verdict_->setStyleSheet(QString());
}

void MatchComparePanel::showHit(const MatchHitInfo* hit)
{
    if (!hit) {
        hitScore_.reset();
        hitShot_->clear();
        hitShot_->setToolTip(QString());
        hitCaption_->setText(QStringLiteral("Selected result"));
        updateVerdict();
        return;
    }
    hitScore_ = hit->score;
    hitShot_->setPixmap(placeholder(kShotSide - 2, QStringLiteral("loading…")));
    hitShot_->setToolTip(hit->path);
    hitCaption_->setText(QStringLiteral("Rank %1: %2\nscore %3").arg(hit->rank).arg(hit->identity).arg(hit->score, 0, 'f', 3));
    selectedFile_->setText(QStringLiteral("Selected: %1").arg(QDir::toNativeSeparators(hit->path)));
    updateVerdict();
}

void MatchComparePanel::setHitImage(const QString& path, const QPixmap& image)
{
    if (hitShot_->toolTip() == path) hitShot_->setPixmap(image);
}

}  // namespace carilab::widgets
