// The Match view on a real short CariSynth training: files dropped through real QDropEvents
// (QApplication::sendEvent, so the drag enter/drop delivery and the view's own handlers run as
// for a user's drop), ranked results, the gallery cache beside the run, top-k and crop edits,
// the threshold verdict, the Dataset browser's drag format, bad drops, and a run refused for a
// checkpoint that does not fit its backbone.
#include "fixture_trees.h"
#include "test_support.h"

#include "crop_editor.h"
#include "match_combo_box.h"
#include "match_query_modality.h"
#include "match_view.h"

#include "data/carisynth.h"
#include "match/matcher.h"
#include "pretrained/pretrained_store.h"

#include <nlohmann/json.hpp>

#include <QApplication>
#include <QComboBox>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QMimeData>
#include <QPainter>
#include <QSlider>
#include <QSpinBox>
#include <QTableWidget>
#include <QTextDocumentFragment>
#include <QtTest/QtTest>

#include <filesystem>
#include <fstream>
#include <memory>

using carilab::test::CliResult;
using carilab::test::runCli;
using carilab::widgets::CropEditor;
using carilab::widgets::ElidedComboBox;
using carilab::widgets::MatchCropMode;
using carilab::widgets::MatchGalleryInfo;
using carilab::widgets::MatchView;
using carilab::widgets::MatchWorker;
namespace fs = std::filesystem;

namespace {

constexpr int kWait = 120000;  // ms; a query takes well under a second, a first gallery a few

QString plain(const QLabel* label) { return QTextDocumentFragment::fromHtml(label->text()).toPlainText(); }

void writeBytes(const QString& path, const QByteArray& bytes)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(bytes);
}

QMimeData* urlMime(const QStringList& paths)
{
    auto* m = new QMimeData;
    QList<QUrl> urls;
    for (const QString& p : paths) urls << (p.contains(QLatin1String("://")) ? QUrl(p) : QUrl::fromLocalFile(p));
    m->setUrls(urls);
    return m;
}

}  // namespace

class TestMatchView : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;
    QString data_, runs_, run_;
    std::unique_ptr<MatchView> view_;

    QString caricature(int identity, int n = 10) const
    {
        return data_ + QStringLiteral("/id_%1/caricature/id_%1_c_%2.jpg").arg(identity, 4, 10, QLatin1Char('0')).arg(n, 2, 10, QLatin1Char('0'));
    }
    QString photo(int identity, int n = 1) const
    {
        return data_ + QStringLiteral("/id_%1/photo/id_%1_p_%2.jpg").arg(identity, 4, 10, QLatin1Char('0')).arg(n, 2, 10, QLatin1Char('0'));
    }

    // A drag entering the query panel and dropped there: QApplication hands the enter event up
    // to the widget that accepts drops (the view) and the drop to that same target.
    void drop(QMimeData* mimeRaw)
    {
        std::unique_ptr<QMimeData> mime(mimeRaw);
        QWidget* target = view_->cropEditor();
        const QPoint pos = target->rect().center();
        QDragEnterEvent enter(pos, Qt::CopyAction | Qt::LinkAction, mime.get(), Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(target, &enter);
        QVERIFY2(enter.isAccepted(), "the view refused the drag");
        QDragMoveEvent move(pos, Qt::CopyAction | Qt::LinkAction, mime.get(), Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(target, &move);
        QDropEvent dropped(QPointF(pos), Qt::CopyAction | Qt::LinkAction, mime.get(), Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(target, &dropped);
        QVERIFY(dropped.isAccepted());
    }

    // Drops one good file and waits for its results.
    void dropAndWait(const QString& path)
    {
        QSignalSpy shown(view_.get(), &MatchView::resultShown);
        drop(urlMime({path}));
        QTRY_VERIFY_WITH_TIMEOUT(shown.count() >= 1 && view_->lastOutcome().queryPath == path, kWait);
    }

    void mouse(QWidget* w, QEvent::Type type, const QPointF& pos, Qt::MouseButton button, Qt::MouseButtons buttons)
    {
        QMouseEvent e(type, pos, w->mapToGlobal(pos), button, buttons, Qt::NoModifier);
        QApplication::sendEvent(w, &e);
    }

    // Every text of the view readable at its current size (see readableAt1024x700).
    void checkReadable(const QString& where)
    {
        QTableWidget* table = view_->resultsTable();
        QVERIFY2(table->rowCount() > 0, qPrintable(where));
        const int margin = 6;  // the item's own padding
        for (int r = 0; r < table->rowCount(); ++r) {
            for (int c : {2, 3}) {
                const QTableWidgetItem* item = table->item(r, c);
                const int need = QFontMetrics(item->font()).horizontalAdvance(item->text()) + margin;
                QVERIFY2(table->columnWidth(c) >= need,
                         qPrintable(QStringLiteral("%1: column %2 is %3 px, \"%4\" needs %5")
                                        .arg(where)
                                        .arg(c)
                                        .arg(table->columnWidth(c))
                                        .arg(item->text())
                                        .arg(need)));
            }
        }
        // The table fits its panel: no column hidden past its right edge.
        int columns = 0;
        for (int c = 0; c < table->columnCount(); ++c) columns += table->columnWidth(c);
        QVERIFY2(columns <= table->viewport()->width() + 1, qPrintable(where));
        for (QComboBox* box : {view_->runCombo(), view_->checkpointCombo(), view_->galleryCombo(), view_->modalityCombo(), view_->cropModeCombo(),
                               view_->queryModalityCombo()}) {
            auto* elided = qobject_cast<ElidedComboBox*>(box);
            QVERIFY(elided);
            const QString shown = elided->shownText();
            QVERIFY2(shown == box->currentText() || (shown.endsWith(QChar(0x2026)) && box->toolTip().contains(box->currentText())),
                     qPrintable(QStringLiteral("%1: \"%2\" shown as \"%3\"").arg(where, box->currentText(), shown)));
            QVERIFY2(shown.size() >= std::min<qsizetype>(4, box->currentText().size()),
                     qPrintable(QStringLiteral("%1: \"%2\" shown as \"%3\"").arg(where, box->currentText(), shown)));
        }
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(tmp_.isValid());
        data_ = tmp_.path() + "/synth";
        runs_ = tmp_.path() + "/runs";
        run_ = runs_ + "/run";
        carilab::test::makeSynthRun(data_, run_, {/*identities=*/10, /*perSide=*/10, /*seed=*/5, /*steps=*/150, /*batch=*/32});

        view_ = std::make_unique<MatchView>();
        view_->setRunsDir(runs_);
        view_->resize(1400, 820);
        view_->show();
        QVERIFY(QTest::qWaitForWindowExposed(view_.get()));
        // Shown for the first time, the view takes the newest run under the runs folder.
        QCOMPARE(view_->runDir(), QFileInfo(run_).absoluteFilePath());
        QTRY_VERIFY_WITH_TIMEOUT(view_->runReady(), kWait);
        QVERIFY(view_->runCombo()->findData(QFileInfo(run_).absoluteFilePath()) >= 0);
        QVERIFY(view_->runCombo()->findText(QStringLiteral("Open run…")) >= 0);
        // The threshold starts at the run's evaluated one.
        const auto t = carilab::match::runThreshold(run_.toStdString());
        QVERIFY(t.has_value());
        QVERIFY(std::abs(view_->threshold() - *t) <= 0.0006);
        QVERIFY(view_->runInfo().checkpoints.size() >= 1);
    }

    void droppedCaricatureRanksItsIdentityFirst()
    {
        QSignalSpy results(view_->worker(), &MatchWorker::resultReady);
        QSignalSpy galleries(view_->worker(), &MatchWorker::galleryReady);
        QSignalSpy progress(view_->worker(), &MatchWorker::progress);
        QSignalSpy shown(view_.get(), &MatchView::resultShown);
        const QString query = caricature(3);
        QVERIFY(QFileInfo::exists(query));
        drop(urlMime({query}));
        QTRY_COMPARE_WITH_TIMEOUT(shown.count(), 1, kWait);
        QCOMPARE(results.count(), 1);
        QVERIFY(view_->message().isEmpty());

        // k rows (10 by default), rank 1 first, sorted by score, the query's own identity on top.
        auto* table = view_->resultsTable();
        QCOMPARE(table->rowCount(), 10);
        for (int r = 0; r < table->rowCount(); ++r) {
            QCOMPARE(table->item(r, 0)->text(), QString::number(r + 1));
            if (r > 0) QVERIFY(table->item(r - 1, 3)->data(Qt::UserRole).toDouble() >= table->item(r, 3)->data(Qt::UserRole).toDouble());
        }
        QVERIFY2(table->item(0, 2)->text().startsWith("id_0003"), qPrintable(table->item(0, 2)->text()));
        const auto& o = view_->lastOutcome();
        QCOMPARE(o.queryIdentity, QString("id_0003"));
        QVERIFY(o.identityFromDataset);
        QCOMPARE(o.queryModality, QString("caricature"));
        QCOMPARE(o.trueIdentityRank, 1);
        QVERIFY2(plain(view_->trueRankLabel()).contains("id_0003: first correct match at rank 1 of 100"), qPrintable(plain(view_->trueRankLabel())));
        // The query lies in the run's dataset: cropped by its landmarks, as the gallery is.
        QCOMPARE(o.crop, QString("dataset landmarks"));
        QVERIFY(plain(view_->cropLabel()).contains("dataset landmarks"));
        QCOMPARE(o.landmarks.size(), 5);
        QCOMPARE(o.networkInput.width(), 64);  // the tiny backbone's input

        // The gallery: photos by default (the other modality), embedded once, cached beside the run.
        QCOMPARE(galleries.count(), 1);
        const auto g = galleries.front().front().value<MatchGalleryInfo>();
        QCOMPARE(g.modality, QString("photo"));
        QCOMPARE(g.images, 100);
        QVERIFY(!g.fromCache);
        QVERIFY(progress.count() >= 2);
        QVERIFY(g.cacheFile.startsWith(QFileInfo(run_).absoluteFilePath() + "/galleries/gallery-"));
        QVERIFY(QFileInfo::exists(g.cacheFile));
        QVERIFY(plain(view_->galleryLabel()).contains("100 photos"));

        // The verdict for the selected (first) result against the run's threshold.
        QCOMPARE(table->selectionModel()->selectedRows().value(0).row(), 0);
        const double best = o.hits.front().score;
        QCOMPARE(plain(view_->verdictLabel()).startsWith("Same person? Yes"), best >= view_->threshold());
        // Thumbnails arrive from the pool.
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                for (int r = 0; r < table->rowCount(); ++r)
                    if (table->item(r, 1)->data(Qt::UserRole).toString() != "loaded") return false;
                return true;
            }(),
            30000);

        // A second query reuses the gallery: no embedding, no new gallery.
        const int progressBefore = progress.count();
        dropAndWait(caricature(7));
        QCOMPARE(view_->lastOutcome().trueIdentityRank, 1);
        QVERIFY(view_->resultsTable()->item(0, 2)->text().startsWith("id_0007"));
        QCOMPARE(galleries.count(), 1);
        QCOMPARE(progress.count(), progressBefore);

        // Loading the run again drops what the worker held: the gallery now comes from the file.
        const auto firstHits = view_->lastOutcome().hits;
        view_->setRun(run_);
        QTRY_VERIFY_WITH_TIMEOUT(view_->runReady() && galleries.count() == 2 && view_->hasResult(), kWait);
        const auto again = galleries.back().front().value<MatchGalleryInfo>();
        QVERIFY(again.fromCache);
        QCOMPARE(again.cacheFile, g.cacheFile);
        QTRY_VERIFY_WITH_TIMEOUT(view_->hasResult() && view_->lastOutcome().queryPath == caricature(7), kWait);
        QCOMPARE(view_->lastOutcome().hits.size(), firstHits.size());
        for (int i = 0; i < firstHits.size(); ++i) {
            QCOMPARE(view_->lastOutcome().hits[i].path, firstHits[i].path);
            QVERIFY(std::abs(view_->lastOutcome().hits[i].score - firstHits[i].score) < 1e-5);
        }
    }

    void topKChangesTheList()
    {
        QSignalSpy shown(view_.get(), &MatchView::resultShown);
        view_->topSpin()->setValue(5);
        QTRY_VERIFY_WITH_TIMEOUT(shown.count() >= 1 && view_->resultsTable()->rowCount() == 5, kWait);
        view_->topSpin()->setValue(20);
        QTRY_VERIFY_WITH_TIMEOUT(view_->resultsTable()->rowCount() == 20, kWait);
        QCOMPARE(view_->resultsTable()->item(19, 0)->text(), QString("20"));
        view_->setTop(10);
        QTRY_VERIFY_WITH_TIMEOUT(view_->resultsTable()->rowCount() == 10, kWait);
    }

    void editingTheCropMatchesAgain()
    {
        dropAndWait(caricature(3));
        CropEditor* crop = view_->cropEditor();
        QCOMPARE(crop->imageSize(), QSize(96, 96));
        QSignalSpy shown(view_.get(), &MatchView::resultShown);
        // A rectangle drawn with the mouse, through the editor's own handlers.
        const QPointF a = crop->toWidget(QPointF(12, 10)), b = crop->toWidget(QPointF(84, 90));
        mouse(crop, QEvent::MouseButtonPress, a, Qt::LeftButton, Qt::LeftButton);
        mouse(crop, QEvent::MouseMove, (a + b) / 2, Qt::NoButton, Qt::LeftButton);
        mouse(crop, QEvent::MouseMove, b, Qt::NoButton, Qt::LeftButton);
        mouse(crop, QEvent::MouseButtonRelease, b, Qt::LeftButton, Qt::NoButton);
        QTRY_VERIFY_WITH_TIMEOUT(shown.count() >= 1 && view_->lastOutcome().crop == "user box", kWait);
        QVERIFY2(plain(view_->cropLabel()).contains("user box"), qPrintable(plain(view_->cropLabel())));
        QRectF used = *view_->lastOutcome().box;
        QVERIFY2(std::abs(used.x() - 12) < 1.5 && std::abs(used.y() - 10) < 1.5 && std::abs(used.width() - 72) < 1.5 &&
                     std::abs(used.height() - 80) < 1.5,
                 qPrintable(QString("%1 %2 %3 %4").arg(used.x()).arg(used.y()).arg(used.width()).arg(used.height())));
        QCOMPARE(view_->resultsTable()->rowCount(), 10);
        // Moving it (drag from inside) matches again with the moved rectangle.
        const int before = shown.count();
        const QPointF c = crop->toWidget(QPointF(48, 50)), d = crop->toWidget(QPointF(40, 46));
        mouse(crop, QEvent::MouseButtonPress, c, Qt::LeftButton, Qt::LeftButton);
        mouse(crop, QEvent::MouseMove, d, Qt::NoButton, Qt::LeftButton);
        mouse(crop, QEvent::MouseButtonRelease, d, Qt::LeftButton, Qt::NoButton);
        QTRY_VERIFY_WITH_TIMEOUT(shown.count() > before && std::abs(view_->lastOutcome().box->x() - 4) < 1.5, kWait);
        QVERIFY(std::abs(view_->lastOutcome().box->y() - 6) < 1.5);
        // Set programmatically, as the editor's API does it.
        crop->editCropRect(QRectF(20, 20, 50, 50));
        QTRY_VERIFY_WITH_TIMEOUT(view_->lastOutcome().box && view_->lastOutcome().box->x() == 20 && view_->lastOutcome().box->width() == 50, kWait);
        QCOMPARE(view_->lastOutcome().crop, QString("user box"));
        // Back to the automatic crop.
        view_->setUserCrop(std::nullopt);
        QTRY_VERIFY_WITH_TIMEOUT(view_->lastOutcome().crop == "dataset landmarks", kWait);
        QCOMPARE(view_->lastOutcome().trueIdentityRank, 1);
    }

    void thresholdSliderDecidesTheVerdict()
    {
        QVERIFY(view_->hasResult());
        const double best = view_->lastOutcome().hits.front().score;
        view_->setThreshold(best - 0.01);
        QVERIFY2(plain(view_->verdictLabel()).startsWith("Same person? Yes"), qPrintable(plain(view_->verdictLabel())));
        view_->setThreshold(best + 0.01);
        QVERIFY2(plain(view_->verdictLabel()).startsWith("Same person? No"), qPrintable(plain(view_->verdictLabel())));
        // The verdict follows the selected result.
        const auto& hits = view_->lastOutcome().hits;
        QVERIFY(hits[0].score - hits[9].score > 0.004);
        view_->setThreshold((hits[0].score + hits[9].score) / 2);
        view_->resultsTable()->selectRow(9);
        QVERIFY(plain(view_->verdictLabel()).startsWith("Same person? No"));
        view_->resultsTable()->selectRow(0);
        QVERIFY(plain(view_->verdictLabel()).startsWith("Same person? Yes"));
    }

    // A model without an evaluated threshold gives no verdict (it said "Yes" for strangers at a
    // default 0.5) until the user sets a threshold by hand.
    void noThresholdNoVerdict()
    {
        const QString copy = runs_ + "/run-without-evaluation";
        std::filesystem::copy(run_.toStdString(), copy.toStdString(), std::filesystem::copy_options::recursive);
        QVERIFY(QFile::remove(copy + "/eval.json"));
        QFile::remove(copy + "/.lock");
        view_->setRun(copy);
        QTRY_VERIFY_WITH_TIMEOUT(view_->runReady() && view_->runInfo().runDir == copy, kWait);
        QVERIFY(!view_->runInfo().threshold);
        dropAndWait(caricature(3));
        QVERIFY2(plain(view_->verdictLabel()).startsWith("Same person? — (no calibrated threshold)"), qPrintable(plain(view_->verdictLabel())));
        QVERIFY(plain(view_->thresholdLabel()).contains(QLatin1String("no verdict")));
        view_->setThreshold(view_->lastOutcome().hits.front().score - 0.01);
        QVERIFY2(plain(view_->verdictLabel()).startsWith("Same person? Yes"), qPrintable(plain(view_->verdictLabel())));
        QVERIFY(plain(view_->thresholdLabel()).contains(QLatin1String("set by hand")));
        view_->setRun(run_);
        QTRY_VERIFY_WITH_TIMEOUT(view_->runReady() && view_->runInfo().runDir == run_, kWait);
        QVERIFY(plain(view_->thresholdLabel()).contains(QLatin1String("the run's evaluation")));
    }

    // At 1024x700 every text of the Match view is readable: the identity column shows whole
    // names (it collapsed to "…"), the scores whole numbers, and the bar's boxes either their
    // whole text or an elided one ending in "…" with the whole text in the tooltip (they were
    // cut: "Pretrained face-resnet (ze"). checkReadable() is shared with the real-CaVI test.
    void readableAt1024x700()
    {
        dropAndWait(caricature(3));
        const QSize before = view_->size();
        for (const QSize size : {QSize(1024, 700), QSize(1280, 720), QSize(1600, 1000)}) {
            view_->resize(size);
            QTRY_COMPARE(view_->size(), size);  // the view's minimum fits a 1024-pixel screen
            QApplication::processEvents();
            checkReadable(QStringLiteral("%1x%2").arg(size.width()).arg(size.height()));
        }
        // The zero-shot model's long name in the run box, chosen as a user would: elided with its
        // tooltip at 1024, whole from 1280 on.
        const int zeroShot = view_->runCombo()->findData(QString::fromLatin1(MatchWorker::kZeroShotModel));
        QVERIFY(zeroShot >= 0);
        const int current = view_->runCombo()->currentIndex();
        view_->runCombo()->setCurrentIndex(zeroShot);  // shown only: activated() would load it
        view_->resize(1280, 720);
        QTRY_COMPARE(view_->size(), QSize(1280, 720));
        QApplication::processEvents();
        QCOMPARE(static_cast<ElidedComboBox*>(view_->runCombo())->shownText(), QStringLiteral("Pretrained face-resnet (zero-shot)"));
        view_->resize(1024, 700);
        QTRY_COMPARE(view_->size(), QSize(1024, 700));
        QApplication::processEvents();
        checkReadable(QStringLiteral("1024x700, zero-shot in the box"));
        view_->runCombo()->setCurrentIndex(current);
        view_->resize(before);
    }

    // Issue 21: a query from the gallery's own dataset was "not detected" with "Detect the face"
    // ticked (the timing said "detect 0 ms") while the crop came from the dataset. Now the crop
    // box says which, the line says exactly what was done, and "Detect the face" detects.
    void datasetQueryCropSaysWhatWasDone()
    {
        auto* mode = view_->cropModeCombo();
        QCOMPARE(mode->currentData().toInt(), static_cast<int>(MatchCropMode::Automatic));
        dropAndWait(caricature(6));
        auto o = view_->lastOutcome();
        QCOMPARE(o.crop, QStringLiteral("dataset landmarks"));
        QVERIFY(!o.detectorRan);
        QVERIFY2(plain(view_->cropLabel()).contains(QLatin1String("the dataset's 5 landmarks for this image")) &&
                     plain(view_->cropLabel()).contains(QLatin1String("no detection run")),
                 qPrintable(plain(view_->cropLabel())));
        QVERIFY2(view_->timingLabel()->text().startsWith(QLatin1String("no detection (the dataset's crop)")),
                 qPrintable(view_->timingLabel()->text()));

        // Detect the face: the detector really runs on the dataset image.
        QSignalSpy shown(view_.get(), &MatchView::resultShown);
        mode->setCurrentIndex(mode->findData(static_cast<int>(MatchCropMode::Detect)));
        QTRY_VERIFY_WITH_TIMEOUT(shown.count() >= 1 && view_->lastOutcome().cropMode == MatchCropMode::Detect, kWait);
        o = view_->lastOutcome();
        QVERIFY(o.detectorRan);
        QVERIFY2(o.crop == QLatin1String("detected") || o.crop == QLatin1String("whole image"), qPrintable(o.crop));
        QVERIFY2(view_->timingLabel()->text().startsWith(QLatin1String("detect ")), qPrintable(view_->timingLabel()->text()));
        if (o.crop == QLatin1String("detected"))
            QVERIFY(plain(view_->cropLabel()).contains(QLatin1String("not the dataset's own crop")));
        else
            QVERIFY2(plain(view_->cropLabel()).contains(QLatin1String("no face found")), qPrintable(plain(view_->cropLabel())));
        QCOMPARE(o.queryIdentity, QStringLiteral("id_0006"));  // the identity still comes from the dataset

        // Whole image: as chosen, no detection.
        mode->setCurrentIndex(mode->findData(static_cast<int>(MatchCropMode::WholeImage)));
        QTRY_VERIFY_WITH_TIMEOUT(view_->lastOutcome().cropMode == MatchCropMode::WholeImage, kWait);
        o = view_->lastOutcome();
        QCOMPARE(o.crop, QStringLiteral("whole image"));
        QVERIFY(!o.detectorRan);
        QVERIFY(plain(view_->cropLabel()).contains(QLatin1String("as chosen")));
        QVERIFY(view_->timingLabel()->text().startsWith(QLatin1String("no detection (whole image)")));
        mode->setCurrentIndex(mode->findData(static_cast<int>(MatchCropMode::Automatic)));
        QTRY_VERIFY_WITH_TIMEOUT(view_->lastOutcome().cropMode == MatchCropMode::Automatic && view_->lastOutcome().crop == "dataset landmarks",
                                 kWait);
    }

    // Issue 21: an outside photo dropped with "other modality than the query" was ranked against
    // photos (itself first, score 1). Its modality now comes from the drag, its folder, or the
    // user; unknown, the gallery holds both modalities and the view says so.
    void queryModalityDecidesTheOtherModality()
    {
        QCOMPARE(view_->modalityCombo()->currentData().toString(), QStringLiteral("auto"));
        // A photo copied out of the dataset, into a folder that says nothing.
        const QString loose = tmp_.path() + "/loose-photo.jpg";
        QVERIFY(QFile::copy(photo(5, 3), loose));
        dropAndWait(loose);
        auto o = view_->lastOutcome();
        QCOMPARE(o.queryModality, QString());
        QCOMPARE(o.gallery.modality, QStringLiteral("both"));
        QCOMPARE(o.gallery.images, 200);
        QVERIFY2(plain(view_->queryInfoLabel()).contains(QLatin1String("modality unknown: ranked against photos and caricatures")),
                 qPrintable(plain(view_->queryInfoLabel())));

        // Stated by the user: a photo, so caricatures only (its own copy can no longer be first).
        QSignalSpy shown(view_.get(), &MatchView::resultShown);
        auto* kind = view_->queryModalityCombo();
        kind->setCurrentIndex(kind->findData(QStringLiteral("photo")));
        QTRY_VERIFY_WITH_TIMEOUT(shown.count() >= 1 && view_->lastOutcome().gallery.modality == QLatin1String("caricature"), kWait);
        o = view_->lastOutcome();
        QCOMPARE(o.queryModality, QStringLiteral("photo"));
        QCOMPARE(o.queryModalitySource, QStringLiteral("stated"));
        for (const auto& h : o.hits) QVERIFY2(h.path.contains(QLatin1String("/caricature/")), qPrintable(h.path));
        QVERIFY(plain(view_->queryInfoLabel()).contains(QLatin1String("a photo (as you said)")));

        // A file in a folder named "photo" (outside the gallery's dataset): guessed from it, and
        // a new query forgets what was said about the previous one.
        const QString inPhotoFolder = tmp_.path() + "/elsewhere/photo/somebody.jpg";
        QVERIFY(QDir().mkpath(QFileInfo(inPhotoFolder).path()));
        QVERIFY(QFile::copy(photo(5, 4), inPhotoFolder));
        dropAndWait(inPhotoFolder);
        QCOMPARE(kind->currentData().toString(), QString());
        o = view_->lastOutcome();
        QCOMPARE(o.queryModalitySource, QStringLiteral("folder"));
        QCOMPARE(o.gallery.modality, QStringLiteral("caricature"));
        QVERIFY2(plain(view_->queryInfoLabel()).contains(QLatin1String("a photo (from its folder \"photo\")")),
                 qPrintable(plain(view_->queryInfoLabel())));

        // The Datasets tab's drag says the modality of a file of another dataset.
        auto* m = urlMime({loose});
        m->setData(MatchView::kImageMimeType,
                   QJsonDocument(QJsonObject{{"path", loose}, {"identity", "id_0005"}, {"modality", "photo"}, {"dataset", tmp_.path()}}).toJson());
        const int before = shown.count();
        drop(m);
        QTRY_VERIFY_WITH_TIMEOUT(shown.count() > before && view_->lastOutcome().queryPath == loose, kWait);
        o = view_->lastOutcome();
        QCOMPARE(o.queryModalitySource, QStringLiteral("drag"));
        QCOMPARE(o.gallery.modality, QStringLiteral("caricature"));
        QVERIFY(o.trueIdentityRank >= 1);

        // A dataset image: its record wins over the folder, and a statement wins over the record.
        dropAndWait(photo(2, 2));
        QCOMPARE(view_->lastOutcome().queryModalitySource, QStringLiteral("dataset"));
        QCOMPARE(view_->lastOutcome().gallery.modality, QStringLiteral("caricature"));
        kind->setCurrentIndex(kind->findData(QStringLiteral("caricature")));
        QTRY_VERIFY_WITH_TIMEOUT(view_->lastOutcome().gallery.modality == QLatin1String("photo"), kWait);
        QCOMPARE(view_->lastOutcome().queryModalitySource, QStringLiteral("stated"));
        kind->setCurrentIndex(0);
        QTRY_VERIFY_WITH_TIMEOUT(view_->lastOutcome().gallery.modality == QLatin1String("caricature"), kWait);
    }

    void guessesTheModalityFromTheFolder_data()
    {
        QTest::addColumn<QString>("path");
        QTest::addColumn<QString>("drag");
        QTest::addColumn<QString>("modality");
        QTest::addColumn<QString>("source");
        QTest::newRow("CaVI caricature") << "/d/CaVI_Dataset/Caricature/Drake/Drake_c_1.jpg"
                                         << ""
                                         << "caricature"
                                         << "folder";
        QTest::newRow("CaVI photo") << "/d/CaVI_Dataset/Real/Drake/Drake_r_1.jpg"
                                    << ""
                                    << "photo"
                                    << "folder";
        QTest::newRow("folder layout") << "/d/synth/id_0001/photo/x.jpg"
                                       << ""
                                       << "photo"
                                       << "folder";
        QTest::newRow("upper-case plural") << "/home/me/CARICATURES/x.png"
                                           << ""
                                           << "caricature"
                                           << "folder";
        QTest::newRow("too far up") << "/photos/a/b/c/x.jpg"
                                    << ""
                                    << ""
                                    << "";
        QTest::newRow("nothing says") << "/home/me/Downloads/x.jpg"
                                      << ""
                                      << ""
                                      << "";
        QTest::newRow("the drag wins") << "/d/CaVI_Dataset/Real/Drake/x.jpg"
                                       << "caricature"
                                       << "caricature"
                                       << "drag";
    }
    void guessesTheModalityFromTheFolder()
    {
        QFETCH(QString, path);
        QFETCH(QString, drag);
        QFETCH(QString, modality);
        QFETCH(QString, source);
        const auto g = carilab::widgets::guessQueryModality(path, drag);
        QCOMPARE(g.modality, modality);
        QCOMPARE(g.source, source);
    }

    // The run box and the summary agree: before a run is loaded the box offers "(choose a run)"
    // (it showed a run while the summary said "No run chosen"), and the first show takes the
    // newest run even when the runs were listed earlier (by a rename in the Runs tab).
    void runBoxAgreesWithTheSummary()
    {
        MatchView view;
        view.setRunsDir(runs_);
        view.refreshRuns();  // what runMoved() does before the tab was ever shown
        QCOMPARE(view.runDir(), QString());
        QCOMPARE(view.runCombo()->currentData().toString(), QString());
        QCOMPARE(view.runCombo()->currentText(), QStringLiteral("(choose a run)"));
        view.resize(1024, 700);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        QVERIFY(!view.runDir().isEmpty());
        QCOMPARE(view.runCombo()->currentData().toString(), view.runDir());
        QCOMPARE(view.runCombo()->findText(QStringLiteral("(choose a run)")), -1);  // gone once a run is in use
        QTRY_VERIFY_WITH_TIMEOUT(view.runReady(), kWait);
    }

    // A rename or delete in the Runs tab reaches the Match view: it listed the old name and
    // failed twice with "run folder does not exist" when it was chosen.
    void renamedAndDeletedRunsFollow()
    {
        const QString copy = runs_ + "/to-rename", renamed = runs_ + "/renamed";
        std::filesystem::copy(run_.toStdString(), copy.toStdString(), std::filesystem::copy_options::recursive);
        QFile::remove(copy + "/.lock");
        view_->refreshRuns();
        view_->setRun(copy);
        QTRY_VERIFY_WITH_TIMEOUT(view_->runReady() && view_->runInfo().runDir == copy, kWait);
        QVERIFY(QDir().rename(copy, renamed));
        view_->runMoved(copy, renamed);
        QCOMPARE(view_->runDir(), renamed);
        QTRY_VERIFY_WITH_TIMEOUT(view_->runReady() && view_->runInfo().runDir == renamed, kWait);
        QVERIFY(view_->runInfo().ok);
        QCOMPARE(view_->runCombo()->findData(copy), -1);
        QVERIFY(view_->runCombo()->findData(renamed) >= 0);
        // The worker loads the renamed run's gallery (and may write its cache into the run
        // folder) after the run itself: delete the folder only once the worker has done all it
        // was asked. Its thread runs requests in order, so an empty request queued now returns
        // after them.
        QVERIFY(QMetaObject::invokeMethod(
            view_->worker(), [] {}, Qt::BlockingQueuedConnection));

        QVERIFY(QDir(renamed).removeRecursively());
        view_->runMoved(renamed, QString());
        QVERIFY(!view_->runReady());
        QCOMPARE(view_->runCombo()->findData(renamed), -1);
        view_->setRun(run_);
        QTRY_VERIFY_WITH_TIMEOUT(view_->runReady() && view_->runInfo().runDir == run_, kWait);
    }

    void dropsFromOutsideAndFromTheBrowser()
    {
        // A file outside the dataset: identity and modality unknown, so both modalities by
        // default, the detector's crop or the whole image.
        const QString outside = tmp_.path() + "/outside-caricature.jpg";
        QVERIFY(QFile::copy(caricature(4, 9), outside));
        dropAndWait(outside);
        QVERIFY(view_->lastOutcome().queryIdentity.isEmpty());
        QVERIFY(view_->lastOutcome().crop == "detected" || view_->lastOutcome().crop == "whole image");
        QCOMPARE(view_->lastOutcome().gallery.modality, QString("both"));
        QVERIFY(plain(view_->trueRankLabel()).contains("unknown"));

        // The Dataset browser's drag: file URL plus its JSON; the identity it carries counts.
        auto* m = urlMime({outside});
        m->setData(MatchView::kImageMimeType,
                   QJsonDocument(QJsonObject{{"path", outside}, {"identity", "id_0004"}, {"modality", "caricature"}, {"dataset", data_}}).toJson());
        QSignalSpy shown(view_.get(), &MatchView::resultShown);
        drop(m);
        QTRY_VERIFY_WITH_TIMEOUT(shown.count() >= 1, kWait);
        QCOMPARE(view_->lastOutcome().queryIdentity, QString("id_0004"));
        QVERIFY(!view_->lastOutcome().identityFromDataset);
        QVERIFY(view_->lastOutcome().trueIdentityRank >= 1);
        QCOMPARE(view_->lastOutcome().gallery.modality, QString("photo"));  // the drag's caricature: photos

        // The JSON alone (no URL list) is enough; inside the dataset the dataset's facts win.
        auto* j = new QMimeData;
        j->setData(MatchView::kImageMimeType,
                   QJsonDocument(QJsonObject{{"path", photo(6, 2)}, {"identity", "id_0006"}, {"modality", "photo"}, {"dataset", data_}}).toJson());
        drop(j);
        QTRY_VERIFY_WITH_TIMEOUT(view_->lastOutcome().queryPath == photo(6, 2), kWait);
        QVERIFY(view_->lastOutcome().identityFromDataset);
        QCOMPARE(view_->lastOutcome().queryModality, QString("photo"));
        QCOMPARE(view_->lastOutcome().gallery.modality, QString("caricature"));  // the other modality
        QVERIFY(view_->lastOutcome().trueIdentityRank >= 1);
    }

    void badDrops_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("message");
        QTest::newRow("zero-byte jpg") << "empty"
                                       << "empty (0 bytes)";
        QTest::newRow("text named .jpg") << "text"
                                         << "not a decodable image";
        QTest::newRow("truncated jpeg") << "truncated"
                                        << "truncated";
        QTest::newRow("30000x30000 png header") << "bomb"
                                                << "over the limit of 100 MP";
        QTest::newRow("a folder") << "folder"
                                  << "is a folder";
        QTest::newRow("three files at once") << "three"
                                             << "3 files were dropped";
        QTest::newRow("a web URL") << "web"
                                   << "not a local file";
        QTest::newRow("a missing file") << "missing"
                                        << "file not found";
        QTest::newRow("nothing usable") << "nothing"
                                        << "Nothing to match";
    }
    void badDrops()
    {
        QFETCH(QString, kind);
        QFETCH(QString, message);
        const QString dir = tmp_.path() + "/bad";
        QDir().mkpath(dir);
        const QString good = caricature(2);
        dropAndWait(good);
        const auto before = view_->lastOutcome();

        QSignalSpy messages(view_.get(), &MatchView::messageShown);
        QMimeData* m = nullptr;
        if (kind == "empty") {
            writeBytes(dir + "/empty.jpg", {});
            m = urlMime({dir + "/empty.jpg"});
        } else if (kind == "text") {
            writeBytes(dir + "/notes.jpg", "just some text, not a picture\n");
            m = urlMime({dir + "/notes.jpg"});
        } else if (kind == "truncated") {
            QFile f(photo(1));
            QVERIFY(f.open(QIODevice::ReadOnly));
            const QByteArray all = f.readAll();
            writeBytes(dir + "/half.jpg", all.left(all.size() / 2));
            m = urlMime({dir + "/half.jpg"});
        } else if (kind == "bomb") {
            QByteArray bomb("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\x75\x30\0\0\x75\x30\x08\x02\0\0\0", 29);
            bomb.append(QByteArray(64, '\0'));
            writeBytes(dir + "/bomb.png", bomb);
            m = urlMime({dir + "/bomb.png"});
        } else if (kind == "folder") {
            m = urlMime({data_ + "/id_0001"});
        } else if (kind == "three") {
            m = urlMime({caricature(1), caricature(2), photo(3)});
        } else if (kind == "web") {
            m = urlMime({"https://example.com/face.jpg"});
        } else if (kind == "missing") {
            m = urlMime({dir + "/missing.jpg"});
        } else {
            m = new QMimeData;
            m->setData(MatchView::kImageMimeType, "{}");
        }
        drop(m);
        QTRY_VERIFY_WITH_TIMEOUT(!view_->message().isEmpty(), kWait);
        QVERIFY2(view_->message().contains(message, Qt::CaseInsensitive), qPrintable(view_->message()));
        QVERIFY(view_->messageLabel()->isVisible());
        QCOMPARE(plain(view_->messageLabel()), view_->message());
        QVERIFY(messages.count() >= 1);
        // The previous query and its results stay.
        QCOMPARE(view_->queryPath(), good);
        QCOMPARE(view_->lastOutcome().id, before.id);
        QCOMPARE(view_->resultsTable()->rowCount(), 10);

        // And the view still answers a good drop, clearing the message.
        dropAndWait(caricature(5));
        QVERIFY(view_->message().isEmpty());
        QVERIFY(!view_->messageLabel()->isVisible());
        QCOMPARE(view_->lastOutcome().trueIdentityRank, 1);
    }

    void runOfAnotherBackboneIsRefused()
    {
        const QString other = runs_ + "/run-other";
        fs::copy(run_.toStdString(), other.toStdString(), fs::copy_options::recursive);
        auto cfg = nlohmann::json::parse(std::ifstream((other + "/config.json").toStdString()));
        cfg["backbone"] = "inception-resnet-v1";
        std::ofstream((other + "/config.json").toStdString(), std::ios::trunc) << cfg.dump(2);
        view_->refreshRuns();
        QVERIFY(view_->runCombo()->findData(QFileInfo(other).absoluteFilePath()) >= 0);

        view_->setRun(other);
        QTRY_VERIFY_WITH_TIMEOUT(!view_->message().isEmpty(), kWait);
        QVERIFY2(view_->message().contains("backbone 'tiny'") && view_->message().contains("inception-resnet-v1"), qPrintable(view_->message()));
        QVERIFY(!view_->runReady());
        QCOMPARE(view_->resultsTable()->rowCount(), 0);
        // A drop now waits for a usable run instead of failing.
        drop(urlMime({caricature(8)}));
        QTRY_COMPARE_WITH_TIMEOUT(view_->queryPath(), caricature(8), kWait);
        QVERIFY(!view_->hasResult());

        // Back to the good run: the waiting query is matched.
        view_->setRun(run_);
        QTRY_VERIFY_WITH_TIMEOUT(view_->hasResult() && view_->lastOutcome().queryPath == caricature(8), kWait);
        QVERIFY(view_->message().isEmpty());
        QCOMPARE(view_->lastOutcome().trueIdentityRank, 1);
    }

    // The untrained baseline beside the runs: it asks for a gallery dataset, then ranks with
    // face-resnet's pretrained descriptor (skipped where the weights are not fetched).
    void zeroShotModelNeedsAGallery()
    {
        try {
            carilab::pretrained::requireModelManifest("face_recognition_model");
        } catch (const carilab::pretrained::PretrainedMissing& e) {
            QSKIP(e.what());
        }
        // Its galleries are cached under the user data folder: keep them in the test's.
        qputenv("CARILAB_PRETRAINED_DIR", QByteArray::fromStdString(carilab::pretrained::pretrainedRoot()));
        qputenv("CARILAB_HOME", (tmp_.path() + "/home").toUtf8());
        const QString model = QString::fromLatin1(MatchWorker::kZeroShotModel);
        const int item = view_->runCombo()->findData(model);
        QVERIFY(item >= 0);
        QCOMPARE(view_->runCombo()->itemText(item), QStringLiteral("Pretrained face-resnet (zero-shot)"));

        view_->setGallery(QString(), QStringLiteral("photo"));
        view_->setRun(model);
        QTRY_VERIFY_WITH_TIMEOUT(view_->runReady(), kWait);
        QVERIFY(view_->runInfo().zeroShot);
        QTRY_VERIFY_WITH_TIMEOUT(view_->message().contains(QLatin1String("gallery dataset")), kWait);
        // Its verdict uses the threshold calibrated on CaVI validation, not the run's left over.
        QVERIFY(std::abs(view_->threshold() - 0.874) <= 0.0006);
        QVERIFY2(plain(view_->thresholdLabel()).contains(QLatin1String("calibrated on CaVI validation.txt")),
                 qPrintable(plain(view_->thresholdLabel())));

        view_->setGallery(data_, QStringLiteral("photo"));
        dropAndWait(photo(4, 2));
        const auto& o = view_->lastOutcome();
        QCOMPARE(o.hits.size(), 10);
        // The query is in the photo gallery: it finds itself, with the same crop, first.
        QCOMPARE(QFileInfo(o.hits.front().path).canonicalFilePath(), QFileInfo(photo(4, 2)).canonicalFilePath());
        QVERIFY(o.hits.front().score > 0.999);
        QCOMPARE(o.networkInput.width(), 150);
        QVERIFY(o.gallery.cacheFile.startsWith(tmp_.path() + "/home/zero-shot/face-resnet/"));

        view_->setRun(run_);
        QTRY_VERIFY_WITH_TIMEOUT(view_->runReady() && !view_->runInfo().zeroShot, kWait);
    }

    // A real photo with a face somewhere in a larger scene, dropped on the zero-shot model with
    // real CaVI head shots as the gallery: face-api finds the face and its 68 landmarks, the
    // crop frames it as the gallery's head shots, and the pretrained descriptor ranks the right
    // person first. Skipped without cavi-dev or the fetched weights.
    void zeroShotFindsTheFaceInARealPhoto()
    {
        const fs::path real = (carilab::test::sharedDir() + "/datasets/cavi-dev/CaVI_Dataset/Real").toStdString();
        std::error_code ec;
        if (!fs::is_directory(real, ec)) QSKIP("../shared/datasets/cavi-dev is not here");
        try {
            carilab::pretrained::requireModelManifest("tiny_face_detector_model");
        } catch (const carilab::pretrained::PretrainedMissing& e) {
            QSKIP(e.what());
        }
        qputenv("CARILAB_PRETRAINED_DIR", QByteArray::fromStdString(carilab::pretrained::pretrainedRoot()));
        qputenv("CARILAB_HOME", (tmp_.path() + "/home").toUtf8());
        // Gallery: six identities' photos but the query, in the folder layout.
        const fs::path gallery = (tmp_.path() + "/cavi-six").toStdString();
        fs::path queryFile;
        QString queryIdentity;
        int ids = 0;
        std::vector<fs::path> dirs;
        for (const auto& d : fs::directory_iterator(real)) dirs.push_back(d.path());
        std::sort(dirs.begin(), dirs.end());
        for (const auto& d : dirs) {
            if (ids == 6) break;
            std::vector<fs::path> files;
            for (const auto& f : fs::directory_iterator(d))
                if (f.path().extension() == ".jpg") files.push_back(f.path());
            std::sort(files.begin(), files.end());
            if (files.size() < 4) continue;
            ++ids;
            fs::create_directories(gallery / d.filename() / "photo");
            for (size_t k = 1; k < files.size(); ++k) fs::copy_file(files[k], gallery / d.filename() / "photo" / files[k].filename());
            if (ids == 2) {
                queryFile = files[0];
                queryIdentity = QString::fromStdString(d.filename().string());
            }
        }
        // The head shot shrunk into a 720x480 scene, off centre.
        QImage head(QString::fromStdString(queryFile.string()));
        QVERIFY(!head.isNull());
        QImage scene(720, 480, QImage::Format_RGB888);
        scene.fill(QColor(96, 110, 104));
        const QRect where(420, 120, 220, 220);
        {
            QPainter p(&scene);
            p.drawImage(where, head);
        }
        const QString query = tmp_.path() + "/scene-with-a-face.png";
        QVERIFY(scene.save(query));

        view_->setGallery(QString::fromStdString(gallery.string()), QStringLiteral("photo"));
        view_->setRun(QString::fromLatin1(MatchWorker::kZeroShotModel));
        QTRY_VERIFY_WITH_TIMEOUT(view_->runReady() && view_->runInfo().zeroShot, kWait);
        dropAndWait(query);
        const auto& o = view_->lastOutcome();
        QCOMPARE(o.crop, QStringLiteral("detected"));
        QCOMPARE(o.detector, QStringLiteral("face-api"));
        QVERIFY(o.detectionScore >= 0.5);
        QCOMPARE(o.landmarks.size(), 68);
        // face-resnet's own crop: face-api's aligned box, the face inside the placed head shot.
        QCOMPARE(o.cropDetail, QStringLiteral("face-api's aligned face box"));
        QVERIFY(o.box.has_value());
        const QRectF overlap = o.box->intersected(QRectF(where));
        QVERIFY2(overlap.width() * overlap.height() > 0.8 * o.box->width() * o.box->height() && o.box->width() > 0.25 * where.width(),
                 "the crop is not on the face");
        // The landmarks the view draws are the ones found, inside the placed head shot.
        for (const QPointF& p : o.landmarks) QVERIFY(QRectF(where).contains(p));
        QCOMPARE(o.hits.size(), 10);
        QCOMPARE(o.hits.front().identity, queryIdentity);
        QVERIFY2(plain(view_->cropLabel()).contains(QLatin1String("face-api found it")), qPrintable(plain(view_->cropLabel())));
        QVERIFY(plain(view_->galleryLabel()).contains(QLatin1String("zero-shot cache")));

        view_->setRun(run_);
        QTRY_VERIFY_WITH_TIMEOUT(view_->runReady() && !view_->runInfo().zeroShot, kWait);
    }

    // The walkthrough's case on real CaVI images (zero-shot, a CaVI-layout gallery without an
    // alignment file): a photo of the gallery's own dataset is not detected in the automatic
    // mode, and the view says so and why; "Detect the face" runs face-api on it. At 1024x700 the
    // real, long identity names stay whole. Skipped without cavi-dev or the fetched weights.
    void realCaviQueryOfTheGallery()
    {
        const fs::path cavi = (carilab::test::sharedDir() + "/datasets/cavi-dev/CaVI_Dataset").toStdString();
        std::error_code ec;
        if (!fs::is_directory(cavi, ec)) QSKIP("../shared/datasets/cavi-dev is not here");
        try {
            carilab::pretrained::requireModelManifest("face_recognition_model");
            carilab::pretrained::requireModelManifest("ssd_mobilenetv1_model");
        } catch (const carilab::pretrained::PretrainedMissing& e) {
            QSKIP(e.what());
        }
        qputenv("CARILAB_PRETRAINED_DIR", QByteArray::fromStdString(carilab::pretrained::pretrainedRoot()));
        qputenv("CARILAB_HOME", (tmp_.path() + "/home").toUtf8());
        // The eight longest names with both sides: 3 photos and 2 caricatures each.
        std::vector<std::string> names;
        for (const auto& d : fs::directory_iterator(cavi / "Real"))
            if (fs::is_directory(cavi / "Caricature" / d.path().filename(), ec)) names.push_back(d.path().filename().string());
        std::sort(names.begin(), names.end(), [](const auto& a, const auto& b) { return a.size() != b.size() ? a.size() > b.size() : a < b; });
        names.resize(std::min<size_t>(names.size(), 8));
        const fs::path mini = (tmp_.path() + "/cavi-mini/CaVI_Dataset").toStdString();
        for (const auto& n : names) {
            for (const auto& [side, keep] : {std::pair{"Real", 3}, std::pair{"Caricature", 2}}) {
                std::vector<fs::path> files;
                for (const auto& f : fs::directory_iterator(cavi / side / n))
                    if (f.path().extension() == ".jpg") files.push_back(f.path());
                std::sort(files.begin(), files.end());
                fs::create_directories(mini / side / n);
                for (int k = 0; k < keep && k < static_cast<int>(files.size()); ++k)
                    fs::copy_file(files[static_cast<size_t>(k)], mini / side / n / files[static_cast<size_t>(k)].filename());
            }
        }
        fs::path query;
        for (const auto& f : fs::directory_iterator(mini / "Real" / names[0])) query = std::max(query, f.path());
        const QString queryPath = QString::fromStdString(query.string());

        view_->setGallery(QString::fromStdString(mini.parent_path().string()), QStringLiteral("auto"));
        view_->setRun(QString::fromLatin1(MatchWorker::kZeroShotModel));
        QTRY_VERIFY_WITH_TIMEOUT(view_->runReady() && view_->runInfo().zeroShot, kWait);
        dropAndWait(queryPath);
        auto o = view_->lastOutcome();
        QVERIFY(o.identityFromDataset);
        QCOMPARE(o.queryModality, QStringLiteral("photo"));
        QCOMPARE(o.gallery.modality, QStringLiteral("caricature"));
        QCOMPARE(o.crop, QStringLiteral("whole image"));
        QVERIFY(!o.detectorRan);
        QVERIFY2(plain(view_->cropLabel()).contains(QLatin1String("the dataset has no face geometry for this image")),
                 qPrintable(plain(view_->cropLabel())));
        QVERIFY2(view_->timingLabel()->text().startsWith(QLatin1String("no detection (whole image)")), qPrintable(view_->timingLabel()->text()));

        auto* mode = view_->cropModeCombo();
        mode->setCurrentIndex(mode->findData(static_cast<int>(MatchCropMode::Detect)));
        QTRY_VERIFY_WITH_TIMEOUT(view_->lastOutcome().cropMode == MatchCropMode::Detect, kWait);
        o = view_->lastOutcome();
        QVERIFY(o.detectorRan);
        QCOMPARE(o.crop, QStringLiteral("detected"));
        QCOMPARE(o.detector, QStringLiteral("face-api"));
        QCOMPARE(o.landmarks.size(), 68);
        QVERIFY(o.detectMs > 0);
        QVERIFY2(view_->timingLabel()->text().startsWith(QLatin1String("detect ")), qPrintable(view_->timingLabel()->text()));
        QVERIFY2(plain(view_->cropLabel()).contains(QLatin1String("face-api found it")), qPrintable(plain(view_->cropLabel())));

        const QSize before = view_->size();
        view_->resize(1024, 700);
        QTRY_COMPARE(view_->size(), QSize(1024, 700));
        QApplication::processEvents();
        checkReadable(QStringLiteral("1024x700, real CaVI names"));
        view_->resize(before);

        mode->setCurrentIndex(mode->findData(static_cast<int>(MatchCropMode::Automatic)));
        view_->setGallery(QString(), QStringLiteral("auto"));
        view_->setRun(run_);
        QTRY_VERIFY_WITH_TIMEOUT(view_->runReady() && !view_->runInfo().zeroShot, kWait);
    }

    void cleanupTestCase()
    {
        view_.reset();  // stops the worker thread
    }
};

QTEST_MAIN(TestMatchView)
#include "test_match_view.moc"
