// The Embeddings tab in the main window on a tiny CariSynth run: the map is computed on the
// worker and drawn (every image a point, centroid lines on demand), hovering a point shows its
// thumbnail, a click opens it in the Datasets inspector, Ctrl+click makes it the Match query,
// and the map exports as PNG, SVG, PDF and CSV.
#include "fixture_trees.h"
#include "test_support.h"

#include "dataset_browser.h"
#include "embedding_map_plot.h"
#include "embedding_map_view.h"
#include "image_inspector.h"
#include "main_window.h"
#include "match_view.h"
#include "train_view.h"

#include "data/carisynth.h"
#include "run/embedding_map.h"

#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QTabWidget>
#include <QtTest/QtTest>

#include "qcustomplot_include.h"

using carilab::test::runCli;
using carilab::widgets::EmbeddingMapPlot;
using carilab::widgets::EmbeddingMapView;
using carilab::widgets::MainWindow;

namespace {

constexpr int kWait = 180000;  // ms

}  // namespace

class TestEmbeddingMapView : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;
    QString data_, runs_, run_;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(tmp_.isValid());
        data_ = tmp_.path() + "/synth";
        runs_ = tmp_.path() + "/runs";
        run_ = runs_ + "/run";
        carilab::test::makeSynthRun(data_, run_, {/*identities=*/8, /*perSide=*/6, /*seed=*/11, /*steps=*/60, /*batch=*/16});
    }

    void mapHoverClickExport()
    {
        MainWindow w;
        w.setConfirmClose(false);
        w.trainView()->setRunsDir(runs_);
        w.matchView()->setRunsDir(runs_);
        w.datasetBrowser()->setDefaultDataset(data_);
        EmbeddingMapView* view = w.embeddingMapView();
        w.tabs()->setCurrentWidget(view);
        w.resize(1280, 800);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY(!view->computeButton()->isEnabled());  // no run selected yet
        view->setRun(run_);
        QCOMPARE(view->checkpointChoice()->itemText(0), QString("latest"));
        QVERIFY(view->checkpointChoice()->findText("step 60") > 0);  // and "best" when the run kept one
        QVERIFY(view->computeButton()->isEnabled());
        view->maxPointsBox()->setValue(0);

        QSignalSpy shown(view, &EmbeddingMapView::mapShown);
        QTest::mouseClick(view->computeButton(), Qt::LeftButton);
        QVERIFY(view->isComputing());
        QTRY_VERIFY_WITH_TIMEOUT(shown.count() == 1, kWait);
        EmbeddingMapPlot* plot = view->plot();
        const auto map = view->map();
        QCOMPARE(map->points.size(), size_t(96));
        QCOMPARE(plot->drawnPoints(), 96);
        QVERIFY2(view->status().contains("trustworthiness (k=10)"), qPrintable(view->status()));
        QVERIFY(map->quality.trustworthiness > 0.5);
        QCOMPARE(plot->drawnLinks(), 0);
        view->linesBox()->setChecked(true);
        QCOMPARE(plot->drawnLinks(), 48);  // every caricature: all identities have photos
        QVERIFY(view->exportButton()->isEnabled());

        // Hover: the card shows the point's thumbnail and names it.
        const int target = 17;
        const QPoint at = plot->pixelOf(target).toPoint();
        const int expected = plot->pointAt(at);
        QVERIFY(expected >= 0);
        QSignalSpy hovered(plot, &EmbeddingMapPlot::pointHovered);
        QTest::mouseMove(plot->plot(), at);
        QTRY_COMPARE(plot->hoveredPoint(), expected);
        QVERIFY(plot->hoverCard()->isVisible());
        QTRY_VERIFY(!plot->hoverThumbnail()->pixmap().isNull());  // decoded off the GUI thread
        const auto& p = map->points[static_cast<size_t>(expected)];
        QVERIFY(plot->hoverText()->text().contains(QString::fromStdString(map->identities[static_cast<size_t>(p.identity)])));
        QVERIFY(hovered.count() >= 1);
        QTest::mouseMove(plot->plot(), QPoint(2, 2));  // off the axes
        QTRY_COMPARE(plot->hoveredPoint(), -1);
        QVERIFY(!plot->hoverCard()->isVisible());

        // Click: the Datasets inspector shows the image.
        QSignalSpy inspect(view, &EmbeddingMapView::inspectRequested);
        QTest::mouseClick(plot->plot(), Qt::LeftButton, Qt::NoModifier, at);
        QCOMPARE(inspect.count(), 1);
        QCOMPARE(inspect.front().at(2).toString(), QString::fromStdString(p.absolutePath));
        QCOMPARE(w.tabs()->currentWidget(), static_cast<QWidget*>(w.datasetBrowser()));
        QTRY_VERIFY_WITH_TIMEOUT(QFileInfo(w.datasetBrowser()->inspector()->path()) == QFileInfo(QString::fromStdString(p.absolutePath)), kWait);

        // Ctrl+click: the Match query.
        w.tabs()->setCurrentWidget(view);
        QSignalSpy query(view, &EmbeddingMapView::matchQueryRequested);
        QTest::mouseClick(plot->plot(), Qt::LeftButton, Qt::ControlModifier, plot->pixelOf(target).toPoint());
        QCOMPARE(query.count(), 1);
        QCOMPARE(query.front().at(2).toString(), QString::fromStdString(p.modality));
        QCOMPARE(w.tabs()->currentWidget(), static_cast<QWidget*>(w.matchView()));
        QTRY_COMPARE_WITH_TIMEOUT(QFileInfo(w.matchView()->queryPath()), QFileInfo(QString::fromStdString(p.absolutePath)), kWait);

        // Exports.
        for (const QString ext : {"png", "svg", "pdf", "csv"}) {
            const QString file = tmp_.path() + "/map." + ext;
            QVERIFY2(view->exportTo(file, 800, 600, 150), qPrintable(view->lastError()));
            QVERIFY2(QFileInfo(file).size() > 500, qPrintable(file));
        }
        QCOMPARE(QImage(tmp_.path() + "/map.png").size(), QSize(800, 600));
        QFile csv(tmp_.path() + "/map.csv");
        QVERIFY(csv.open(QIODevice::ReadOnly));
        QCOMPARE(QString::fromUtf8(csv.readLine()).trimmed(), QString("identity,modality,path,x,y"));
        QVERIFY(!view->exportTo(tmp_.path() + "/map.bmp"));
        QVERIFY(w.close());
    }

    void pretrainedNeedsADataset()
    {
        EmbeddingMapView view;
        view.usePretrained(true);
        QVERIFY(!view.computeButton()->isEnabled());
        view.offerDataset(data_, "auto");
        QVERIFY(view.computeButton()->isEnabled());
        QVERIFY(!view.exportTo(tmp_.path() + "/none.png"));  // nothing computed
        QVERIFY(view.lastError().contains("compute one first"));
    }
};

QTEST_MAIN(TestEmbeddingMapView)
#include "test_embedding_map_view.moc"
