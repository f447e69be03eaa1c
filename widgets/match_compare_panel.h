#pragma once
// The Match view's right-hand panel: the query as the network saw it beside the selected
// result, the "same person?" verdict and the threshold it is taken against, the rank of the
// query's true identity, and the timings. The verdict needs a threshold that means something
// for the model in use: its own (a run's evaluation, the zero-shot descriptor's calibration) or
// one the user set on the slider; otherwise it says there is none.
#include "match_worker.h"

#include <QGroupBox>

#include <optional>

class QLabel;
class QSlider;

namespace carilab::widgets {

class MatchComparePanel : public QGroupBox {
    Q_OBJECT

public:
    explicit MatchComparePanel(QWidget* parent = nullptr);

    // The model's threshold (nullopt: it has none) and where it came from, taken as the verdict's
    // until the user moves the slider. modelReady: the model is loaded (the label says more).
    void setModelThreshold(std::optional<double> threshold, const QString& source, bool modelReady);
    double threshold() const;
    void setThreshold(double t);  // as a user moving the slider does
    bool hasVerdictThreshold() const { return fromModel_ || byHand_; }

    void clear();  // no result: empty shots, "—" everywhere
    void showOutcome(const MatchOutcome& o);  // the query's shot and caption, true rank, timings
    void showNoResults();
    // The selected hit (nullptr: none) and the verdict on it; its image comes by setHitImage.
    void showHit(const MatchHitInfo* hit);
    void setHitImage(const QString& path, const QPixmap& image);

    QSlider* thresholdSlider() const { return threshold_; }
    QLabel* thresholdLabel() const { return thresholdLabel_; }
    QLabel* verdictLabel() const { return verdict_; }
    QLabel* trueRankLabel() const { return trueRank_; }
    QLabel* timingLabel() const { return timing_; }

private:
    void updateThresholdLabel();
    void updateVerdict();

    std::optional<double> modelThreshold_;
    QString modelSource_;
    bool modelReady_ = false;
    bool fromModel_ = false;
    bool byHand_ = false;
    std::optional<double> hitScore_;  // the selected hit's

    QLabel* queryShot_;
    QLabel* queryCaption_;
    QLabel* hitShot_;
    QLabel* hitCaption_;
    QSlider* threshold_;
    QLabel* thresholdLabel_;
    QLabel* verdict_;
    QLabel* trueRank_;
    QLabel* selectedFile_;
    QLabel* timing_;
};

}  // namespace carilab::widgets
