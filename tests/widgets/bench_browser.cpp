// Opening a CaVI-sized dataset: 12 000 tiny JPEGs (200 identities x 30 photos x 30
// caricatures, 16 x 16 px) written once into a temp folder. Measures indexing (file-name checks
// and a header sniff, no decoding) plus filling the identity model, then the Dataset browser
// end to end (worker thread, statistics, identity list shown), the grid with every image, and
// thumbnail decoding.
#include "data/dataset_index.h"
#include "data/dataset_registry.h"
#include "dataset_browser.h"
#include "identity_table_model.h"
#include "thumbnail_loader.h"
#include "thumbnail_model.h"

#include <QtTest/QtTest>

#include <QListView>
#include <QSortFilterProxyModel>
#include <QTableView>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <filesystem>
#include <fstream>

using namespace carilab;
using namespace carilab::widgets;

namespace {
constexpr int kIdentities = 200, kPerModality = 30;
constexpr int kImages = kIdentities * kPerModality * 2;
}  // namespace

class BenchBrowser final : public QObject {
    Q_OBJECT

private:
    QTemporaryDir tmp_;
    QString root_;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(tmp_.isValid());
        root_ = tmp_.filePath(QStringLiteral("cavi-sized"));
        cv::Mat img(16, 16, CV_8UC3);
        cv::randu(img, 0, 255);
        std::vector<unsigned char> jpeg;
        QVERIFY(cv::imencode(".jpg", img, jpeg));
        QElapsedTimer t;
        t.start();
        for (int i = 0; i < kIdentities; ++i) {
            char id[32];
            std::snprintf(id, sizeof id, "identity_%03d", i);
            for (const char* m : {"photo", "caricature"}) {
                const std::filesystem::path dir = std::filesystem::path(root_.toStdString()) / id / m;
                std::filesystem::create_directories(dir);
                for (int k = 0; k < kPerModality; ++k) {
                    std::ofstream f(dir / (std::string(m) + "_" + std::to_string(k) + ".jpg"), std::ios::binary);
                    f.write(reinterpret_cast<const char*>(jpeg.data()), static_cast<std::streamsize>(jpeg.size()));
                }
            }
        }
        qInfo("fixture: %d JPEGs of %zu bytes written in %lld ms", kImages, jpeg.size(), static_cast<long long>(t.elapsed()));
    }

    void indexAndIdentityModel()
    {
        IdentityTableModel model;
        QSortFilterProxyModel proxy;
        proxy.setSourceModel(&model);
        proxy.sort(IdentityTableModel::kName);
        int rows = 0;
        std::size_t images = 0;
        QBENCHMARK
        {
            auto index = std::make_shared<data::DatasetIndex>(data::loadDataset(root_.toStdString(), "folder"));
            images = index->images.size();
            model.setIndex(index);
            rows = proxy.rowCount();
        }
        QCOMPARE(rows, kIdentities);
        QCOMPARE(static_cast<int>(images), kImages);
    }

    void browserShowsIdentityList()
    {
        DatasetBrowser b;
        b.resize(1400, 860);
        b.show();
        QVERIFY(QTest::qWaitForWindowExposed(&b));
        QElapsedTimer t;
        qint64 worst = 0;
        QBENCHMARK
        {
            QSignalSpy loaded(&b, &DatasetBrowser::datasetLoaded);
            t.start();
            b.openDataset(root_, QStringLiteral("auto"));
            loaded.wait(30000);
            b.identityTable()->viewport()->repaint();  // the list is on screen
            worst = std::max(worst, t.elapsed());
        }
        QCOMPARE(b.identityProxy()->rowCount(), kIdentities);
        QCOMPARE(static_cast<int>(b.index()->images.size()), kImages);
        qInfo("open to identity list painted: worst %lld ms (indexing on the worker: %lld ms)", static_cast<long long>(worst),
              static_cast<long long>(b.lastLoadMs()));
        QVERIFY2(worst < 5000, "opening a CaVI-sized folder should take well under a second");
    }

    void gridWithEveryImage()
    {
        DatasetBrowser b;
        b.resize(1400, 860);
        b.show();
        QVERIFY(QTest::qWaitForWindowExposed(&b));
        QSignalSpy loaded(&b, &DatasetBrowser::datasetLoaded);
        b.openDataset(root_, QStringLiteral("folder"));
        QVERIFY(loaded.wait(30000));
        QBENCHMARK
        {
            b.identityTable()->clearSelection();
            b.identityTable()->selectAll();  // 12 000 items in the grid
            b.thumbnailView()->scrollToBottom();
            b.thumbnailView()->viewport()->repaint();
        }
        QCOMPARE(b.thumbnailModel()->rowCount(), kImages);
        QVERIFY(b.thumbnailLoader()->requestedCount() < 1000);  // only what was painted
    }

    void thumbnailDecode()
    {
        const QString path = root_ + QStringLiteral("/identity_000/photo/photo_0.jpg");
        QImage img;
        QBENCHMARK
        {
            QString error;
            img = ThumbnailLoader::makeThumbnail(path, 96, &error);
        }
        QCOMPARE(img.size(), QSize(96, 96));
    }
};

QTEST_MAIN(BenchBrowser)
#include "bench_browser.moc"
