#pragma once
// The Dataset browser: open a dataset in any supported layout (indexed on a worker thread),
// search and sort its identities, see the selected identities' images as thumbnails (loaded in
// the background), inspect one image with its landmarks and the crop the network sees, read the
// dataset's statistics, and drag an image out as a query (see ThumbnailModel for the format).
#include "thumbnail_model.h"

#include <QFutureWatcher>
#include <QWidget>

#include <nlohmann/json.hpp>

#include <memory>

class QComboBox;
class QLabel;
class QLineEdit;
class QListView;
class QProgressBar;
class QPushButton;
class QSortFilterProxyModel;
class QTabWidget;
class QTableView;

namespace carilab::data {
struct DatasetIndex;
}

namespace carilab::widgets {

class DatasetStatsView;
class ElidedLabel;
class IdentityTableModel;
class ImageInspector;
class ThumbnailLoader;

class DatasetBrowser : public QWidget {
    Q_OBJECT

public:
    explicit DatasetBrowser(QWidget* parent = nullptr);
    ~DatasetBrowser() override;

    // Indexes root on a worker thread (format: auto|folder|cavi|webcaricature); the UI stays
    // usable and datasetLoaded or datasetFailed follows. A newer call supersedes an older one.
    void openDataset(const QString& root, const QString& format = QStringLiteral("auto"));
    void reload();
    // Opened the first time the browser is shown when nothing was opened before and it exists.
    void setDefaultDataset(const QString& root) { defaultRoot_ = root; }
    // A message on a row of its own under the top bar (word-wrapped, so it never widens the
    // window), kept until the user opens a dataset; "" hides it. Errors use the same row.
    void setNotice(const QString& text);
    QString notice() const;

    QString root() const { return root_; }
    QString format() const;  // the combo's choice
    bool isLoading() const { return loading_; }
    QString lastError() const { return error_; }
    qint64 lastLoadMs() const { return loadMs_; }  // indexing wall time of the last load
    std::shared_ptr<const data::DatasetIndex> index() const { return index_; }
    const nlohmann::json& summary() const { return summary_; }

    // Selects these identities (by name) in the identity list, which fills the grid.
    void selectIdentities(const QStringList& names);
    QStringList selectedIdentities() const;
    void setModalities(ThumbnailModel::Modalities m);
    // Makes the grid's row current: the inspector shows it.
    void inspectRow(int row);

    QTableView* identityTable() const { return identities_; }
    QSortFilterProxyModel* identityProxy() const { return proxy_; }
    IdentityTableModel* identityModel() const { return identityModel_; }
    QLineEdit* searchField() const { return search_; }
    QListView* thumbnailView() const { return grid_; }
    ThumbnailModel* thumbnailModel() const { return thumbModel_; }
    ThumbnailLoader* thumbnailLoader() const { return loader_; }
    QComboBox* modalityCombo() const { return modality_; }
    QComboBox* formatCombo() const { return formatBox_; }
    ImageInspector* inspector() const { return inspector_; }
    DatasetStatsView* statsView() const { return stats_; }
    QTabWidget* sideTabs() const { return side_; }
    ElidedLabel* statusLabel() const { return status_; }
    ElidedLabel* pathLabel() const { return path_; }
    QLabel* messageLabel() const { return message_; }

    struct LoadResult;

Q_SIGNALS:
    void loadingStarted(const QString& root);
    void datasetLoaded(const QString& root);
    void datasetFailed(const QString& root, const QString& error);

protected:
    void showEvent(QShowEvent* event) override;

private:
    void loadFinished();
    void identitySelectionChanged();
    void updateCounts();
    void chooseFolder();
    void startLoading(const QString& root, const QString& format);
    void showMessage(const QString& text, bool error);

    QString root_, defaultRoot_, error_;
    bool loading_ = false;
    bool everOpened_ = false;
    int generation_ = 0;
    qint64 loadMs_ = 0;
    std::shared_ptr<const data::DatasetIndex> index_;
    nlohmann::json summary_;
    QFutureWatcher<std::shared_ptr<LoadResult>>* watcher_;

    QPushButton* open_;
    ElidedLabel* path_;
    QComboBox* formatBox_;
    QPushButton* reload_;
    QProgressBar* busy_;
    ElidedLabel* status_;
    QLabel* message_;
    QLineEdit* search_;
    QTableView* identities_;
    QLabel* identityCount_;
    IdentityTableModel* identityModel_;
    QSortFilterProxyModel* proxy_;
    QComboBox* modality_;
    QLabel* imageCount_;
    QListView* grid_;
    ThumbnailLoader* loader_;
    ThumbnailModel* thumbModel_;
    QTabWidget* side_;
    DatasetStatsView* stats_;
    ImageInspector* inspector_;
};

}  // namespace carilab::widgets
