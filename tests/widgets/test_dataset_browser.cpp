// The Dataset browser driven for real: CaVI, WebCaricature and CariSynth trees opened through
// the widget (indexed on its worker), the identity list searched and sorted, thumbnails loaded
// in the background (a corrupt JPEG among them), statistics against the index, the image
// inspector's landmarks and crops, the drag's mime data, and the main window's Datasets tab.
#include "data/carisynth.h"
#include "data/dataset_index.h"
#include "data/dataset_registry.h"
#include "dataset_browser.h"
#include "dataset_stats_view.h"
#include "elided_label.h"
#include "fixture_trees.h"
#include "identity_table_model.h"
#include "image_inspector.h"
#include "main_window.h"
#include "match_view.h"
#include "test_support.h"
#include "thumbnail_grid_probe.h"
#include "thumbnail_loader.h"
#include "thumbnail_model.h"

#include <QtTest/QtTest>

#include <QApplication>
#include <QComboBox>
#include <QHeaderView>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QMimeData>
#include <QPainter>
#include <QScrollBar>
#include <QSettings>
#include <QSortFilterProxyModel>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>

#include "qcustomplot_include.h"

#include <fstream>

using namespace carilab;
using namespace carilab::widgets;

namespace {

bool openAndWait(DatasetBrowser& b, const QString& root, const QString& format = QStringLiteral("auto"))
{
    QSignalSpy loaded(&b, &DatasetBrowser::datasetLoaded);
    QSignalSpy failed(&b, &DatasetBrowser::datasetFailed);
    b.openDataset(root, format);
    if (!b.isLoading()) return false;
    for (int i = 0; i < 300 && loaded.isEmpty() && failed.isEmpty(); ++i) QTest::qWait(50);
    if (!failed.isEmpty()) qWarning() << "open failed:" << failed.first().at(1).toString();
    return loaded.count() == 1 && !b.isLoading();
}

// Proxy row of an identity by name, -1 when not shown.
int rowOf(DatasetBrowser& b, const QString& name)
{
    auto* p = b.identityProxy();
    for (int r = 0; r < p->rowCount(); ++r)
        if (p->index(r, IdentityTableModel::kName).data().toString() == name) return r;
    return -1;
}

int cell(DatasetBrowser& b, int row, int column) { return b.identityProxy()->index(row, column).data().toInt(); }

bool allReady(ThumbnailModel* m, const QList<int>& rows)
{
    for (int r : rows)
        if (m->index(r).data(ThumbnailModel::StateRole).toInt() != static_cast<int>(ThumbnailLoader::State::Ready)) return false;
    return !rows.isEmpty();
}

// Rows [top, bottom] of the dark (text) pixels of img inside r, {-1, -1} when none.
std::pair<int, int> inkRows(const QImage& img, const QRect& r)
{
    int top = -1, bottom = -1;
    for (int y = std::max(r.top(), 0); y <= std::min(r.bottom(), img.height() - 1); ++y)
        for (int x = std::max(r.left(), 0); x <= std::min(r.right(), img.width() - 1); ++x)
            if (qGray(img.pixel(x, y)) < 110) {
                if (top < 0) top = y;
                bottom = y;
                break;
            }
    return {top, bottom};
}

// A waiting MainWindow's Datasets tab: open root there (as the command line does), wait.
bool openInWindow(MainWindow& w, const QString& root)
{
    QSignalSpy loaded(w.datasetBrowser(), &DatasetBrowser::datasetLoaded);
    w.openStartDataset(root);
    return loaded.wait(30000);
}

double meanAbsDiff(const QImage& a, const QImage& b)
{
    if (a.size() != b.size()) return 1e9;
    const QImage x = a.convertToFormat(QImage::Format_RGB888), y = b.convertToFormat(QImage::Format_RGB888);
    double s = 0;
    for (int r = 0; r < x.height(); ++r) {
        const uchar* p = x.constScanLine(r);
        const uchar* q = y.constScanLine(r);
        for (int c = 0; c < x.width() * 3; ++c) s += std::abs(static_cast<int>(p[c]) - static_cast<int>(q[c]));
    }
    return s / (x.width() * x.height() * 3);
}

}  // namespace

class TestDatasetBrowser final : public QObject {
    Q_OBJECT

private:
    QTemporaryDir tmp_;
    test::CaviFixture cavi_;
    test::WebcariFixture webcari_;
    QString synth_;
    QString corrupt_;  // a JPEG that passes the index's sniff but does not decode
    const QString corruptOwner_ = QStringLiteral("Person_Bravo");

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(tmp_.isValid());
        QStandardPaths::setTestModeEnabled(true);
        qputenv("CARILAB_HOME", tmp_.filePath(QStringLiteral("home")).toUtf8());
        cavi_ = test::makeCaviFixture(tmp_.filePath(QStringLiteral("c")));
        webcari_ = test::makeWebcariFixture(tmp_.filePath(QStringLiteral("w")));
        // Start and end markers intact (so indexing keeps it), garbage in between.
        corrupt_ = cavi_.root + QStringLiteral("/CaVI_Dataset/Caricature/Person_Bravo/Person_Bravo_c_9.jpg");
        std::ofstream f(corrupt_.toStdString(), std::ios::binary);
        const unsigned char head[] = {0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00};
        f.write(reinterpret_cast<const char*>(head), sizeof head);
        for (int i = 0; i < 300; ++i) f.put(static_cast<char>(i * 37 % 251));
        f.put(static_cast<char>(0xFF));
        f.put(static_cast<char>(0xD9));
        f.close();
        synth_ = tmp_.filePath(QStringLiteral("synth"));
        data::CariSynthOptions o;
        o.identities = 12;
        o.photosPerIdentity = 20;
        o.caricaturesPerIdentity = 20;
        o.size = 64;
        o.seed = 4;
        data::generateCariSynth(synth_.toStdString(), o);
    }

    void caviIdentityListAndCounts()
    {
        DatasetBrowser b;
        QVERIFY(openAndWait(b, cavi_.root));
        const auto idx = data::loadDataset(cavi_.root.toStdString(), "cavi");
        QCOMPARE(b.index()->format, std::string("cavi"));
        QCOMPARE(b.identityProxy()->rowCount(), cavi_.identities);
        QCOMPARE(static_cast<int>(idx.identities.size()), cavi_.identities);
        const auto counts = idx.countsPerIdentity();
        for (size_t i = 0; i < idx.identities.size(); ++i) {
            const int r = rowOf(b, QString::fromStdString(idx.identities[i]));
            QVERIFY2(r >= 0, idx.identities[i].c_str());
            QCOMPARE(cell(b, r, IdentityTableModel::kPhotos), counts[i][0]);
            QCOMPARE(cell(b, r, IdentityTableModel::kCaricatures), counts[i][1]);
            QCOMPARE(cell(b, r, IdentityTableModel::kTotal), counts[i][0] + counts[i][1]);
        }
        // The fixture's own numbers: 5 + 5, the corrupt file counted (it passes the sniff), the
        // last identity caricatures only.
        QCOMPARE(cell(b, rowOf(b, corruptOwner_), IdentityTableModel::kCaricatures), 6);
        QCOMPARE(cell(b, rowOf(b, QStringLiteral("Person_Alpha")), IdentityTableModel::kPhotos), 5);
        QCOMPARE(cell(b, rowOf(b, QStringLiteral("Person_Foxtrot")), IdentityTableModel::kPhotos), 0);
        QCOMPARE(cell(b, rowOf(b, QStringLiteral("Person_Foxtrot")), IdentityTableModel::kCaricatures), 5);
        QVERIFY(b.statusLabel()->fullText().contains(QStringLiteral("6 identities")));
        // The first identity is selected so the grid is not empty.
        QCOMPARE(b.selectedIdentities().size(), 1);
        QCOMPARE(b.thumbnailModel()->rowCount(), 10);
    }

    void searchNarrowsAndSortByCaricatures()
    {
        DatasetBrowser b;
        b.resize(1300, 800);
        b.show();
        QVERIFY(QTest::qWaitForWindowExposed(&b));
        QVERIFY(openAndWait(b, cavi_.root, QStringLiteral("cavi")));
        QTest::keyClicks(b.searchField(), QStringLiteral("bra"));
        QCOMPARE(b.identityProxy()->rowCount(), 1);
        QCOMPARE(b.identityProxy()->index(0, 0).data().toString(), corruptOwner_);
        // '_' and ' ' match each other (CaVI vs WebCaricature spellings); case-insensitive.
        b.searchField()->setText(QStringLiteral("PERSON C"));
        QCOMPARE(b.identityProxy()->rowCount(), 1);
        QCOMPARE(b.identityProxy()->index(0, 0).data().toString(), QStringLiteral("Person_Charlie"));
        // The one identity left is selected: its images fill the grid.
        QCOMPARE(b.selectedIdentities(), QStringList{QStringLiteral("Person_Charlie")});
        QVERIFY(b.thumbnailModel()->rowCount() > 0);
        b.inspectRow(0);
        QVERIFY(b.inspector()->imageIndex() >= 0);
        QCOMPARE(b.sideTabs()->currentWidget(), static_cast<QWidget*>(b.inspector()));
        // Another identity alone: the inspector lets go of Charlie's image.
        b.searchField()->setText(QStringLiteral("bra"));
        QCOMPARE(b.selectedIdentities(), QStringList{corruptOwner_});
        QCOMPARE(b.inspector()->imageIndex(), -1);
        QCOMPARE(b.sideTabs()->currentWidget(), static_cast<QWidget*>(b.statsView()));
        b.searchField()->setText(QStringLiteral("nobody"));
        QCOMPARE(b.identityProxy()->rowCount(), 0);
        b.searchField()->clear();
        QCOMPARE(b.identityProxy()->rowCount(), cavi_.identities);

        // Click the Caricatures header: ascending, then descending.
        auto* header = b.identityTable()->horizontalHeader();
        const int x = header->sectionViewportPosition(IdentityTableModel::kCaricatures) + header->sectionSize(IdentityTableModel::kCaricatures) / 2;
        QTest::mouseClick(header->viewport(), Qt::LeftButton, {}, QPoint(x, header->height() / 2));
        QCOMPARE(header->sortIndicatorSection(), static_cast<int>(IdentityTableModel::kCaricatures));
        auto column = [&] {
            QList<int> v;
            for (int r = 0; r < b.identityProxy()->rowCount(); ++r) v << cell(b, r, IdentityTableModel::kCaricatures);
            return v;
        };
        QList<int> v = column();
        QVERIFY(std::is_sorted(v.begin(), v.end()));
        QCOMPARE(b.identityProxy()->index(b.identityProxy()->rowCount() - 1, 0).data().toString(), corruptOwner_);
        QTest::mouseClick(header->viewport(), Qt::LeftButton, {}, QPoint(x, header->height() / 2));
        v = column();
        QVERIFY(std::is_sorted(v.rbegin(), v.rend()));
        QCOMPARE(b.identityProxy()->index(0, 0).data().toString(), corruptOwner_);
        QCOMPARE(v.front(), 6);
        // Sorting by photos puts the caricature-only identity at the top.
        b.identityTable()->sortByColumn(IdentityTableModel::kPhotos, Qt::AscendingOrder);
        QCOMPARE(b.identityProxy()->index(0, 0).data().toString(), QStringLiteral("Person_Foxtrot"));
        // Search and sort together.
        b.searchField()->setText(QStringLiteral("person_"));
        QCOMPARE(b.identityProxy()->rowCount(), cavi_.identities);
    }

    // Another dataset opens at its top, whatever the previous one's scroll positions.
    void openingResetsScrollPositions()
    {
        DatasetBrowser b;
        b.resize(420, 300);
        b.show();
        QVERIFY(QTest::qWaitForWindowExposed(&b));
        QVERIFY(openAndWait(b, cavi_.root));
        b.identityTable()->selectAll();  // every image in the grid: more than a small window holds
        QScrollBar* grid = b.thumbnailView()->verticalScrollBar();
        QScrollBar* list = b.identityTable()->verticalScrollBar();
        QTRY_VERIFY(grid->maximum() > 0);
        grid->setValue(grid->maximum());
        list->setValue(list->maximum());
        QVERIFY(grid->value() > 0);
        QVERIFY(openAndWait(b, webcari_.root));
        QCOMPARE(grid->value(), 0);
        QCOMPARE(list->value(), 0);
    }

    void selectionFillsGridAndModalityFilter()
    {
        DatasetBrowser b;
        QVERIFY(openAndWait(b, cavi_.root));
        const auto idx = b.index();
        const auto counts = idx->countsPerIdentity();
        auto countOf = [&](const QString& name, int m) {
            const auto it = std::find(idx->identities.begin(), idx->identities.end(), name.toStdString());
            return counts[static_cast<size_t>(it - idx->identities.begin())][static_cast<size_t>(m)];
        };
        const QStringList two{QStringLiteral("Person_Alpha"), QStringLiteral("Person_Charlie")};
        b.selectIdentities(two);
        QCOMPARE(b.selectedIdentities().size(), 2);
        const int photos = countOf(two[0], 0) + countOf(two[1], 0), caris = countOf(two[0], 1) + countOf(two[1], 1);
        QCOMPARE(photos, 10);
        QCOMPARE(b.thumbnailModel()->rowCount(), photos + caris);
        b.modalityCombo()->setCurrentIndex(1);  // photos
        QCOMPARE(b.thumbnailModel()->rowCount(), photos);
        for (int r = 0; r < b.thumbnailModel()->rowCount(); ++r)
            QCOMPARE(b.thumbnailModel()->index(r).data(ThumbnailModel::ModalityRole).toString(), QStringLiteral("photo"));
        b.modalityCombo()->setCurrentIndex(2);  // caricatures
        QCOMPARE(b.thumbnailModel()->rowCount(), caris);
        for (int r = 0; r < b.thumbnailModel()->rowCount(); ++r) {
            QCOMPARE(b.thumbnailModel()->index(r).data(ThumbnailModel::ModalityRole).toString(), QStringLiteral("caricature"));
            QVERIFY(two.contains(b.thumbnailModel()->index(r).data(ThumbnailModel::IdentityRole).toString()));
        }
        b.modalityCombo()->setCurrentIndex(0);
        QCOMPARE(b.thumbnailModel()->rowCount(), photos + caris);
        // The caricature-only identity has no photos; everything selected shows every image.
        b.selectIdentities({QStringLiteral("Person_Foxtrot")});
        b.setModalities(ThumbnailModel::Modalities::Photos);
        QCOMPARE(b.thumbnailModel()->rowCount(), 0);
        b.setModalities(ThumbnailModel::Modalities::Both);
        QCOMPARE(b.thumbnailModel()->rowCount(), 5);
        b.identityTable()->selectAll();
        QCOMPARE(b.thumbnailModel()->rowCount(), static_cast<int>(idx->images.size()));
    }

    void thumbnailsArriveAndCorruptShowsPlaceholder()
    {
        DatasetBrowser b;
        b.resize(1300, 800);
        b.show();
        QVERIFY(QTest::qWaitForWindowExposed(&b));
        QVERIFY(openAndWait(b, cavi_.root));
        auto* m = b.thumbnailModel();
        QSignalSpy ready(b.thumbnailLoader(), &ThumbnailLoader::thumbnailReady);
        QSignalSpy failed(b.thumbnailLoader(), &ThumbnailLoader::thumbnailFailed);
        b.selectIdentities({corruptOwner_});
        QCOMPARE(m->rowCount(), 11);
        QTRY_VERIFY_WITH_TIMEOUT(!visibleRows(b.thumbnailView()).isEmpty(), 5000);
        QList<int> visible = visibleRows(b.thumbnailView());
        QCOMPARE(visible.size(), 11);  // all fit in a 1300 x 800 window
        int bad = -1;
        for (int r = 0; r < m->rowCount(); ++r)
            if (m->index(r).data(ThumbnailModel::PathRole).toString() == QFileInfo(corrupt_).absoluteFilePath()) bad = r;
        QVERIFY(bad >= 0);
        visible.removeAll(bad);
        QTRY_VERIFY_WITH_TIMEOUT(allReady(m, visible), 15000);
        QTRY_COMPARE_WITH_TIMEOUT(m->index(bad).data(ThumbnailModel::StateRole).toInt(), static_cast<int>(ThumbnailLoader::State::Failed), 15000);
        QVERIFY(ready.count() >= visible.size());
        QCOMPARE(failed.count(), 1);
        QCOMPARE(failed.first().first().toString(), QFileInfo(corrupt_).absoluteFilePath());
        // Real thumbnails: 96 px on the longer side, not the placeholders.
        const QImage placeholder = m->loadingPixmap().toImage(), broken = m->brokenPixmap().toImage();
        for (int r : visible) {
            const QPixmap pm = m->index(r).data(Qt::DecorationRole).value<QPixmap>();
            QCOMPARE(std::max(pm.width(), pm.height()), 96);
            QVERIFY(pm.toImage() != placeholder && pm.toImage() != broken);
        }
        QCOMPARE(m->index(bad).data(Qt::DecorationRole).value<QPixmap>().toImage(), broken);
        const QString reason = m->index(bad).data(ThumbnailModel::ErrorRole).toString();
        QVERIFY(!reason.isEmpty());
        qInfo("corrupt JPEG: %s", qPrintable(reason));
        QVERIFY2(m->index(bad).data(Qt::ToolTipRole).toString().contains(QStringLiteral("Cannot be shown: ") + reason), qPrintable(reason));
        QCOMPARE(failed.first().at(1).toString(), reason);
        // The inspector says why too.
        QSignalSpy shown(b.inspector(), &ImageInspector::imageShown);
        b.inspectRow(bad);
        QVERIFY(shown.wait(10000));
        QVERIFY(!b.inspector()->error().isEmpty());
        QVERIFY(b.inspector()->crop().isNull());
        QCOMPARE(b.sideTabs()->currentWidget(), b.inspector());
        // Thumbnails are cached: showing them again asks nobody.
        // (Person_Alpha, first in the list, was shown on opening; Person_Charlie was not.)
        const int asked = b.thumbnailLoader()->requestedCount();
        QCOMPARE(asked, 10 + 11);
        b.selectIdentities({QStringLiteral("Person_Charlie")});
        QTRY_VERIFY_WITH_TIMEOUT(allReady(m, visibleRows(b.thumbnailView())), 15000);
        QCOMPARE(b.thumbnailLoader()->requestedCount(), asked + 10);
        b.selectIdentities({corruptOwner_});
        QTest::qWait(200);
        QCOMPARE(b.thumbnailLoader()->requestedCount(), asked + 10);  // all cached, the failure too
        QVERIFY(allReady(m, visible));
    }

    void statisticsMatchTheIndex()
    {
        DatasetBrowser b;
        QVERIFY(openAndWait(b, cavi_.root));
        const auto idx = data::loadDataset(cavi_.root.toStdString(), "cavi");
        auto* s = b.statsView();
        QCOMPARE(s->value(QStringLiteral("identities")), QString::number(idx.identities.size()));
        QCOMPARE(s->value(QStringLiteral("images")), QString::number(idx.images.size()));
        QCOMPARE(s->value(QStringLiteral("photos")), QString::number(idx.count(data::Modality::Photo)));
        QCOMPARE(s->value(QStringLiteral("caricatures")), QString::number(idx.count(data::Modality::Caricature)));
        QCOMPARE(s->value(QStringLiteral("photos")), QStringLiteral("25"));
        QCOMPARE(s->value(QStringLiteral("caricatures")), QStringLiteral("31"));
        QCOMPARE(s->value(QStringLiteral("identities_with_both")), QString::number(cavi_.identities - 1));
        QCOMPARE(s->value(QStringLiteral("format")), QStringLiteral("cavi"));
        QCOMPARE(s->value(QStringLiteral("photos_per_identity")), QStringLiteral("0 – 5, mean 4.2"));
        QCOMPARE(s->value(QStringLiteral("skipped")), QString::number(idx.skipped.size()));
        QCOMPARE(s->skippedTable()->rowCount(), static_cast<int>(idx.skipped.size()));
        int thumbs = 0;
        for (int r = 0; r < s->skippedTable()->rowCount(); ++r) {
            QVERIFY(!s->skippedTable()->item(r, 1)->text().isEmpty());
            thumbs += s->skippedTable()->item(r, 0)->text().endsWith(QStringLiteral("Thumbs.db"));
        }
        QCOMPARE(thumbs, cavi_.thumbs);
        // With skipped files and warnings listed, the browser still fits under a 700 px window
        // (menu bar and tabs take about 60): the statistics scroll.
        QVERIFY2(b.minimumSizeHint().height() <= 620, qPrintable(QString::number(b.minimumSizeHint().height())));
        QCOMPARE(s->warningsList()->count(), static_cast<int>(idx.warnings.size()));
        QVERIFY(s->warningsList()->count() >= 1);  // the caricature-only identity at least
        // Histogram: every identity once per modality; one identity with 0 photos, one with 6 caricatures.
        const QVector<double> ph = s->histogram(0), ca = s->histogram(1);
        QCOMPARE(s->binWidth(), 1);
        QCOMPARE(std::accumulate(ph.begin(), ph.end(), 0.0), double(idx.identities.size()));
        QCOMPARE(std::accumulate(ca.begin(), ca.end(), 0.0), double(idx.identities.size()));
        QCOMPARE(ph[0], 1.0);
        QCOMPARE(ph[5], 5.0);
        QCOMPARE(ca[5], 5.0);
        QCOMPARE(ca[6], 1.0);
        QCOMPARE(s->histogramPlot()->plottableCount(), 2);
        auto* bars = qobject_cast<QCPBars*>(s->histogramPlot()->plottable(1));
        QVERIFY(bars);
        QCOMPARE(bars->data()->size(), ca.size());

        // The real CaVI subset, when this machine has it.
        const QString real = test::sharedDir() + QStringLiteral("/datasets/cavi-dev");
        if (QFileInfo::exists(real)) {
            QVERIFY(openAndWait(b, real));
            const auto r = data::loadDataset(real.toStdString(), "auto");
            QCOMPARE(b.identityProxy()->rowCount(), static_cast<int>(r.identities.size()));
            QCOMPARE(s->value(QStringLiteral("images")), QString::number(r.images.size()));
            QCOMPARE(s->skippedTable()->rowCount(), static_cast<int>(r.skipped.size()));
        }
        // A folder that is no dataset fails with a message and leaves nothing shown.
        QSignalSpy failed(&b, &DatasetBrowser::datasetFailed);
        b.openDataset(tmp_.filePath(QStringLiteral("home")));
        QVERIFY(failed.wait(10000));
        QVERIFY(!b.lastError().isEmpty());
        QCOMPARE(b.identityProxy()->rowCount(), 0);
        QCOMPARE(s->value(QStringLiteral("identities")), QStringLiteral("—"));
    }

    void inspectorLandmarksAndCrops()
    {
        DatasetBrowser b;
        b.resize(1400, 900);
        b.show();
        QVERIFY(QTest::qWaitForWindowExposed(&b));
        QVERIFY(openAndWait(b, webcari_.root));
        QCOMPARE(b.index()->format, std::string("webcaricature"));
        QCOMPARE(b.identityProxy()->rowCount(), webcari_.subjects);
        QCOMPARE(cell(b, rowOf(b, QStringLiteral("Subject 02")), IdentityTableModel::kCaricatures), 4);
        b.selectIdentities({QStringLiteral("Subject 02")});
        b.setModalities(ThumbnailModel::Modalities::Caricatures);
        QCOMPARE(b.thumbnailModel()->rowCount(), 4);
        auto* in = b.inspector();
        QSignalSpy shown(in, &ImageInspector::imageShown);
        QSignalSpy crops(in, &ImageInspector::cropShown);
        b.inspectRow(0);
        QVERIFY(shown.wait(10000));
        QCOMPARE(b.sideTabs()->currentWidget(), in);
        QVERIFY(in->error().isEmpty());
        QCOMPARE(in->landmarks().size(), 5);
        QVERIFY(in->box().has_value());
        QTRY_VERIFY(!crops.isEmpty() && !in->isBusy());
        QCOMPARE(in->cropMode(), ImageInspector::CropMode::Align);
        const QImage aligned = in->crop();
        QCOMPARE(aligned.size(), QSize(in->cropSize(), in->cropSize()));
        QVERIFY(in->cropNote().contains(QStringLiteral("aligned")));
        // The landmarks are drawn where they are: the nose's dot has the nose's colour.
        QApplication::processEvents();
        const QImage drawn = in->canvas()->grab().toImage();
        for (int i : {0, 2, 4}) {
            const QPoint p = in->canvas()->toWidget(in->landmarks()[i]).toPoint();
            const QColor got = drawn.pixelColor(p * drawn.devicePixelRatio());
            const QColor want = ImageCanvas::landmarkColor(i);
            QVERIFY2(std::abs(got.red() - want.red()) + std::abs(got.green() - want.green()) + std::abs(got.blue() - want.blue()) < 60,
                     qPrintable(got.name() + QStringLiteral(" vs ") + want.name()));
        }
        // The box crop differs from the aligned one; the whole image differs from both.
        crops.clear();
        in->setCropMode(ImageInspector::CropMode::Box);
        QTRY_VERIFY(!crops.isEmpty() && crops.last().at(1).toInt() == static_cast<int>(ImageInspector::CropMode::Box) && !in->isBusy());
        const QImage boxed = in->crop();
        QCOMPARE(boxed.size(), aligned.size());
        QVERIFY(in->cropNote().contains(QStringLiteral("official box")));
        QVERIFY2(meanAbsDiff(aligned, boxed) > 8.0, qPrintable(QString::number(meanAbsDiff(aligned, boxed))));
        crops.clear();
        in->setCropMode(ImageInspector::CropMode::Whole);
        QTRY_VERIFY(!crops.isEmpty() && crops.last().at(1).toInt() == static_cast<int>(ImageInspector::CropMode::Whole) && !in->isBusy());
        QVERIFY(meanAbsDiff(in->crop(), boxed) > 4.0);
        QVERIFY(meanAbsDiff(in->crop(), aligned) > 4.0);
        // A different crop size changes the preview's size.
        crops.clear();
        in->setCropMode(ImageInspector::CropMode::Align);
        in->setCropSize(64);
        QTRY_VERIFY(!in->isBusy() && in->crop().size() == QSize(64, 64));

        // Subject 03's first caricature has a 16-point file: no landmarks, cropped whole.
        b.selectIdentities({QStringLiteral("Subject 03")});
        shown.clear();
        b.inspectRow(0);
        QVERIFY(shown.wait(10000));
        QTRY_VERIFY(!in->isBusy());
        QVERIFY(in->landmarks().isEmpty());
        QVERIFY(in->cropNote().contains(QStringLiteral("no landmarks")));
    }

    void dragCarriesUrlAndJson()
    {
        DatasetBrowser b;
        QVERIFY(openAndWait(b, webcari_.root));
        b.selectIdentities({QStringLiteral("Subject 05")});
        b.setModalities(ThumbnailModel::Modalities::Photos);
        auto* m = b.thumbnailModel();
        QVERIFY(m->rowCount() >= 2);
        QVERIFY(b.thumbnailView()->dragEnabled());
        QVERIFY(m->flags(m->index(1)) & Qt::ItemIsDragEnabled);
        QVERIFY(m->mimeTypes().contains(QString::fromLatin1(kImageMimeType)));
        QVERIFY(m->supportedDragActions() & Qt::CopyAction);
        b.thumbnailView()->selectionModel()->select(m->index(1), QItemSelectionModel::ClearAndSelect);
        const QModelIndexList sel = b.thumbnailView()->selectionModel()->selectedIndexes();
        QCOMPARE(sel.size(), 1);
        std::unique_ptr<QMimeData> mime(m->mimeData(sel));
        QVERIFY(mime);
        const QString path = m->index(1).data(ThumbnailModel::PathRole).toString();
        QVERIFY(QFileInfo(path).isAbsolute() && QFileInfo::exists(path));
        QCOMPARE(mime->urls(), QList<QUrl>{QUrl::fromLocalFile(path)});
        QVERIFY(mime->hasFormat(QString::fromLatin1(kImageMimeType)));
        const QJsonObject o = QJsonDocument::fromJson(mime->data(QString::fromLatin1(kImageMimeType))).object();
        QCOMPARE(o.value(QStringLiteral("path")).toString(), path);
        QCOMPARE(o.value(QStringLiteral("identity")).toString(), QStringLiteral("Subject 05"));
        QCOMPARE(o.value(QStringLiteral("modality")).toString(), QStringLiteral("photo"));
        QCOMPARE(o.value(QStringLiteral("dataset")).toString(), QFileInfo(webcari_.root).absoluteFilePath());
        QCOMPARE(o.value(QStringLiteral("format")).toString(), QStringLiteral("webcaricature"));
        QVERIFY(!m->mimeData({}));
    }

    void onlyVisibleItemsRequestThumbnails()
    {
        DatasetBrowser b;
        b.resize(1100, 650);
        b.show();
        QVERIFY(QTest::qWaitForWindowExposed(&b));
        QVERIFY(openAndWait(b, synth_, QStringLiteral("folder")));
        QCOMPARE(b.identityProxy()->rowCount(), 12);
        b.identityTable()->selectAll();
        auto* m = b.thumbnailModel();
        QCOMPARE(m->rowCount(), 480);
        auto* view = b.thumbnailView();
        QTRY_VERIFY_WITH_TIMEOUT(allReady(m, visibleRows(view)), 15000);
        QVERIFY(b.thumbnailLoader()->waitForIdle());
        const int visible = visibleRows(view).size();
        const int asked = b.thumbnailLoader()->requestedCount();
        qInfo("480 images in the grid, %d visible, %d thumbnails requested", visible, asked);
        QVERIFY2(asked >= visible && asked < 480 / 2, qPrintable(QStringLiteral("%1 visible, %2 requested").arg(visible).arg(asked)));
        // Scrolling to the end loads the items now visible.
        view->scrollToBottom();
        QTRY_VERIFY_WITH_TIMEOUT(visibleRows(view).contains(479), 5000);
        QTRY_VERIFY_WITH_TIMEOUT(allReady(m, visibleRows(view)), 15000);
        QVERIFY(b.thumbnailLoader()->requestedCount() < 480);
    }

    // Captions keep their whole height, underscores included, whatever the shape of the
    // thumbnails: the grid's items were sized like one sample item, and a landscape sample made
    // every cell too short for a square thumbnail's caption.
    void thumbnailCaptionsAreWhole()
    {
        const QString root = tmp_.filePath(QStringLiteral("shapes"));
        const QString who = QStringLiteral("Under_Score");
        auto write = [&](const QString& modality, const QString& name, QSize size, QColor colour) {
            QDir().mkpath(root + QLatin1Char('/') + who + QLatin1Char('/') + modality);
            QImage img(size, QImage::Format_RGB32);
            img.fill(colour);
            QPainter(&img).fillRect(QRect(QPoint(size.width() / 4, size.height() / 4), size / 2), Qt::white);
            QVERIFY(img.save(root + QLatin1Char('/') + who + QLatin1Char('/') + modality + QLatin1Char('/') + name + QStringLiteral(".png")));
        };
        for (int i = 1; i <= 3; ++i) write(QStringLiteral("photo"), QStringLiteral("p_q_%1").arg(i), QSize(120, 120), QColor(40, 90, 160));
        write(QStringLiteral("caricature"), QStringLiteral("c_g_1"), QSize(100, 160), QColor(150, 60, 60));
        write(QStringLiteral("caricature"), QStringLiteral("c_g_2"), QSize(300, 80), QColor(60, 140, 60));  // last: landscape
        DatasetBrowser b;
        b.resize(1300, 800);
        b.show();
        QVERIFY(QTest::qWaitForWindowExposed(&b));
        QVERIFY(openAndWait(b, root, QStringLiteral("folder")));
        b.selectIdentities({who});
        auto* view = b.thumbnailView();
        auto* m = b.thumbnailModel();
        QCOMPARE(m->rowCount(), 5);
        QTRY_VERIFY_WITH_TIMEOUT(visibleRows(view).size() == 5 && allReady(m, visibleRows(view)), 15000);
        // Lay the grid out again now that the landscape thumbnail is loaded (it was the sample).
        b.selectIdentities({});
        b.selectIdentities({who});
        QTRY_COMPARE_WITH_TIMEOUT(visibleRows(view).size(), 5, 5000);
        QApplication::processEvents();
        const QImage shot = view->viewport()->grab().toImage();
        // The caption as it should look: the same font, drawn whole.
        QImage ref(400, 80, QImage::Format_RGB32);
        ref.fill(Qt::white);
        {
            QPainter p(&ref);
            p.setFont(view->font());
            p.setPen(Qt::black);
            p.drawText(QPoint(10, 40), QStringLiteral("p_q_1"));
        }
        const auto [refTop, refBottom] = inkRows(ref, ref.rect());
        QVERIFY(refBottom > refTop);
        const QSize item = view->visualRect(m->index(0)).size();
        int captionBottom = -1;
        for (int r = 0; r < 5; ++r) {
            const QRect rect = view->visualRect(m->index(r));
            QCOMPARE(rect.size(), item);  // every cell the same, the square's
            QVERIFY2(rect.height() >= 96 + view->fontMetrics().height(), qPrintable(QString::number(rect.height())));
            // The caption: dark pixels under the 96 px square, as tall as the whole text.
            const QRect band(rect.left(), rect.top() + 96 + 1, rect.width(), rect.height() - 96 - 1);
            const auto [top, bottom] = inkRows(shot, band);
            const QString name = m->index(r).data().toString();
            QVERIFY2(top >= 0, qPrintable(name + QStringLiteral(": no caption drawn")));
            QVERIFY2(bottom - top >= refBottom - refTop - 1 && bottom < rect.bottom(),
                     qPrintable(
                         QStringLiteral("%1: caption ink %2 px high, whole text %3 px").arg(name).arg(bottom - top + 1).arg(refBottom - refTop + 1)));
            // Captions in line, whatever the thumbnail's shape.
            if (captionBottom < 0) captionBottom = bottom - rect.top();
            QCOMPARE(bottom - rect.top(), captionBottom);
        }
    }

    // At 1024x700, the Folder and Protocol files rows of the statistics show on one line each,
    // elided in the middle with the whole path as tooltip; no row overlaps another.
    // Before a dataset opens, the statistics panel shows a hint in the plot's place (not empty
    // 0-5 axes squeezed between two empty tables); the first dataset brings the axes and bars,
    // and closing it (clear) brings the hint back.
    void emptyStatisticsShowAHint()
    {
        DatasetBrowser b;
        b.resize(1024, 640);
        b.show();
        QVERIFY(QTest::qWaitForWindowExposed(&b));
        DatasetStatsView* s = b.statsView();
        QVERIFY(s->showsPlaceholder());
        QVERIFY(!s->histogramPlot()->xAxis->visible() && !s->histogramPlot()->legend->visible());
        QVERIFY(!s->skippedTable()->isVisible() && !s->warningsList()->isVisible());
        // The plot has the room the two empty tables took before: most of the space under the numbers.
        QVERIFY2(s->histogramPlot()->height() >= 240, qPrintable(QString::number(s->histogramPlot()->height())));

        QVERIFY(openAndWait(b, cavi_.root));
        QVERIFY(!s->showsPlaceholder());
        QVERIFY(s->histogramPlot()->xAxis->visible() && s->histogramPlot()->legend->visible());
        QVERIFY(s->skippedTable()->isVisible());  // the fixture has skipped files
        s->clear();
        QVERIFY(s->showsPlaceholder());
        QVERIFY(!s->skippedTable()->isVisible());
    }

    void statisticsFitAt1024x700()
    {
        const QString deep = tmp_.filePath(QStringLiteral("a-folder-with-a-rather-long-name-for-the-statistics-panel/and-one-more-level"));
        const auto fixture = test::makeCaviFixture(deep + QStringLiteral("/cavi"));
        MainWindow w;
        w.setConfirmClose(false);
        w.resize(1024, 700);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY(openInWindow(w, fixture.root));
        QApplication::processEvents();
        QCOMPARE(w.size(), QSize(1024, 700));
        DatasetStatsView* s = w.datasetBrowser()->statsView();
        QVERIFY(s->isVisible());
        const QString root = QFileInfo(fixture.root).absoluteFilePath();
        QVERIFY(s->value(QStringLiteral("root")).startsWith(root + QLatin1Char('/')));  // .../CaVI_Dataset
        for (const char* key : {"root", "protocols"}) {
            ElidedLabel* l = s->valueLabel(QString::fromLatin1(key));
            QVERIFY(l->fullText().startsWith(root));
            QVERIFY2(l->isElided(), qPrintable(l->fullText()));
            QVERIFY(l->text().contains(QStringLiteral("…")));
            QVERIFY(l->toolTip().contains(l->fullText()));
            QVERIFY(l->fontMetrics().horizontalAdvance(l->text()) <= l->contentsRect().width());
        }
        // Row after row, none over another and none shorter than a line of text.
        QList<QRect> rows;
        for (const char* key : {"format", "identities", "images", "photos_per_identity", "protocols", "skipped", "warnings", "root"}) {
            ElidedLabel* l = s->valueLabel(QString::fromLatin1(key));
            QVERIFY(l->isVisible());
            QVERIFY2(l->height() >= l->fontMetrics().height(), key);
            rows << QRect(l->mapTo(s, QPoint(0, 0)), l->size());
        }
        for (int i = 1; i < rows.size(); ++i) QVERIFY2(rows[i].top() > rows[i - 1].bottom(), qPrintable(QString::number(i)));
        // Wide enough, the whole path shows and the tooltip goes.
        ElidedLabel* folder = s->valueLabel(QStringLiteral("root"));
        folder->resize(folder->sizeHint().width() + 10, folder->height());
        QVERIFY(!folder->isElided());
        QCOMPARE(folder->text(), folder->fullText());
        QVERIFY(folder->toolTip().isEmpty());
        w.close();
    }

    // The window keeps the size it was given: opening datasets (the status, path and statistics
    // grew it to 1157x788 on a 1024x700 screen) and a long error (it widened 1400 to 1568 px).
    void mainWindowNeverResizesItself()
    {
        for (const QSize size : {QSize(1024, 700), QSize(1400, 860)}) {
            MainWindow w;
            w.setConfirmClose(false);
            w.resize(size);
            w.show();
            QVERIFY(QTest::qWaitForWindowExposed(&w));
            DatasetBrowser* b = w.datasetBrowser();
            QVERIFY(openInWindow(w, cavi_.root));
            QApplication::processEvents();
            QCOMPARE(w.size(), size);
            const QString real = test::sharedDir() + QStringLiteral("/datasets/cavi-dev");
            if (QFileInfo::exists(real)) {
                QVERIFY(openInWindow(w, real));
                QApplication::processEvents();
                QCOMPARE(w.size(), size);
            }
            // An error longer than any window: wrapped on its own row, whole, the size kept.
            const QString gone = tmp_.filePath(QStringLiteral("no-such-folder-") + QString(QStringLiteral("with-a-very-long-name-")).repeated(12));
            QSignalSpy failed(b, &DatasetBrowser::datasetFailed);
            w.openStartDataset(gone);
            QVERIFY(failed.wait(10000));
            QApplication::processEvents();
            QCOMPARE(w.size(), size);
            QLabel* message = b->messageLabel();
            QVERIFY(message->isVisible());
            QVERIFY(message->text().contains(b->lastError()));
            QVERIFY(message->text().contains(QFileInfo(gone).absoluteFilePath()));
            QVERIFY2(message->height() >= message->heightForWidth(message->width()),
                     qPrintable(QStringLiteral("%1 < %2").arg(message->height()).arg(message->heightForWidth(message->width()))));
            QVERIFY(message->height() >= 2 * message->fontMetrics().height());  // wrapped, not cut
            QVERIFY(message->width() <= b->width());
            QVERIFY(b->statusLabel()->toolTip().isEmpty() || b->statusLabel()->isElided());
            // The next dataset opened clears the error.
            QVERIFY(openInWindow(w, cavi_.root));
            QVERIFY(message->isHidden());
            QCOMPARE(w.size(), size);
            w.close();
        }
    }

    void mainWindowDatasetsTabOpensTheDemo()
    {
        // The demo set where the GUI looks for it (CARILAB_HOME points into the temp folder).
        const QString demo = tmp_.filePath(QStringLiteral("home/datasets/carisynth-demo"));
        data::CariSynthOptions o;
        o.identities = 5;
        o.photosPerIdentity = 3;
        o.caricaturesPerIdentity = 3;
        o.size = 48;
        data::generateCariSynth(demo.toStdString(), o);
        MainWindow w;
        w.setConfirmClose(false);
        DatasetBrowser* b = w.datasetBrowser();
        QVERIFY(b);
        int tab = -1;
        for (int i = 0; i < w.tabs()->count(); ++i)
            if (w.tabs()->tabText(i) == QStringLiteral("Datasets")) tab = i;
        QVERIFY(tab >= 0);
        QCOMPARE(w.tabs()->widget(tab), b);
        QSignalSpy loaded(b, &DatasetBrowser::datasetLoaded);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QCOMPARE(loaded.count(), 0);  // not indexed until the tab is shown
        w.tabs()->setCurrentIndex(tab);
        QVERIFY(loaded.wait(10000));
        QCOMPARE(b->root(), QFileInfo(demo).absoluteFilePath());
        QCOMPARE(b->identityProxy()->rowCount(), 5);
        QCOMPARE(b->statsView()->value(QStringLiteral("with_landmarks")), QStringLiteral("30"));
        // A dataset open in the Datasets tab fits a 1024x700 screen (its statistics needed 717 px
        // and pushed the window's bottom off screen).
        QVERIFY2(w.minimumSizeHint().height() <= 700 && w.minimumSizeHint().width() <= 1024,
                 qPrintable(QStringLiteral("%1x%2").arg(w.minimumSizeHint().width()).arg(w.minimumSizeHint().height())));
        // The Match view offers the open dataset as a gallery, without switching to it.
        QComboBox* gallery = w.matchView()->galleryCombo();
        const int offered = gallery->findData(b->root());
        QVERIFY(offered >= 0);
        QVERIFY(gallery->currentIndex() != offered);
        QCOMPARE(gallery->itemText(offered), QStringLiteral("carisynth-demo"));
        w.close();
    }

    // The last dataset opened comes back at the next start, in the background, unless the
    // command line names one; a remembered folder that is gone says so and breaks nothing.
    void lastDatasetReopensOnStart()
    {
        QSettings().remove(QStringLiteral("datasets"));
        {
            MainWindow w;
            QVERIFY(!w.openStartDataset());  // nothing remembered yet
            QVERIFY(!w.datasetBrowser()->isLoading());
            QSignalSpy loaded(w.datasetBrowser(), &DatasetBrowser::datasetLoaded);
            w.datasetBrowser()->openDataset(cavi_.root, QStringLiteral("cavi"));
            QVERIFY(loaded.wait(10000));
        }
        QCOMPARE(QSettings().value(QLatin1String(MainWindow::kLastDatasetKey)).toString(), QFileInfo(cavi_.root).absoluteFilePath());
        {
            MainWindow w;
            QSignalSpy loaded(w.datasetBrowser(), &DatasetBrowser::datasetLoaded);
            QVERIFY(w.openStartDataset());
            QVERIFY(loaded.wait(10000));
            QCOMPARE(w.datasetBrowser()->root(), QFileInfo(cavi_.root).absoluteFilePath());
            QCOMPARE(w.datasetBrowser()->format(), QStringLiteral("cavi"));
            QCOMPARE(w.tabs()->currentIndex(), 0);  // reopened, not switched to
            QCOMPARE(w.datasetBrowser()->identityProxy()->rowCount(), cavi_.identities);
            // Shown later, the tab keeps it (the demo does not replace it).
            w.show();
            QVERIFY(QTest::qWaitForWindowExposed(&w));
            w.tabs()->setCurrentWidget(w.datasetBrowser());
            QTest::qWait(100);
            QVERIFY(!w.datasetBrowser()->isLoading());
            QCOMPARE(w.datasetBrowser()->root(), QFileInfo(cavi_.root).absoluteFilePath());
            w.close();
        }
        {
            // The command line's dataset wins, and is remembered in turn.
            MainWindow w;
            QVERIFY(openInWindow(w, webcari_.root));
            QCOMPARE(w.datasetBrowser()->root(), QFileInfo(webcari_.root).absoluteFilePath());
            QCOMPARE(w.tabs()->currentWidget(), static_cast<QWidget*>(w.datasetBrowser()));
        }
        QCOMPARE(QSettings().value(QLatin1String(MainWindow::kLastDatasetKey)).toString(), QFileInfo(webcari_.root).absoluteFilePath());
        // Gone since: a message in the status bar and the tab, which falls back to the demo.
        const QString gone = tmp_.filePath(QStringLiteral("moved-away"));
        QSettings().setValue(QLatin1String(MainWindow::kLastDatasetKey), gone);
        MainWindow w;
        w.setConfirmClose(false);
        QVERIFY(!w.openStartDataset());
        QVERIFY(w.statusBar()->currentMessage().contains(gone));
        QVERIFY(w.statusBar()->currentMessage().contains(QStringLiteral("no longer there")));
        QCOMPARE(w.datasetBrowser()->notice(), w.statusBar()->currentMessage());
        QSignalSpy loaded(w.datasetBrowser(), &DatasetBrowser::datasetLoaded);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        w.tabs()->setCurrentWidget(w.datasetBrowser());
        QVERIFY(loaded.wait(10000));
        QCOMPARE(w.datasetBrowser()->root(), QFileInfo(tmp_.filePath(QStringLiteral("home/datasets/carisynth-demo"))).absoluteFilePath());
        QVERIFY(w.datasetBrowser()->messageLabel()->isVisible());  // still says why the demo opened
        QCOMPARE(w.datasetBrowser()->notice(), w.statusBar()->currentMessage());
        w.close();
    }
};

QTEST_MAIN(TestDatasetBrowser)
#include "test_dataset_browser.moc"
