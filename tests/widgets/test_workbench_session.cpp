// A scripted session in one whole window, as `carilab --tab match` starts it: a burst of real
// drops on the Match view (good files, every kind of bad one, the Dataset browser's drag format,
// drops that supersede a running query), then the Datasets tab clicked on the tab bar while the
// worker may still be busy, then a drag from that tab's grid back to Match. It is the sequence
// after which an instance once vanished (issue #21); the asan preset runs this test under
// AddressSanitizer + UBSan, which turns a use-after-free or an out-of-bounds access anywhere on
// that path into a failure with a stack instead of a silent exit. Here it asserts what the
// user sees: the window stays, every bad drop gets its message, the last good drop's results
// are the ones shown, and the view still answers after the tab switches.
#include "fixture_trees.h"
#include "test_support.h"

#include "crop_editor.h"
#include "dataset_browser.h"
#include "eval_view.h"
#include "main_window.h"
#include "match_view.h"
#include "thumbnail_model.h"
#include "train_view.h"

#include "data/carisynth.h"

#include <QApplication>
#include <QJsonDocument>
#include <QJsonObject>
#include <QListView>
#include <QMimeData>
#include <QSpinBox>
#include <QTabBar>
#include <QTabWidget>
#include <QTableWidget>
#include <QtTest/QtTest>

#include <memory>

using carilab::test::CliResult;
using carilab::test::runCli;
using carilab::widgets::DatasetBrowser;
using carilab::widgets::MainWindow;
using carilab::widgets::MatchView;

namespace {

constexpr int kWait = 120000;  // ms; a gallery under ASan takes tens of seconds

QMimeData* urlMime(const QStringList& paths)
{
    auto* m = new QMimeData;
    QList<QUrl> urls;
    for (const QString& p : paths) urls << (p.contains(QLatin1String("://")) ? QUrl(p) : QUrl::fromLocalFile(p));
    m->setUrls(urls);
    return m;
}

void writeBytes(const QString& path, const QByteArray& bytes)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(bytes);
}

}  // namespace

class TestWorkbenchSession : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;
    QString data_, runs_;

    QString caricature(int identity, int n) const
    {
        return data_ + QStringLiteral("/id_%1/caricature/id_%1_c_%2.jpg").arg(identity, 4, 10, QLatin1Char('0')).arg(n, 2, 10, QLatin1Char('0'));
    }
    QString photo(int identity, int n) const
    {
        return data_ + QStringLiteral("/id_%1/photo/id_%1_p_%2.jpg").arg(identity, 4, 10, QLatin1Char('0')).arg(n, 2, 10, QLatin1Char('0'));
    }

    // A drag entering the Match view's query panel and dropped there, through QApplication.
    static bool drop(MatchView* view, QMimeData* mimeRaw)
    {
        std::unique_ptr<QMimeData> mime(mimeRaw);
        QWidget* target = view->cropEditor();
        const QPoint pos = target->rect().center();
        QDragEnterEvent enter(pos, Qt::CopyAction | Qt::LinkAction, mime.get(), Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(target, &enter);
        if (!enter.isAccepted()) return false;
        QDropEvent dropped(QPointF(pos), Qt::CopyAction | Qt::LinkAction, mime.get(), Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(target, &dropped);
        return dropped.isAccepted();
    }

    static void clickTab(MainWindow& w, QWidget* page)
    {
        QTabBar* bar = w.tabs()->tabBar();
        QTest::mouseClick(bar, Qt::LeftButton, Qt::NoModifier, bar->tabRect(w.tabs()->indexOf(page)).center());
        QCOMPARE(w.tabs()->currentWidget(), page);
    }

    // The bad files a user drops by mistake, each with the words its message must contain.
    QList<QPair<QMimeData*, QString>> badDrops()
    {
        const QString dir = tmp_.path() + "/bad";
        QDir().mkpath(dir);
        writeBytes(dir + "/empty.jpg", {});
        writeBytes(dir + "/notes.jpg", "just some text, not a picture\n");
        QFile f(photo(1, 1));
        if (f.open(QIODevice::ReadOnly)) writeBytes(dir + "/half.jpg", f.readAll().left(f.size() / 2));
        auto* json = new QMimeData;
        json->setData(MatchView::kImageMimeType, "{}");
        return {{urlMime({dir + "/empty.jpg"}), "empty"},
                {urlMime({dir + "/notes.jpg"}), "not a decodable image"},
                {urlMime({dir + "/half.jpg"}), "truncated"},
                {urlMime({data_ + "/id_0001"}), "is a folder"},
                {urlMime({caricature(1, 1), caricature(2, 1), photo(3, 1)}), "3 files were dropped"},
                {urlMime({"https://example.com/face.jpg"}), "not a local file"},
                {urlMime({dir + "/missing.jpg"}), "file not found"},
                {json, "Nothing to match"}};
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(tmp_.isValid());
        data_ = tmp_.path() + "/synth";
        runs_ = tmp_.path() + "/runs";
        carilab::test::makeSynthRun(data_, runs_ + "/run", {/*identities=*/8, /*perSide=*/6, /*seed=*/11, /*steps=*/60, /*batch=*/16});
    }

    void dropsThenDatasetsTabThenDragBack()
    {
        MainWindow w;
        w.setConfirmClose(false);
        w.trainView()->setRunsDir(runs_);
        w.matchView()->setRunsDir(runs_);
        w.datasetBrowser()->setDefaultDataset(data_);
        w.tabs()->setCurrentWidget(w.matchView());  // --tab match
        w.resize(1280, 720);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        MatchView* match = w.matchView();
        QTRY_VERIFY_WITH_TIMEOUT(match->runReady(), kWait);

        // A good drop and its results.
        QVERIFY(drop(match, urlMime({caricature(3, 2)})));
        QTRY_VERIFY_WITH_TIMEOUT(match->hasResult() && match->lastOutcome().queryPath == caricature(3, 2), kWait);

        // Every kind of bad drop: a message each, the results stay.
        const quint64 kept = match->lastOutcome().id;
        for (const auto& [mime, words] : badDrops()) {
            drop(match, mime);
            QTRY_VERIFY_WITH_TIMEOUT(match->message().contains(words, Qt::CaseInsensitive), kWait);
            QCOMPARE(match->lastOutcome().id, kept);
        }

        // A burst: drops that supersede each other before their queries finish, the browser's
        // drag format among them, k changed in the middle. The last one's results are shown.
        for (int i = 1; i <= 6; ++i) {
            if (i % 2) {
                QVERIFY(drop(match, urlMime({photo(i, 2)})));
            } else {
                auto* m = urlMime({caricature(i, 3)});
                m->setData(MatchView::kImageMimeType, QJsonDocument(QJsonObject{{"path", caricature(i, 3)},
                                                                                  {"identity", QStringLiteral("id_%1").arg(i, 4, 10, QLatin1Char('0'))},
                                                                                  {"modality", "caricature"},
                                                                                  {"dataset", data_}})
                                                          .toJson());
                QVERIFY(drop(match, m));
            }
            if (i == 3) match->topSpin()->setValue(5);
            QTest::qWait(20);
        }
        QTRY_VERIFY_WITH_TIMEOUT(match->hasResult() && match->lastOutcome().queryPath == caricature(6, 3), kWait);
        QCOMPARE(match->resultsTable()->rowCount(), 5);

        // The Datasets tab, clicked while thumbnails and the worker may still run; the incident
        // came about two seconds after this click, so the window is watched for longer.
        QSignalSpy loaded(w.datasetBrowser(), &DatasetBrowser::datasetLoaded);
        QVERIFY(drop(match, urlMime({photo(7, 3)})));
        clickTab(w, w.datasetBrowser());
        QTRY_VERIFY_WITH_TIMEOUT(loaded.count() >= 1, kWait);
        QTest::qWait(3000);
        QVERIFY(w.isVisible());

        // A drag from the grid's first caricature back to Match (the model's own drag data).
        DatasetBrowser* browser = w.datasetBrowser();
        QTRY_VERIFY_WITH_TIMEOUT(browser->thumbnailModel()->rowCount() > 0, kWait);
        const QModelIndex first = browser->thumbnailModel()->index(0, 0);
        std::unique_ptr<QMimeData> fromGrid(browser->thumbnailModel()->mimeData({first}));
        QVERIFY(fromGrid && fromGrid->hasFormat(MatchView::kImageMimeType));
        const QString draggedPath = QJsonDocument::fromJson(fromGrid->data(MatchView::kImageMimeType)).object().value("path").toString();
        clickTab(w, match);
        QVERIFY(drop(match, fromGrid.release()));
        QTRY_VERIFY_WITH_TIMEOUT(match->hasResult() && match->lastOutcome().queryPath == draggedPath, kWait);
        QVERIFY(match->lastOutcome().trueIdentityRank >= 1);
        QVERIFY(match->message().isEmpty());

        // Back and forth once more, then the window closes cleanly (worker and pools joined).
        clickTab(w, browser);
        QTest::qWait(500);
        clickTab(w, match);
        QVERIFY(drop(match, urlMime({caricature(2, 4)})));
        QTRY_VERIFY_WITH_TIMEOUT(match->lastOutcome().queryPath == caricature(2, 4), kWait);
        QVERIFY(w.close());
    }

    // A crop double-clicked in the Evaluation tab's failure gallery (EvalView's
    // matchQueryRequested, which test_failure_gallery_view checks) becomes the Match query.
    void failureCropOpensInMatch()
    {
        MainWindow w;
        w.setConfirmClose(false);
        w.matchView()->setRunsDir(runs_);
        w.tabs()->setCurrentWidget(w.evalView());
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        Q_EMIT w.evalView()->matchQueryRequested(photo(5, 2), QStringLiteral("id_0005"), QStringLiteral("photo"));
        QCOMPARE(w.tabs()->currentWidget(), w.matchView());
        QTRY_VERIFY_WITH_TIMEOUT(w.matchView()->queryPath() == photo(5, 2), kWait);
        QTRY_VERIFY_WITH_TIMEOUT(w.matchView()->hasResult() && w.matchView()->lastOutcome().queryPath == photo(5, 2), kWait);
        QCOMPARE(w.matchView()->lastOutcome().gallery.modality, QStringLiteral("caricature"));
    }
};

QTEST_MAIN(TestWorkbenchSession)
#include "test_workbench_session.moc"
