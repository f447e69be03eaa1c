// The Evaluation tab's failure gallery for real: a 20-step run on a CaVI-layout fixture,
// carilab-cli eval by the CaVI protocol, then Failures… pressed in the EvalView. The listed pairs
// must be on the wrong side of eval.json's threshold, worst first, each with both crops shown;
// the identity table sorts by value; Save page writes the CLI's page; cancel and a run without a
// CaVI evaluation say what happened.
#include "eval_view.h"
#include "eval_worker.h"
#include "failure_gallery_view.h"
#include "fixture_trees.h"
#include "test_support.h"

#include "run/eval_records.h"
#include "run/failure_page.h"

#include <QtTest/QtTest>

#include <QCheckBox>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>

using namespace carilab;
using namespace carilab::widgets;

namespace {

QString describe(const test::CliResult& r) { return QStringLiteral("exit %1\n%2\n%3").arg(r.exitCode).arg(r.out.right(3000), r.err.right(3000)); }

bool copyTree(const QString& from, const QString& to)
{
    QDir().mkpath(to);
    for (const QFileInfo& fi : QDir(from).entryInfoList(QDir::Files | QDir::Dirs | QDir::NoDotAndDotDot)) {
        const QString target = to + QLatin1Char('/') + fi.fileName();
        if (fi.isDir() ? !copyTree(fi.filePath(), target) : !QFile::copy(fi.filePath(), target)) return false;
    }
    return true;
}

QByteArray readBytes(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// setRun asks the worker for the run's protocols and checkpoints; they arrive queued.
bool showRun(EvalView& view, const QString& run)
{
    QSignalSpy choices(&view, &EvalView::choicesShown);
    view.setRun(run);
    return choices.count() > 0 || choices.wait(60000);
}

// Presses Failures… and waits for the gallery.
bool runFailures(EvalView& view)
{
    QSignalSpy shown(&view, &EvalView::failuresShown);
    QSignalSpy failed(&view, &EvalView::failuresFailed);
    QTest::mouseClick(view.failuresButton(), Qt::LeftButton);
    if (!shown.wait(300000)) {
        qWarning("failures did not show: %s", qPrintable(failed.isEmpty() ? view.evalStatus() : failed.front().front().toString()));
        return false;
    }
    return true;
}

void clickHeading(QTableView* table, int column)
{
    QHeaderView* h = table->horizontalHeader();
    const QPoint at(h->sectionViewportPosition(column) + h->sectionSize(column) / 2, h->height() / 2);
    QTest::mouseClick(h->viewport(), Qt::LeftButton, {}, at);
}

// A column's sort values top to bottom; NaN for an empty (not measured) cell.
QVector<double> columnValues(const QTableView* table, int column)
{
    QVector<double> out;
    const QAbstractItemModel* m = table->model();
    for (int r = 0; r < m->rowCount(); ++r) {
        const QVariant v = m->data(m->index(r, column), Qt::UserRole);
        out << (v.isValid() ? v.toDouble() : std::nan(""));
    }
    return out;
}

}  // namespace

class TestFailureGalleryView final : public QObject {
    Q_OBJECT

private:
    QTemporaryDir tmp_;
    test::CaviFixture fx_;
    QString run_;  // trained and evaluated by the CaVI protocol
    QString plainRun_;  // the same run before carilab-cli eval
    double threshold_ = 0;  // eval.json's cavi/testing_1 mean threshold

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(tmp_.isValid());
        qputenv("CARILAB_HOME", tmp_.filePath(QStringLiteral("home")).toUtf8());
        fx_ = test::makeCaviFixture(tmp_.filePath(QStringLiteral("data")));
        run_ = tmp_.filePath(QStringLiteral("runs/cavi-run"));
        const auto t = test::runCli({"train", "--dataset", fx_.root, "--run-dir", run_, "--steps", "20", "--batch", "16", "--threads", "2", "--plain",
                                     "--checkpoint-every", "20"},
                                    300000);
        QVERIFY2(t.exitCode == 0, qPrintable(describe(t)));
        plainRun_ = tmp_.filePath(QStringLiteral("runs/plain-run"));
        QVERIFY(copyTree(run_, plainRun_));
        const auto e = test::runCli({"eval", "--run", run_, "--protocol", "cavi", "--threads", "2"}, 300000);
        QVERIFY2(e.exitCode == 0, qPrintable(describe(e)));
        const auto eval = run::readEvalFile((run_ + "/eval.json").toStdString());
        threshold_ = eval.protocols.at("cavi/testing_1").verification->mean.at("threshold");
    }

    void listsFailuresWorstFirstWithTheirCrops()
    {
        EvalView view;
        view.resize(1024, 700);
        view.show();
        QVERIFY(showRun(view, run_));
        QVERIFY2(view.failuresButton()->isEnabled(), qPrintable(view.failuresButton()->toolTip()));
        QCOMPARE(view.topChoice()->value(), 20);
        view.topChoice()->setValue(3);
        QVERIFY(runFailures(view));
        QVERIFY(view.isShowingFailures());
        QVERIFY(view.hasResults());
        const FailureGalleryView* gv = view.failureGallery();
        QVERIFY(gv->isVisible());
        const auto& g = gv->result()->gallery;
        QCOMPARE(g.key, std::string("cavi/testing_1"));
        QVERIFY2(std::abs(g.threshold - threshold_) < 1e-9, "eval.json's threshold at the same step");
        QVERIFY2(gv->header()->text().contains(QStringLiteral("Threshold %1").arg(threshold_, 0, 'f', 4)), qPrintable(gv->header()->text()));
        QVERIFY(gv->header()->text().contains(QStringLiteral("mean of the 10 per-fold thresholds")));
        QCOMPARE(g.pairs, static_cast<long long>(fx_.goodPairs));
        QVERIFY2(g.falseAcceptCount + g.falseRejectCount > 0, "a 20-step run on the fixture fails some pairs");

        struct Kind {
            const QTableWidget* table;
            long long total;
            bool accepts;
        };
        for (const Kind& k : {Kind{gv->falseAcceptsTable(), g.falseAcceptCount, true}, Kind{gv->falseRejectsTable(), g.falseRejectCount, false}}) {
            QCOMPARE(k.table->rowCount(), static_cast<int>(std::min<long long>(3, k.total)));
            double previous = k.accepts ? 2.0 : -2.0;
            for (int r = 0; r < k.table->rowCount(); ++r) {
                QCOMPARE(k.table->item(r, FailureGalleryView::PairRank)->text(), QString::number(r + 1));
                const double score = k.table->item(r, FailureGalleryView::PairScore)->data(Qt::UserRole).toDouble();
                QVERIFY2(k.accepts ? score >= threshold_ : score < threshold_, "on the wrong side of the threshold");
                QVERIFY2(k.accepts ? score <= previous : score >= previous, "worst first");
                previous = score;
                const double margin = k.table->item(r, FailureGalleryView::PairMargin)->data(Qt::UserRole).toDouble();
                QVERIFY(std::abs(margin - (score - threshold_)) < 1e-9);
                for (int c : {int(FailureGalleryView::PairImageA), int(FailureGalleryView::PairImageB)}) {
                    const auto* crop = qobject_cast<const QLabel*>(k.table->cellWidget(r, c));
                    QVERIFY(crop);
                    QVERIFY2(!crop->pixmap().isNull() && crop->pixmap().width() > 0, "both crops shown");
                }
                const QString who = k.table->item(r, FailureGalleryView::PairIdentities)->text();
                QVERIFY2(k.accepts ? who.contains(QStringLiteral("vs")) : who.contains(QStringLiteral("same identity")), qPrintable(who));
            }
        }
        QCOMPARE(gv->tabs()->tabText(0), QStringLiteral("Pairs (%1 false accepts, %2 false rejects)").arg(g.falseAcceptCount).arg(g.falseRejectCount));
        QVERIFY(gv->falseAcceptsTitle()->text().contains(QStringLiteral("the %1 highest of %2").arg(gv->falseAcceptsTable()->rowCount()).arg(g.falseAcceptCount)));
        QVERIFY(gv->falseRejectsTitle()->text().contains(QStringLiteral("the %1 lowest of %2").arg(gv->falseRejectsTable()->rowCount()).arg(g.falseRejectCount)));
        // Both lists side by side on one page, crops at the narrow view's size.
        QVERIFY(gv->falseAcceptsTable()->isVisible() && gv->falseRejectsTable()->isVisible());
        QCOMPARE(gv->cropSide(), 88);
        QCOMPARE(gv->identitiesTable()->model()->rowCount(), static_cast<int>(g.identities.size()));
        QCOMPARE(gv->confusionsTable()->model()->rowCount(), static_cast<int>(g.confusions.size()));

        // A double-clicked crop asks for its image file in Match.
        QTableWidget* fa = g.falseAccepts.empty() ? gv->falseRejectsTable() : gv->falseAcceptsTable();
        const run::FailurePair& first = g.falseAccepts.empty() ? g.falseRejects.front() : g.falseAccepts.front();
        QSignalSpy match(&view, &EvalView::matchQueryRequested);
        const QPoint photo = fa->visualRect(fa->model()->index(0, FailureGalleryView::PairImageB)).center();
        QTest::mouseClick(fa->viewport(), Qt::LeftButton, {}, photo);  // a widget's DClick alone has no press before it
        QTest::mouseDClick(fa->viewport(), Qt::LeftButton, {}, photo);
        QCOMPARE(match.count(), 1);
        const QString path = match.front().at(0).toString();
        QVERIFY2(QFileInfo(path).isFile() && path.endsWith(QFileInfo(QString::fromStdString(first.b.path)).fileName()), qPrintable(path));
        QCOMPARE(match.front().at(1).toString(), QString::fromStdString(first.b.identity));
        QCOMPARE(match.front().at(2).toString(), QStringLiteral("photo"));

        // Back to the protocol results.
        QTest::mouseClick(gv->backButton(), Qt::LeftButton);
        QVERIFY(!view.isShowingFailures());
        QCOMPARE(view.currentKey(), QStringLiteral("cavi/testing_1"));
    }

    void identitiesSortByValue()
    {
        EvalView view;
        view.resize(1600, 1000);
        view.show();
        QVERIFY(showRun(view, run_));
        QVERIFY(runFailures(view));
        FailureGalleryView* gv = view.failureGallery();
        gv->tabs()->setCurrentWidget(gv->identitiesTable());
        QTableView* t = gv->identitiesTable();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        for (int column : {int(FailureGalleryView::IdPairs), int(FailureGalleryView::IdCaricatureAcc), int(FailureGalleryView::IdVerification)}) {
            clickHeading(t, column);
            const Qt::SortOrder first = t->horizontalHeader()->sortIndicatorOrder();
            QCOMPARE(t->horizontalHeader()->sortIndicatorSection(), column);
            for (Qt::SortOrder order : {first, first == Qt::AscendingOrder ? Qt::DescendingOrder : Qt::AscendingOrder}) {
                if (order != first) clickHeading(t, column);
                QCOMPARE(t->horizontalHeader()->sortIndicatorOrder(), order);
                const QVector<double> values = columnValues(t, column);
                QVector<double> measured;
                for (double v : values)
                    if (!std::isnan(v)) measured << v;
                QVERIFY(!measured.isEmpty());
                for (qsizetype i = 1; i < measured.size(); ++i)
                    QVERIFY2(order == Qt::AscendingOrder ? measured[i - 1] <= measured[i] : measured[i - 1] >= measured[i],
                             qPrintable(QStringLiteral("column %1 not in numeric order at row %2").arg(column).arg(i)));
                // Empty cells (not measured) stay together at one end, not mixed among the figures.
                const auto empty = [](double v) { return std::isnan(v); };
                const auto measuredCell = [](double v) { return !std::isnan(v); };
                QVERIFY(std::is_partitioned(values.begin(), values.end(), measuredCell) || std::is_partitioned(values.begin(), values.end(), empty));
            }
        }
        // Each row's text is its value: percentages of the fraction, empty where unmeasured.
        const QAbstractItemModel* m = t->model();
        for (int r = 0; r < m->rowCount(); ++r) {
            const QVariant v = m->data(m->index(r, FailureGalleryView::IdVerification), Qt::UserRole);
            const QString text = m->data(m->index(r, FailureGalleryView::IdVerification)).toString();
            QCOMPARE(text, v.isValid() ? QStringLiteral("%1%").arg(100.0 * v.toDouble(), 0, 'f', 1) : QString());
        }
    }

    // The fixture's figures may all have as many digits; these have not, so a text sort ("100" < "9")
    // would show. Figures set by hand: this checks the table, not the analysis.
    void sortsNumbersNotText()
    {
        auto r = std::make_shared<FailureResult>();
        auto figures = [](const char* name, long long pairs, long long right, long long caricatures, long long caricaturesRight, bool known) {
            run::IdentityFigures f;
            f.identity = name;
            f.pairs = pairs;
            f.pairsCorrect = right;
            f.caricatures = caricatures;
            f.caricaturesCorrect = caricaturesRight;
            f.knownToRun = known;
            return f;
        };
        r->gallery.identities = {figures("a", 9, 9, 20, 1, true), figures("b", 100, 50, 2, 2, true), figures("c", 10, 1, 0, 0, false),
                                 figures("d", 12, 6, 10, 5, true)};
        FailureGalleryView gv;
        gv.resize(1024, 600);
        gv.show();
        QVERIFY(QTest::qWaitForWindowExposed(&gv));
        gv.setResult(r);
        gv.tabs()->setCurrentWidget(gv.identitiesTable());
        QTableView* t = gv.identitiesTable();
        auto names = [t] {
            QStringList out;
            for (int i = 0; i < t->model()->rowCount(); ++i) out << t->model()->index(i, FailureGalleryView::IdName).data().toString();
            return out.join(QString());
        };
        QCOMPARE(names(), QStringLiteral("cbda"));  // worst verified first: 10%, 50%, 50%, 100%
        clickHeading(t, FailureGalleryView::IdPairs);
        if (t->horizontalHeader()->sortIndicatorOrder() == Qt::DescendingOrder) clickHeading(t, FailureGalleryView::IdPairs);
        QCOMPARE(names(), QStringLiteral("acdb"));  // 9, 10, 12, 100
        clickHeading(t, FailureGalleryView::IdCaricatureAcc);
        if (t->horizontalHeader()->sortIndicatorOrder() == Qt::DescendingOrder) clickHeading(t, FailureGalleryView::IdCaricatureAcc);
        QCOMPARE(names(), QStringLiteral("adbc"));  // 5%, 50%, 100%, then c: not one of the run's classes, empty
        const QModelIndex empty = t->model()->index(3, FailureGalleryView::IdCaricatureAcc);
        QCOMPARE(empty.data().toString(), QString());
        QCOMPARE(t->model()->index(2, FailureGalleryView::IdCaricatureAcc).data().toString(), QStringLiteral("100.0%"));
    }

    void savePageWritesTheCliFiles()
    {
        EvalView view;
        QVERIFY(showRun(view, run_));
        QVERIFY(runFailures(view));
        FailureGalleryView* gv = view.failureGallery();
        const auto& g = gv->result()->gallery;
        const QString out = tmp_.filePath(QStringLiteral("page"));
        QSignalSpy saved(gv, &FailureGalleryView::pageSaved);
        QVERIFY2(gv->savePage(out), qPrintable(gv->lastError()));
        QCOMPARE(saved.count(), 1);
        QVERIFY(QFile::exists(out + "/index.html"));
        QCOMPARE(readBytes(out + "/pairs.csv"), QByteArray::fromStdString(run::pairsCsv(g)));
        QCOMPARE(readBytes(out + "/identities.csv"), QByteArray::fromStdString(run::identitiesCsv(g)));
        QCOMPARE(readBytes(out + "/confusions.csv"), QByteArray::fromStdString(run::confusionsCsv(g)));
        for (const auto& p : g.falseAccepts) QVERIFY(QFile::exists(out + "/" + QString::fromStdString(run::cropFileName(p.a))));
        QVERIFY2(gv->savedMessage().contains(QDir::toNativeSeparators(out)), qPrintable(gv->savedMessage()));

        // A folder of the user's is refused untouched, and the reason shown.
        const QString mine = tmp_.filePath(QStringLiteral("mine"));
        QDir().mkpath(mine);
        QFile keep(mine + "/notes.txt");
        QVERIFY(keep.open(QIODevice::WriteOnly));
        keep.write("mine");
        keep.close();
        QVERIFY(!gv->savePage(mine));
        QVERIFY(!gv->lastError().isEmpty());
        QCOMPARE(QDir(mine).entryList(QDir::NoDotAndDotDot | QDir::AllEntries), QStringList{QStringLiteral("notes.txt")});
    }

    void mirrorChoiceReachesTheAnalysis()
    {
        EvalView view;
        QVERIFY(showRun(view, run_));
        view.mirrorBox()->setChecked(true);
        QVERIFY(runFailures(view));
        const auto& g = view.failureGallery()->result()->gallery;
        QCOMPARE(g.key, std::string("cavi/testing_1+mirror"));
        QVERIFY2(QString::fromStdString(g.thresholdSource).contains(QStringLiteral("chosen on these pairs")), g.thresholdSource.c_str());
    }

    void cancelStopsTheAnalysis()
    {
        EvalView view;
        QVERIFY(showRun(view, run_));
        QSignalSpy cancelled(&view, &EvalView::failuresCancelled);
        QSignalSpy shown(&view, &EvalView::failuresShown);
        QTest::mouseClick(view.failuresButton(), Qt::LeftButton);
        QVERIFY(view.isAnalysingFailures());
        QVERIFY(view.cancelButton()->isEnabled());
        QVERIFY(!view.failuresButton()->isEnabled());
        QTest::mouseClick(view.cancelButton(), Qt::LeftButton);
        QVERIFY(cancelled.wait(300000));
        QCOMPARE(shown.count(), 0);
        QVERIFY(!view.isAnalysingFailures());
        QVERIFY(!view.isShowingFailures());
        QVERIFY2(view.evalStatus().contains(QStringLiteral("cancelled")), qPrintable(view.evalStatus()));
        QVERIFY(view.failuresButton()->isEnabled());
    }

    void withoutCaviEvaluationSaysWhatToDo()
    {
        EvalView view;
        QVERIFY(showRun(view, plainRun_));
        QVERIFY(!view.failuresButton()->isEnabled());
        QVERIFY(view.failuresButton()->toolTip().contains(QStringLiteral("evaluate by cavi first")));
        QSignalSpy failed(&view, &EvalView::failuresFailed);
        view.startFailures();
        QCOMPARE(failed.count(), 1);
        QVERIFY2(failed.front().front().toString().contains(QStringLiteral("evaluate by cavi first")), qPrintable(failed.front().front().toString()));
        QCOMPARE(view.evalStatus(), failed.front().front().toString());
        QVERIFY(!view.isAnalysingFailures());
    }
};

QTEST_MAIN(TestFailureGalleryView)
#include "test_failure_gallery_view.moc"
