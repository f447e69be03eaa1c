#pragma once
// A dataset's statistics: identities, images per modality, landmarks and boxes, the per-identity
// spread with a histogram of images per identity (photos and caricatures side by side), the
// skipped files with their reasons and the loader's warnings.
#include <nlohmann/json.hpp>

#include <QHash>
#include <QVector>
#include <QWidget>

#include <array>
#include <vector>

class QCPItemText;
class QCustomPlot;
class QLabel;
class QListWidget;
class QTableWidget;

namespace carilab::widgets {

class ElidedLabel;

class DatasetStatsView : public QWidget {
    Q_OBJECT

public:
    explicit DatasetStatsView(QWidget* parent = nullptr);

    // summary: core's summarizeDataset(); counts: DatasetIndex::countsPerIdentity().
    void setSummary(const nlohmann::json& summary, const std::vector<std::array<int, 2>>& counts);
    void clear();

    // The shown text of a statistic: "root", "format", "identities", "identities_with_both",
    // "images", "photos", "caricatures", "with_landmarks", "with_face_box", "photos_per_identity",
    // "caricatures_per_identity", "protocols", "skipped", "warnings".
    QString value(const QString& key) const;
    ElidedLabel* valueLabel(const QString& key) const { return values_.value(key); }
    QCustomPlot* histogramPlot() const { return plot_; }
    // True while no dataset is shown: the plot holds a hint instead of axes.
    bool showsPlaceholder() const;
    // Histogram bins: identities per bin, [modality][bin]; binWidth() images per bin from 0.
    QVector<double> histogram(int modality) const { return bins_[static_cast<size_t>(modality)]; }
    int binWidth() const { return binWidth_; }
    QTableWidget* skippedTable() const { return skipped_; }
    QListWidget* warningsList() const { return warnings_; }

private:
    void setValue(const QString& key, const QString& text, const QString& tip = QString());
    void drawHistogram(const std::vector<std::array<int, 2>>& counts);
    void showPlotAxes(bool on);

    QHash<QString, ElidedLabel*> values_;
    QCustomPlot* plot_;
    QCPItemText* placeholder_;
    QTableWidget* skipped_;
    QListWidget* warnings_;
    QLabel* skippedTitle_;
    QLabel* warningsTitle_;
    QWidget* skippedBox_;
    QWidget* warningsBox_;
    std::array<QVector<double>, 2> bins_;
    int binWidth_ = 1;
};

}  // namespace carilab::widgets
