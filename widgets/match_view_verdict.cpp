// MatchView's "same person?" verdict and the threshold it is taken against.
#include "match_view.h"

#include "match_view_support.h"

#include <QLabel>
#include <QSlider>
#include <QTableWidget>

#include <algorithm>

namespace carilab::widgets {

using namespace match_detail;

double MatchView::threshold() const { return threshold_->value() / static_cast<double>(kSliderScale); }

void MatchView::setThreshold(double t) { threshold_->setValue(qRound(std::clamp(t, -1.0, 1.0) * kSliderScale)); }

// The model's own threshold, or none: a threshold left over from another model (a run's 0.726
// on the zero-shot descriptor) would give verdicts that mean nothing.
void MatchView::applyRunThreshold(const MatchRunInfo& info)
{
    {
        const QSignalBlocker block(threshold_);
        threshold_->setValue(qRound(std::clamp(info.threshold.value_or(0.5), -1.0, 1.0) * kSliderScale));
    }
    thresholdFromRun_ = info.threshold.has_value();
    thresholdByHand_ = false;
    updateThresholdLabel();
}

bool MatchView::hasVerdictThreshold() const { return thresholdFromRun_ || thresholdByHand_; }

void MatchView::updateThresholdLabel()
{
    if (!hasVerdictThreshold()) {
        thresholdLabel_->setText(runReady_ ? QStringLiteral("No threshold: this model has no evaluation, so no verdict (ranks and scores only); "
                                                            "evaluate the run, or set one by hand")
                                           : QStringLiteral("Threshold: none yet"));
        return;
    }
    QString source = thresholdFromRun_ ? runInfo_.thresholdSource : QStringLiteral("set by hand");
    if (!thresholdFromRun_ && runInfo_.threshold)
        source += QStringLiteral("; the model's is %1 (%2)").arg(*runInfo_.threshold, 0, 'f', 3).arg(runInfo_.thresholdSource);
    thresholdLabel_->setText(QStringLiteral("Threshold %1 (%2)").arg(threshold(), 0, 'f', 3).arg(source));
}

void MatchView::updateVerdict()
{
    const auto rows = results_->selectionModel() ? results_->selectionModel()->selectedRows() : QModelIndexList();
    if (!hasResult_ || rows.isEmpty() || rows.front().row() >= outcome_.hits.size()) {
        verdict_->setText(QStringLiteral("Same person? —"));
        verdict_->setStyleSheet(QString());
        return;
    }
    if (!hasVerdictThreshold()) {
        verdict_->setText(QStringLiteral("Same person? — (no calibrated threshold)"));
        verdict_->setStyleSheet(QString());
        return;
    }
    const auto& h = outcome_.hits[rows.front().row()];
    const bool yes = h.score >= threshold();
    verdict_->setText(QStringLiteral("Same person? %1  (%2 %3 %4)")
                          .arg(yes ? QStringLiteral("Yes") : QStringLiteral("No"))
                          .arg(h.score, 0, 'f', 3)
                          .arg(yes ? QStringLiteral("≥") : QStringLiteral("<"))
                          .arg(threshold(), 0, 'f', 3));
    verdict_->setStyleSheet(QStringLiteral("color: %1").arg((yes ? kYes : kNo).name()));
}
}  // namespace carilab::widgets
