#pragma once
// The failure gallery of an evaluated run (what `carilab-cli failures` writes as a page): a
// header with the threshold, where it came from, the counts and the notes; the worst false
// accepts and false rejects, each pair's two crops as the network saw them beside its score and
// its distance to the threshold; per-identity verification and identification accuracy (click a
// heading to sort; an empty cell is a figure not measured); the caricature branch's confusions.
// "Save page…" writes the CLI's page (run::writeFailurePage) into a folder.
// The result arrives ready from the EvalWorker (crops already QImages); nothing here runs torch,
// and this header names no core type, so its moc and its users do not parse torch's headers.
#include <QWidget>

#include <memory>

class QLabel;
class QPushButton;
class QSortFilterProxyModel;
class QSplitter;
class QStandardItemModel;
class QTabWidget;
class QTableView;
class QTableWidget;

namespace carilab::widgets {

struct FailureResult;  // eval_worker.h
using FailureResultPtr = std::shared_ptr<const FailureResult>;

class FailureGalleryView : public QWidget {
    Q_OBJECT

public:
    // Identity table columns; the numeric ones sort by their value (Qt::UserRole).
    enum IdentityColumn { IdName, IdPairs, IdVerified, IdVerification, IdCaricatures, IdCaricatureAcc, IdPhotos, IdVisualAcc, IdColumns };
    // Pair table columns.
    enum PairColumn { PairRank, PairImageA, PairImageB, PairIdentities, PairScore, PairMargin, PairColumns };

    explicit FailureGalleryView(QWidget* parent = nullptr);

    void setResult(const FailureResultPtr& result);
    const FailureResult* result() const { return result_.get(); }

    QLabel* header() const { return header_; }
    // Tabs: the pairs (false accepts beside false rejects), identities, confusions.
    QTabWidget* tabs() const { return tabs_; }
    QWidget* pairsPage() const;
    QLabel* falseAcceptsTitle() const { return faTitle_; }
    QLabel* falseRejectsTitle() const { return frTitle_; }
    int cropSide() const { return cropSide_; }  // pixels a crop is drawn at (follows the view's width)
    QTableWidget* falseAcceptsTable() const { return falseAccepts_; }
    QTableWidget* falseRejectsTable() const { return falseRejects_; }
    QTableView* identitiesTable() const { return identities_; }
    QTableView* confusionsTable() const { return confusions_; }
    QPushButton* savePageButton() const { return save_; }
    QPushButton* backButton() const { return back_; }

    // Writes the page as `carilab-cli failures --out DIR` does. False with lastError() on failure;
    // on success savedMessage() says where (it also shows under the header).
    bool savePage(const QString& dir);
    QString lastError() const { return lastError_; }
    QString savedMessage() const;

protected:
    void resizeEvent(QResizeEvent* event) override;

Q_SIGNALS:
    void backRequested();  // "Back to the results"
    void pageSaved(const QString& indexHtml);
    // A crop double-clicked: its image file, as EmbeddingMapView's (MainWindow opens it in Match).
    void matchQueryRequested(const QString& path, const QString& identity, const QString& modality);

private:
    void fillHeader();
    void fillPairs(QTableWidget* table, bool falseAccepts);
    void fillPairLists();
    void sizePairColumns(QTableWidget* table);
    void fillIdentities();
    void fillConfusions();
    void savePageInteractively();
    void openCell(QTableWidget* table, int row, int column);

    FailureResultPtr result_;
    QString lastError_;
    QLabel* header_;
    QLabel* notes_;
    QLabel* saved_;
    QPushButton* save_;
    QPushButton* back_;
    QTabWidget* tabs_;
    QSplitter* pairs_;
    QLabel* faTitle_;
    QLabel* frTitle_;
    int cropSide_ = 0;
    QTableWidget* falseAccepts_;
    QTableWidget* falseRejects_;
    QStandardItemModel* identityModel_;
    QSortFilterProxyModel* identityProxy_;
    QTableView* identities_;
    QStandardItemModel* confusionModel_;
    QSortFilterProxyModel* confusionProxy_;
    QTableView* confusions_;
};

}  // namespace carilab::widgets
